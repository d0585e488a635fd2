package postgres

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// AuditLog reads the event log the way an auditor follows it: a target with
// the jobs that enriched it, or a job with what it caused.
type AuditLog struct {
	pool *pgxpool.Pool
}

// NewAuditLog returns the audit reader over pool.
func NewAuditLog(pool *pgxpool.Pool) *AuditLog { return &AuditLog{pool: pool} }

// endOfTime stands for "no bound" on recorded_at.
var endOfTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// TargetHistory returns a page of up to limit events of the target's stream
// and of the streams of the jobs opened on it, after position and recorded
// no later than until (zero: no bound), in position order.
func (a *AuditLog) TargetHistory(ctx context.Context, d domain.Domain, after int64, until time.Time, limit int) (readmodel.HistoryPage, error) {
	if until.IsZero() {
		until = endOfTime
	}
	return a.page(ctx, after, limit, func(q *gen.Queries) ([]gen.Event, error) {
		return q.TargetHistory(ctx, gen.TargetHistoryParams{
			TargetStream: domain.TargetStream(d), AfterPosition: after, Until: until, MaxEvents: int32(limit + 1),
		})
	})
}

// TargetEvents returns every event of the target's history recorded no
// later than until (zero: no bound), read in one statement so they are one
// consistent snapshot of the log.
func (a *AuditLog) TargetEvents(ctx context.Context, d domain.Domain, until time.Time) ([]domain.RecordedEvent, error) {
	if until.IsZero() {
		until = endOfTime
	}
	rows, err := gen.New(a.pool).TargetHistory(ctx, gen.TargetHistoryParams{
		TargetStream: domain.TargetStream(d), Until: until, MaxEvents: math.MaxInt32,
	})
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", d, err)
	}
	return toRecorded(rows)
}

// JobHistory returns a page of up to limit events of the job's stream and
// the events it caused on its target's stream, after position.
func (a *AuditLog) JobHistory(ctx context.Context, id uuid.UUID, after int64, limit int) (readmodel.HistoryPage, error) {
	return a.page(ctx, after, limit, func(q *gen.Queries) ([]gen.Event, error) {
		return q.JobHistory(ctx, gen.JobHistoryParams{
			JobStream: domain.JobStream(id), JobID: id.String(), AfterPosition: after, MaxEvents: int32(limit + 1),
		})
	})
}

// page reads one more event than limit to know whether more follow. The
// last page shows every committed event, however recent. A page with more
// after it ends before the visibility horizon read first: an event of a
// transaction still open may yet commit below the horizon, and a cursor past
// it would skip it for good. Cut there, the page may come back short, even
// empty with the cursor unchanged: the caller asks again.
func (a *AuditLog) page(ctx context.Context, after int64, limit int, read func(*gen.Queries) ([]gen.Event, error)) (readmodel.HistoryPage, error) {
	q := gen.New(a.pool)
	horizon, err := q.VisibilityHorizon(ctx)
	if err != nil {
		return readmodel.HistoryPage{}, fmt.Errorf("history: %w", err)
	}
	rows, err := read(q)
	if err != nil {
		return readmodel.HistoryPage{}, fmt.Errorf("history: %w", err)
	}
	events, err := toRecorded(rows)
	if err != nil {
		return readmodel.HistoryPage{}, err
	}
	if len(events) <= limit {
		return readmodel.HistoryPage{Events: events}, nil
	}
	events = events[:limit]
	for i, e := range events {
		if e.Position >= horizon {
			events = events[:i]
			break
		}
	}
	next := after
	if len(events) > 0 {
		next = events[len(events)-1].Position
	}
	return readmodel.HistoryPage{Events: events, More: true, NextAfter: next}, nil
}
