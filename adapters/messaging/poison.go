package messaging

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerforge/partnerforge/domain"
)

// A handler that keeps failing on a message after the router's retries gives
// up on it: watermill's PoisonQueue middleware publishes the message, with
// the handler's name and last error in its metadata, to PoisonTopic (the
// table watermill_events_poison), and the consumer group moves on. These
// are the tools to see those messages and run them again.

// poisonTable is the table watermill-sql keeps PoisonTopic in.
const poisonTable = `"watermill_` + PoisonTopic + `"`

// Poisoned is one message a handler gave up on.
type Poisoned struct {
	// ID numbers the entry in the poison queue; `events redrive` takes it.
	ID       int64
	Handler  string
	EventID  uuid.UUID
	Type     string
	StreamID string
	Position int64
	// StreamVersion locates the event in its stream for a re-drive.
	StreamVersion int64
	Error         string
	At            time.Time
	// Redriven is when it was last re-driven, and RedriveError how the
	// handler answered then ("" for success); nil if it never was.
	Redriven     *time.Time
	RedriveError string
}

// ListPoisoned returns every entry of the poison queue, oldest first. An
// empty list when nothing was ever poisoned (the table does not exist yet).
func ListPoisoned(ctx context.Context, pool *pgxpool.Pool) ([]Poisoned, error) {
	return queryPoisoned(ctx, pool, "")
}

// PoisonedByID returns one entry, or all the entries of an event when id is
// an event id (each handler that gave up on it has its own).
func PoisonedByID(ctx context.Context, pool *pgxpool.Pool, id string) ([]Poisoned, error) {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return queryPoisoned(ctx, pool, "WHERE p.\"offset\" = $1", n)
	}
	if eventID, err := uuid.Parse(id); err == nil {
		return queryPoisoned(ctx, pool, "WHERE p.uuid = $1", eventID.String())
	}
	return nil, fmt.Errorf("poisoned entry %q: want an entry number or an event id", id)
}

func queryPoisoned(ctx context.Context, pool *pgxpool.Pool, where string, args ...any) ([]Poisoned, error) {
	rows, err := pool.Query(ctx, `
SELECT p."offset", p.uuid, p.created_at, p.metadata::jsonb, r.redriven_at, COALESCE(r.error, '')
FROM `+poisonTable+` p LEFT JOIN poison_redrives r ON r.poison_offset = p."offset"
`+where+`
ORDER BY p."offset"`, args...)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table: nothing was ever poisoned
			return nil, nil
		}
		return nil, fmt.Errorf("list poisoned messages: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanPoisoned)
	if err != nil {
		return nil, fmt.Errorf("list poisoned messages: %w", err)
	}
	return out, nil
}

func scanPoisoned(row pgx.CollectableRow) (Poisoned, error) {
	var (
		p      Poisoned
		msgID  string
		meta   map[string]string
		at     time.Time
		redrov *time.Time
	)
	if err := row.Scan(&p.ID, &msgID, &at, &meta, &redrov, &p.RedriveError); err != nil {
		return Poisoned{}, err
	}
	// watermill's column is a timestamp without zone, written in UTC.
	p.At = time.Date(at.Year(), at.Month(), at.Day(), at.Hour(), at.Minute(), at.Second(), at.Nanosecond(), time.UTC)
	p.Redriven = redrov
	p.Handler = meta[middleware.PoisonedHandlerKey]
	p.Error = meta[middleware.ReasonForPoisonedKey]
	p.Type = meta[MetaEventType]
	p.StreamID = meta[MetaStreamID]
	p.EventID, _ = uuid.Parse(msgID)
	p.Position, _ = strconv.ParseInt(meta[MetaPosition], 10, 64)
	p.StreamVersion, _ = strconv.ParseInt(meta[MetaStreamVersion], 10, 64)
	return p, nil
}

// EventReader reads one stored event back; postgres.EventStore implements it.
type EventReader interface {
	ReadStream(ctx context.Context, stream string, afterVersion int64, limit int) ([]domain.RecordedEvent, error)
}

// ErrUnknownHandler means a poisoned entry names a handler this build does
// not have (it was renamed or removed).
var ErrUnknownHandler = errors.New("unknown handler")

// Redrive runs the handler that gave up on p once more on the stored event,
// and records the outcome. The event is read from the log, not from the
// poison message, so the handler sees exactly what it would have seen.
// Handlers are idempotent (see Route), so a re-drive of an event that was
// handled meanwhile changes nothing; re-driving twice is harmless too.
func Redrive(ctx context.Context, pool *pgxpool.Pool, events EventReader, handlers []Handler, p Poisoned) error {
	var h *Handler
	for i := range handlers {
		if handlers[i].Name == p.Handler {
			h = &handlers[i]
		}
	}
	if h == nil {
		return fmt.Errorf("redrive %d: %w %q", p.ID, ErrUnknownHandler, p.Handler)
	}
	evs, err := events.ReadStream(ctx, p.StreamID, p.StreamVersion-1, 1)
	if err != nil {
		return fmt.Errorf("redrive %d: %w", p.ID, err)
	}
	if len(evs) != 1 || evs[0].ID != p.EventID {
		return fmt.Errorf("redrive %d: event %s is not at version %d of %s", p.ID, p.EventID, p.StreamVersion, p.StreamID)
	}
	handleErr := h.Handle(ctx, evs[0])
	outcome := ""
	if handleErr != nil {
		outcome = handleErr.Error()
	}
	if _, err := pool.Exec(ctx, `
INSERT INTO poison_redrives (poison_offset, redriven_at, error) VALUES ($1, now(), $2)
ON CONFLICT (poison_offset) DO UPDATE SET redriven_at = excluded.redriven_at, error = excluded.error`,
		p.ID, outcome); err != nil {
		return fmt.Errorf("redrive %d: record the outcome: %w", p.ID, err)
	}
	if handleErr != nil {
		return fmt.Errorf("redrive %d: %s failed again: %w", p.ID, p.Handler, handleErr)
	}
	return nil
}
