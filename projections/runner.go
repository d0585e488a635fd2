package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// Projection builds one read model.
type Projection interface {
	// Name is the projection's stable identity, the key of its checkpoint:
	// renaming a projection rebuilds it from the start of the log.
	Name() string
	// Tables are the tables the projection owns; Rebuild builds new ones
	// beside them and swaps them in.
	Tables() []string
	// Handles reports whether Apply wants events of a type. Other events
	// only move the checkpoint.
	Handles(eventType string) bool
	// Apply changes the read model for one event, within the batch's
	// transaction. It must depend on the event alone, and applying an event
	// twice must leave what applying it once does.
	Apply(ctx context.Context, db gen.DBTX, re domain.RecordedEvent, e domain.Event) error
}

// Defaults of Config.
const (
	DefaultPollInterval = 20 * time.Millisecond
	DefaultBatchSize    = 500
	maxRetryDelay       = 5 * time.Second
)

// Config tunes a Runner; zero values take the defaults.
type Config struct {
	// PollInterval is how often an idle projection looks for new events;
	// Notify wakes it sooner. With Rest set, it is only the shortest gap
	// between two looks.
	PollInterval time.Duration
	// Rest, when set, makes an idle projection wait for Notify (wired to
	// the instance's wake-ups) and look anyway only this often: the
	// fallback that bounds the delay of a lost wake-up.
	Rest time.Duration
	// BatchSize is the most events one transaction applies.
	BatchSize int
	// Committed, if set, is told of each batch a projection committed,
	// and of each rebuild swapped in, after the commit: its read model
	// changed. It must not block.
	Committed func(projection string)
	Logger    *slog.Logger
}

// Runner keeps projections up to date with the log.
type Runner struct {
	pool        *pgxpool.Pool
	projections []Projection
	poll        time.Duration
	rest        time.Duration
	batch       int
	committed   func(string)
	log         *slog.Logger

	mu    sync.Mutex
	wakes []chan struct{}
}

// NewRunner returns a runner for projections over pool. Names must be
// unique.
func NewRunner(pool *pgxpool.Pool, cfg Config, projections ...Projection) (*Runner, error) {
	if pool == nil {
		return nil, errors.New("projections: nil pool")
	}
	seen := map[string]bool{}
	for _, p := range projections {
		if p.Name() == "" || seen[p.Name()] {
			return nil, fmt.Errorf("projections: empty or repeated name %q", p.Name())
		}
		seen[p.Name()] = true
	}
	r := &Runner{
		pool: pool, projections: projections, poll: cfg.PollInterval, rest: cfg.Rest, batch: cfg.BatchSize,
		committed: cfg.Committed, log: cfg.Logger,
	}
	if r.poll <= 0 {
		r.poll = DefaultPollInterval
	}
	if r.batch <= 0 {
		r.batch = DefaultBatchSize
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r, nil
}

// Names lists the projections in the order they were given.
func (r *Runner) Names() []string {
	out := make([]string, len(r.projections))
	for i, p := range r.projections {
		out[i] = p.Name()
	}
	return out
}

// Notify wakes every idle projection to look for new events now, e.g. right
// after an append whose result a reader is waiting for.
func (r *Runner) Notify() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range r.wakes {
		select {
		case w <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}

// Run follows the log with every projection until ctx is done. A batch that
// fails is rolled back and retried after a growing delay: a projection never
// skips an event.
func (r *Runner) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, p := range r.projections {
		wake := make(chan struct{}, 1)
		r.mu.Lock()
		r.wakes = append(r.wakes, wake)
		r.mu.Unlock()
		wg.Go(func() { r.follow(ctx, p, wake) })
	}
	wg.Wait()
	return nil
}

func (r *Runner) follow(ctx context.Context, p Projection, wake <-chan struct{}) {
	retry := r.poll
	for ctx.Err() == nil {
		n, _, err := r.step(ctx, p)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			r.log.Error("projection batch failed; retrying", slog.String("projection", p.Name()),
				slog.Duration("retry_in", retry), slog.Any("error", err))
			r.recordFailure(ctx, p, err)
			sleep(ctx, retry, nil)
			retry = min(retry*2, maxRetryDelay)
			continue
		case n > 0:
			retry = r.poll
			r.changed(p.Name())
			continue // more may be waiting
		}
		// Idle: poll cheaply until the log moves past the checkpoint.
		for ctx.Err() == nil {
			r.idle(ctx, wake)
			behind, err := gen.New(r.pool).ProjectionBehind(ctx, p.Name())
			if err != nil || behind {
				break // a failing poll is reported by the next step
			}
		}
	}
}

// idle waits before an idle projection looks at the log again. Resting, the
// pause comes first and ignores wake-ups (a wake-up then still ends the rest
// at once), so a stream of appends costs no more looks than polling did.
func (r *Runner) idle(ctx context.Context, wake <-chan struct{}) {
	if r.rest <= 0 {
		sleep(ctx, r.poll, wake)
		return
	}
	sleep(ctx, r.poll, nil)
	sleep(ctx, r.rest, wake)
}

func (r *Runner) changed(projection string) {
	if r.committed != nil {
		r.committed(projection)
	}
}

