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

// A handler must be quick: the subscriber holds a transaction open while it
// runs, and an open transaction holds back delivery on every topic.
// Handlers write through their own connections, not the subscriber's
// transaction: that transaction is REPEATABLE READ (a lost race could not be
// resolved by reloading inside it), and watermill-sql may roll it back from
// another goroutine at shutdown while a handler still runs. So every handler
// must be idempotent: a message redelivered after a crash between the
// handler's writes and the acknowledgement must change nothing.

// Route handles the events of one type, decoded; rec is the event as
// stored (position, metadata, time).
type Route struct {
	eventType string
	handle    func(ctx context.Context, rec domain.RecordedEvent, e domain.Event) error
}

// On routes the events of type T to handle, which receives them decoded and
// typed, as watermill's cqrs.NewEventHandler does.
func On[T domain.Event](handle func(ctx context.Context, rec domain.RecordedEvent, e T) error) Route {
	var zero T
	typ := zero.EventType()
	return Route{eventType: typ, handle: func(ctx context.Context, rec domain.RecordedEvent, e domain.Event) error {
		typed, ok := e.(T)
		if !ok {
			return fmt.Errorf("event %s of type %s decoded as %T", rec.ID, typ, e)
		}
		return handle(ctx, rec, typed)
	}}
}

// Handler is one consumer group and the routes of the event types it
// handles; it acknowledges other events at once, without decoding them.
type Handler struct {
	// Name is the consumer group; renaming it replays every event to it.
	Name   string
	routes map[string]Route
	// Observe, if set, is told of each event handled without error, and
	// how long after it was stored.
	Observe func(handler string, lag time.Duration)
}

// NewHandler returns a consumer group named name with one route per event
// type. Two routes for one type are a programming error.
func NewHandler(name string, routes ...Route) Handler {
	h := Handler{Name: name, routes: make(map[string]Route, len(routes))}
	for _, r := range routes {
		if _, dup := h.routes[r.eventType]; dup {
			panic(fmt.Sprintf("messaging.NewHandler %s: two routes for %s", name, r.eventType))
		}
		h.routes[r.eventType] = r
	}
	return h
}

// Types lists the event types the handler handles.
func (h Handler) Types() []string {
	types := make([]string, 0, len(h.routes))
	for t := range h.routes {
		types = append(types, t)
	}
	slices.Sort(types)
	return types
}

// Handle routes one stored event; events of other types are ignored.
func (h Handler) Handle(ctx context.Context, rec domain.RecordedEvent) error {
	route, ok := h.routes[rec.Type]
	if !ok {
		return nil
	}
	e, err := domain.Decode(rec)
	if err != nil {
		return fmt.Errorf("%s: decode event %s: %w", h.Name, rec.ID, err)
	}
	if err := route.handle(ctx, rec, e); err != nil {
		return err
	}
	if h.Observe != nil && !rec.RecordedAt.IsZero() {
		h.Observe(h.Name, time.Since(rec.RecordedAt))
	}
	return nil
}

// AddHandler subscribes h to the events topic with its own consumer group.
func AddHandler(r *message.Router, pool *pgxpool.Pool, h Handler, cfg SubscriberConfig, logger watermill.LoggerAdapter) error {
	if len(h.routes) == 0 {
		return fmt.Errorf("handler %s: no routes", h.Name)
	}
	cfg.ConsumerGroup = h.Name
	sub, err := NewSubscriber(pool, cfg, logger)
	if err != nil {
		return err
	}
	r.AddConsumerHandler(h.Name, Topic, sub, func(msg *message.Message) error {
		// Skip other types before decoding the message: most events of the
		// log are not this handler's.
		if _, ok := h.routes[msg.Metadata.Get(MetaEventType)]; !ok {
			return nil
		}
		e, err := FromMessage(msg)
		if err != nil {
			return err
		}
		return h.Handle(msg.Context(), e)
	})
	return nil
}
