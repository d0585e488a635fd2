package messaging

import (
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultPollInterval replaces watermill-sql's one-second default so an event
// reaches its handlers in milliseconds. Each consumer group polls on its own,
// so this is also the idle query rate per group.
const DefaultPollInterval = 20 * time.Millisecond

// SubscriberConfig tunes one consumer group's subscriber.
type SubscriberConfig struct {
	// ConsumerGroup is the handler's stable identity in the database:
	// renaming it replays every event to the handler.
	ConsumerGroup string
	// PollInterval is the pause after a poll that found nothing: the poll
	// interval of a subscriber that does not rest, the shortest gap between
	// two polls of one that does.
	PollInterval time.Duration
	// Wake, when set, makes the subscriber rest after an empty poll until
	// Wake says new events may be readable, or Rest has passed (the
	// fallback poll that bounds the delay of a lost wake-up).
	Wake Waker
	// Rest is the fallback interval of a resting subscriber (default
	// DefaultRest).
	Rest time.Duration
	// AckDeadline bounds how long one message may stay unacknowledged before
	// it is redelivered. Zero uses watermill's 30 s.
	AckDeadline time.Duration
}

// NewSubscriber returns a watermill-sql subscriber on the pool for one
// consumer group, reading the event log (see EventsSchema); with cfg.Wake it
// rests while there is nothing to read (rest.go).
func NewSubscriber(pool *pgxpool.Pool, cfg SubscriberConfig, logger watermill.LoggerAdapter) (message.Subscriber, error) {
	if cfg.ConsumerGroup == "" {
		return nil, fmt.Errorf("subscriber: empty consumer group")
	}
	poll := cfg.PollInterval
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	sc := wsql.SubscriberConfig{
		ConsumerGroup:    cfg.ConsumerGroup,
		PollInterval:     poll,
		ResendInterval:   poll,
		RetryInterval:    100 * time.Millisecond,
		SchemaAdapter:    EventsSchema{},
		OffsetsAdapter:   wsql.DefaultPostgreSQLOffsetsAdapter{},
		InitializeSchema: true,
	}
	if cfg.AckDeadline > 0 {
		d := cfg.AckDeadline
		sc.AckDeadline = &d
	}
	var (
		db = wsql.BeginnerFromPgx(pool)
		r  *rest
	)
	if cfg.Wake != nil {
		r = newRest(cfg.Rest)
		db = restingBeginner{Beginner: db, rest: r}
	}
	sub, err := wsql.NewSubscriber(db, sc, logger)
	if err != nil {
		return nil, fmt.Errorf("subscriber %s: %w", cfg.ConsumerGroup, err)
	}
	if r == nil {
		return sub, nil
	}
	// Registered last, so a failed construction leaves nothing behind. A
	// closed subscriber's registration stays: waking it costs nothing.
	cfg.Wake.OnEvents(r.notify)
	return restingSubscriber{Subscriber: sub, rest: r}, nil
}