// recordFailure notes the event a batch failed on, outside the rolled-back
// batch, so that Status and /ready can tell a projection stuck on an event
// from one that is merely busy. The next batch that commits clears it.
func (r *Runner) recordFailure(ctx context.Context, p Projection, err error) {
	var ee *EventError
	if !errors.As(err, &ee) {
		return // not about an event: the database checks report it
	}
	rerr := gen.New(r.pool).RecordProjectionFailure(ctx, gen.RecordProjectionFailureParams{
		Name: p.Name(), FailedPosition: ee.Position, FailedEventID: uuid.NullUUID{UUID: ee.EventID, Valid: true},
		FailedError: ee.Err.Error(),
	})
	if rerr != nil && ctx.Err() == nil {
		r.log.Warn("record projection failure", slog.String("projection", p.Name()), slog.Any("error", rerr))
	}
}

// sleep waits for d, a wake-up or the end of ctx.
func sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-wake:
	}
}

// step applies at most one batch in one transaction and reports how many
// events it read and the checkpoint after it.
func (r *Runner) step(ctx context.Context, p Projection) (int, int64, error) {
	var (
		n   int
		pos int64
	)
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		q := gen.New(tx)
		if err := q.LockProjection(ctx, p.Name()); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		var err error
		if pos, err = q.ProjectionPosition(ctx, p.Name()); err != nil {
			return fmt.Errorf("read checkpoint: %w", err)
		}
		evs, err := postgres.ReadAll(ctx, tx, pos, r.batch)
		if err != nil || len(evs) == 0 {
			return err
		}
		if err := applyEach(ctx, p, tx, evs); err != nil {
			return err
		}
		n, pos = len(evs), evs[len(evs)-1].Position
		return q.SaveProjectionPosition(ctx, gen.SaveProjectionPositionParams{Name: p.Name(), Position: pos})
	})
	if err != nil {
		return 0, 0, fmt.Errorf("projection %s: %w", p.Name(), err)
	}
	return n, pos, nil
}

// applyEach applies the events p handles, in order.
func applyEach(ctx context.Context, p Projection, db gen.DBTX, evs []domain.RecordedEvent) error {
	for _, re := range evs {
		if err := applyOne(ctx, p, db, re); err != nil {
			return err
		}
	}
	return nil
}

func applyOne(ctx context.Context, p Projection, db gen.DBTX, re domain.RecordedEvent) error {
	if !p.Handles(re.Type) {
		return nil
	}
	e, err := domain.Decode(re)
	if err == nil {
		err = p.Apply(ctx, db, re, e)
	}
	if err != nil {
		return &EventError{Position: re.Position, EventID: re.ID, Type: re.Type, StreamID: re.StreamID, Err: err}
	}
	return nil
}

// EventError is a projection's failure to decode or apply one event. The
// runner never skips an event, so while it fails the projection is stuck
// there; the runner records it for Status and readiness checks.
type EventError struct {
	Position int64
	EventID  uuid.UUID
	Type     string
	StreamID string
	Err      error
}

func (e *EventError) Error() string {
	return fmt.Sprintf("apply %s at position %d (event %s, stream %s): %v", e.Type, e.Position, e.EventID, e.StreamID, e.Err)
}

func (e *EventError) Unwrap() error { return e.Err }

// CatchUp brings every projection up to the last event committed when
// CatchUp is called, waiting if an older transaction still holds the
// visibility horizon below it. Events appended meanwhile may or may not be
// applied.
func (r *Runner) CatchUp(ctx context.Context) error {
	head, err := r.lastCommitted(ctx)
	if err != nil {
		return err
	}
	for _, p := range r.projections {
		if err := r.catchUp(ctx, p, head); err != nil {
			return err
		}
	}
	return nil
}

func (r *Runner) catchUp(ctx context.Context, p Projection, head int64) error {
	for {
		n, pos, err := r.step(ctx, p)
		if err != nil {
			return err
		}
		if n == 0 {
			// Either at the head, or an older transaction still holds the
			// horizon below it: check, and wait for the horizon to move.
			if pos, err = gen.New(r.pool).ProjectionPosition(ctx, p.Name()); err != nil {
				return fmt.Errorf("projection %s: read checkpoint: %w", p.Name(), err)
			}
			if pos >= head {
				return nil
			}
			sleep(ctx, r.poll, nil)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		if pos >= head {
			return nil
		}
	}
}

func (r *Runner) lastCommitted(ctx context.Context) (int64, error) {
	pos, err := gen.New(r.pool).LastCommittedPosition(ctx)
	if err != nil {
		return 0, fmt.Errorf("last committed position: %w", err)
	}
	return pos, nil
}

func (r *Runner) projection(name string) (Projection, error) {
	i := slices.IndexFunc(r.projections, func(p Projection) bool { return p.Name() == name })
	if i < 0 {
		return nil, fmt.Errorf("%w: %q", ErrUnknownProjection, name)
	}
	return r.projections[i], nil
}

// ErrUnknownProjection names a projection the runner does not have.
var ErrUnknownProjection = readmodel.ErrUnknownProjection
