package messaging

import (
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
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
	PollInterval  time.Duration
	// AckDeadline bounds how long one message may stay unacknowledged before
	// it is redelivered. Zero uses watermill's 30 s.
	AckDeadline time.Duration
}

// NewSubscriber returns a watermill-sql subscriber on the pool for one
// consumer group, reading the event log (see EventsSchema).
func NewSubscriber(pool *pgxpool.Pool, cfg SubscriberConfig, logger watermill.LoggerAdapter) (*wsql.Subscriber, error) {
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
	sub, err := wsql.NewSubscriber(wsql.BeginnerFromPgx(pool), sc, logger)
	if err != nil {
		return nil, fmt.Errorf("subscriber %s: %w", cfg.ConsumerGroup, err)
	}
	return sub, nil
}
