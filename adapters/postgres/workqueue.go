package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
	"github.com/partnerforge/partnerforge/domain"
)

// FetchTask is one provider fetch of one job, leased to a worker.
type FetchTask struct {
	JobID    uuid.UUID
	Provider domain.Provider
	Domain   domain.Domain
	Ticker   string
	// Leases counts how often the task was leased; above 1 a worker died or
	// gave up on it before. It is also the claim's fencing token: a later
	// claim by another worker raises it, and every write made for this claim
	// (Extend, Complete) is refused with ErrLeaseLost from then on.
	Leases int
}

// ErrLeaseLost refuses a write for a claim another worker has since taken
// over, or for a task already done: the claimant must drop its work.
var ErrLeaseLost = errors.New("fetch task lease lost")

// WorkQueue holds the enrichment pipeline's pending provider fetches.
type WorkQueue struct {
	pool     *pgxpool.Pool
	enqueued func()
}

// NewWorkQueue returns the queue over pool.
func NewWorkQueue(pool *pgxpool.Pool) *WorkQueue { return &WorkQueue{pool: pool} }

// OnEnqueue has fn called after each Enqueue commits, so that workers of
// every instance can be woken. fn must not block. Set it before the queue
// is shared.
func (q *WorkQueue) OnEnqueue(fn func()) { q.enqueued = fn }

// Enqueue records a job's pending fetches, in one statement. seen is the
// job stream's version the caller read when it chose the providers. Enqueuing
// a job whose work exists adds nothing, and so does enqueuing one whose
// stream has moved on since seen: the caller's view is stale, and the work
// it would add was done and dropped meanwhile.
func (q *WorkQueue) Enqueue(ctx context.Context, req domain.EnrichmentRequested, providers []domain.Provider, seen int64) error {
	names := make([]string, len(providers))
	for i, p := range providers {
		names[i] = string(p)
	}
	_, err := gen.New(q.pool).EnqueueJob(ctx, gen.EnqueueJobParams{
		JobID: req.JobID, Domain: req.Domain.String(), Ticker: req.Ticker, ExpiresAt: req.ExpiresAt, Providers: names,
		JobStream: domain.JobStream(req.JobID), SeenVersion: seen,
	})
	if err != nil {
		return fmt.Errorf("enqueue job %s: %w", req.JobID, err)
	}
	if q.enqueued != nil {
		q.enqueued()
	}
	return nil
}

// Claim leases up to max tasks for lease; a task whose lease runs out is
// claimable again.
func (q *WorkQueue) Claim(ctx context.Context, max int, lease time.Duration) ([]FetchTask, error) {
	rows, err := gen.New(q.pool).ClaimFetchTasks(ctx, gen.ClaimFetchTasksParams{MaxTasks: int32(max), LeaseSeconds: lease.Seconds()})
	if err != nil {
		return nil, fmt.Errorf("claim fetch tasks: %w", err)
	}
	out := make([]FetchTask, 0, len(rows))
	for _, r := range rows {
		d, err := domain.ParseDomain(r.Domain)
		if err != nil {
			return nil, fmt.Errorf("claimed task of job %s: %w", r.JobID, err)
		}
		p, err := domain.ParseProvider(r.Provider)
		if err != nil {
			return nil, fmt.Errorf("claimed task of job %s: %w", r.JobID, err)
		}
		out = append(out, FetchTask{JobID: r.JobID, Provider: p, Domain: d, Ticker: r.Ticker, Leases: int(r.Leases)})
	}
	return out, nil
}

// Extend renews t's lease for another lease while its fetch runs. It
// returns ErrLeaseLost (wrapped) when t's token is no longer current:
// another worker claimed the task after this lease ran out, or it is done.
// A lease that ran out but was not claimed again is renewed: nobody else
// started the fetch.
func (q *WorkQueue) Extend(ctx context.Context, t FetchTask, lease time.Duration) error {
	n, err := gen.New(q.pool).ExtendFetchLease(ctx, gen.ExtendFetchLeaseParams{
		LeaseSeconds: lease.Seconds(), JobID: t.JobID, Provider: string(t.Provider), Token: int32(t.Leases),
	})
	if err != nil {
		return fmt.Errorf("extend %s lease of job %s: %w", t.Provider, t.JobID, err)
	}
	if n == 0 {
		return fmt.Errorf("extend %s lease %d of job %s: %w", t.Provider, t.Leases, t.JobID, ErrLeaseLost)
	}
	return nil
}

