package messaging

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerforge/partnerforge/domain"
)

// PoisonTopic receives messages a handler kept failing on, so one bad
// message cannot stall its consumer group forever.
const PoisonTopic = "events_poison"

// NewRouter returns a watermill router with panic recovery, a few quick
// retries, and a poison queue in PostgreSQL.
func NewRouter(pool *pgxpool.Pool, logger watermill.LoggerAdapter) (*message.Router, error) {
	r, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, logger)
	if err != nil {
		return nil, fmt.Errorf("watermill router: %w", err)
	}
	poisonPub, err := wsql.NewPublisher(wsql.BeginnerFromPgx(pool), wsql.PublisherConfig{
		SchemaAdapter: wsql.DefaultPostgreSQLSchema{}, AutoInitializeSchema: true,
	}, logger)
	if err != nil {
		return nil, fmt.Errorf("poison queue publisher: %w", err)
	}
	poison, err := middleware.PoisonQueue(poisonPub, PoisonTopic)
	if err != nil {
		return nil, fmt.Errorf("poison queue: %w", err)
	}
	r.AddMiddleware(
		poison,
		middleware.Retry{MaxRetries: 3, InitialInterval: 20 * time.Millisecond, MaxInterval: 500 * time.Millisecond, Multiplier: 2, Logger: logger}.Middleware,
		middleware.Recoverer,
	)
	return r, nil
}

// EventHandler handles one stored event. It must be quick: the subscriber
// holds a transaction open while it runs, and an open transaction holds back
// delivery on every topic. Handlers write through their own connections, not
// the subscriber's transaction: that transaction is REPEATABLE READ (a lost
// race could not be resolved by reloading inside it), and watermill-sql may
// roll it back from another goroutine at shutdown while a handler still runs.
// So every handler must be idempotent: a message redelivered after a crash
// between the handler's writes and the acknowledgement must change nothing.
type EventHandler func(ctx context.Context, e domain.RecordedEvent) error

// Handler describes one consumer group.
type Handler struct {
	// Name is the consumer group; renaming it replays every event to it.
	Name string
	// Types are the event types it handles; it acknowledges others at once.
	Types  []string
	Handle EventHandler
	// Observe, if set, is told how long each relevant event waited.
	Observe func(handler string, lag time.Duration)
}

// AddHandler subscribes h to the events topic with its own consumer group.
func AddHandler(r *message.Router, pool *pgxpool.Pool, h Handler, cfg SubscriberConfig, logger watermill.LoggerAdapter) error {
	cfg.ConsumerGroup = h.Name
	sub, err := NewSubscriber(pool, cfg, logger)
	if err != nil {
		return err
	}
	r.AddConsumerHandler(h.Name, Topic, sub, func(msg *message.Message) error {
		if !slices.Contains(h.Types, msg.Metadata.Get(MetaEventType)) {
			return nil
		}
		e, err := FromMessage(msg)
		if err != nil {
			return err
		}
		if h.Observe != nil && !e.RecordedAt.IsZero() {
			h.Observe(h.Name, time.Since(e.RecordedAt))
		}
		return h.Handle(msg.Context(), e)
	})
	return nil
}