// Complete records t's outcome through record and removes the task, in one
// transaction that deletes the task first, provided t's token is still
// current: a worker whose lease was taken over records nothing and deletes
// nothing (ErrLeaseLost, wrapped), and a claim by another worker skips the
// task until the transaction ends — gone if it committed, back if the
// record failed. It then reports how many of the job's tasks are still
// queued, counted after the commit: of two workers completing a job's last
// tasks at once, the one that commits last is sure to see none left (inside
// the transaction, each would still see the other's task).
func (q *WorkQueue) Complete(ctx context.Context, t FetchTask, record func(ctx context.Context, tx pgx.Tx) error) (others int64, err error) {
	err = pgx.BeginFunc(ctx, q.pool, func(tx pgx.Tx) error {
		n, err := gen.New(tx).DeleteFetchTask(ctx, gen.DeleteFetchTaskParams{JobID: t.JobID, Provider: string(t.Provider), Token: int32(t.Leases)})
		if err != nil {
			return fmt.Errorf("drop task: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("lease %d: %w", t.Leases, ErrLeaseLost)
		}
		return record(ctx, tx)
	})
	if err != nil {
		return 0, fmt.Errorf("complete %s fetch of job %s: %w", t.Provider, t.JobID, err)
	}
	others, err = gen.New(q.pool).CountJobFetchTasks(ctx, t.JobID)
	if err != nil {
		return 0, fmt.Errorf("count tasks left of job %s: %w", t.JobID, err)
	}
	return others, nil
}

// Queued reports whether a job still has work; a finished job has none.
func (q *WorkQueue) Queued(ctx context.Context, jobID uuid.UUID) (bool, error) {
	ok, err := gen.New(q.pool).WorkExists(ctx, jobID)
	if err != nil {
		return false, fmt.Errorf("look up work of job %s: %w", jobID, err)
	}
	return ok, nil
}

// Finish removes a finished job's work through db. Its callers, the
// completion handler and the sweeper, pass the pool and call it after the
// job's end has been stored, not in one transaction with it: if the process
// stops in between, the work stays until the sweeper finds it stalled, ends
// the job again (which stores nothing new) and removes it.
func (q *WorkQueue) Finish(ctx context.Context, db gen.DBTX, jobID uuid.UUID) error {
	if err := gen.New(db).DeleteWork(ctx, jobID); err != nil {
		return fmt.Errorf("finish work of job %s: %w", jobID, err)
	}
	return nil
}

// Expired lists jobs past their expiry that still have work.
func (q *WorkQueue) Expired(ctx context.Context, now time.Time, max int) ([]uuid.UUID, error) {
	ids, err := gen.New(q.pool).ExpiredWork(ctx, gen.ExpiredWorkParams{ExpiresAt: now, Limit: int32(max)})
	if err != nil {
		return nil, fmt.Errorf("list expired jobs: %w", err)
	}
	return ids, nil
}

// Overdue lists open jobs past their expiry that have no work: jobs whose
// dispatch never enqueued anything, which Expired cannot see. It reads the
// jobs projection, so a job appears once the projection has reached it.
func (q *WorkQueue) Overdue(ctx context.Context, now time.Time, max int) ([]uuid.UUID, error) {
	ids, err := gen.New(q.pool).OverdueJobs(ctx, gen.OverdueJobsParams{Now: now, MaxJobs: int32(max)})
	if err != nil {
		return nil, fmt.Errorf("list overdue jobs: %w", err)
	}
	return ids, nil
}

// Stalled lists jobs created before since whose fetches are all done but
// which are not finished.
func (q *WorkQueue) Stalled(ctx context.Context, since time.Time, max int) ([]uuid.UUID, error) {
	ids, err := gen.New(q.pool).OpenWork(ctx, gen.OpenWorkParams{CreatedAt: since, Limit: int32(max)})
	if err != nil {
		return nil, fmt.Errorf("list stalled jobs: %w", err)
	}
	return ids, nil
}

// Depth reports the queued and leased task counts, for metrics.
func (q *WorkQueue) Depth(ctx context.Context) (queued, leased int64, err error) {
	r, err := gen.New(q.pool).CountFetchTasks(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("count fetch tasks: %w", err)
	}
	return r.Tasks, r.Leased, nil
}

// Quota is the per-provider daily call budget, kept in PostgreSQL so a
// restart does not reset it. Days are UTC days.
type Quota struct {
	pool   *pgxpool.Pool
	limits map[domain.Provider]int
	now    func() time.Time
}

// NewQuota returns budgets of limits calls per UTC day; a provider without a
// positive limit is unlimited.
func NewQuota(pool *pgxpool.Pool, limits map[domain.Provider]int, now func() time.Time) *Quota {
	return &Quota{pool: pool, limits: limits, now: now}
}

// Take spends one call of p's budget and returns what remains, or
// domain.ErrQuotaExhausted (wrapped) without spending when nothing remains.
func (q *Quota) Take(ctx context.Context, p domain.Provider) (int64, error) {
	limit := q.limits[p]
	if limit <= 0 {
		return -1, nil
	}
	day := q.now().UTC()
	used, err := gen.New(q.pool).TakeQuota(ctx, gen.TakeQuotaParams{
		Provider: string(p), Day: pgtype.Date{Time: day, Valid: true}, DailyLimit: int32(limit),
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("%s on %s: %w", p, day.Format(time.DateOnly), domain.ErrQuotaExhausted)
	}
	if err != nil {
		return 0, fmt.Errorf("take %s quota: %w", p, err)
	}
	return int64(limit) - int64(used), nil
}
