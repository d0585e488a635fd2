package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
	"github.com/partnerforge/partnerforge/domain"
)

// Projection builds one read model.
type Projection interface {
	// Name is the projection's stable identity, the key of its checkpoint:
	// renaming a projection rebuilds it from the start of the log.
	Name() string
	// Tables are the tables the projection owns; Rebuild truncates them.
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
	// Notify wakes it sooner.
	PollInterval time.Duration
	// BatchSize is the most events one transaction applies.
	BatchSize int
	Logger    *slog.Logger
}

// Runner keeps projections up to date with the log.
type Runner struct {
	pool        *pgxpool.Pool
	projections []Projection
	poll        time.Duration
	batch       int
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
	r := &Runner{pool: pool, projections: projections, poll: cfg.PollInterval, batch: cfg.BatchSize, log: cfg.Logger}
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
			sleep(ctx, retry, nil)
			retry = min(retry*2, maxRetryDelay)
			continue
		case n > 0:
			retry = r.poll
			continue // more may be waiting
		}
		// Idle: poll cheaply until the log moves past the checkpoint.
		for ctx.Err() == nil {
			sleep(ctx, r.poll, wake)
			behind, err := gen.New(r.pool).ProjectionBehind(ctx, p.Name())
			if err != nil || behind {
				break // a failing poll is reported by the next step
			}
		}
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
		for _, re := range evs {
			if !p.Handles(re.Type) {
				continue
			}
			e, err := domain.Decode(re)
			if err != nil {
				return fmt.Errorf("event at position %d: %w", re.Position, err)
			}
			if err := p.Apply(ctx, tx, re, e); err != nil {
				return fmt.Errorf("apply %s at position %d (stream %s): %w", re.Type, re.Position, re.StreamID, err)
			}
		}
		n, pos = len(evs), evs[len(evs)-1].Position
		return q.SaveProjectionPosition(ctx, gen.SaveProjectionPositionParams{Name: p.Name(), Position: pos})
	})
	if err != nil {
		return 0, 0, fmt.Errorf("projection %s: %w", p.Name(), err)
	}
	return n, pos, nil
}

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

// Rebuild empties a projection's tables and resets its checkpoint in one
// transaction, then replays the log into it up to the last committed event. Readers
// see an empty or partial model until the replay has caught up.
func (r *Runner) Rebuild(ctx context.Context, name string) error {
	p, err := r.projection(name)
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		q := gen.New(tx)
		if err := q.LockProjection(ctx, p.Name()); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		tables := make([]string, len(p.Tables()))
		for i, t := range p.Tables() {
			tables[i] = pgx.Identifier{t}.Sanitize()
		}
		if len(tables) > 0 {
			if _, err := tx.Exec(ctx, "TRUNCATE "+strings.Join(tables, ", ")); err != nil {
				return fmt.Errorf("truncate: %w", err)
			}
		}
		return q.SaveProjectionPosition(ctx, gen.SaveProjectionPositionParams{Name: p.Name(), Position: 0})
	})
	if err != nil {
		return fmt.Errorf("rebuild %s: %w", name, err)
	}
	head, err := r.lastCommitted(ctx)
	if err != nil {
		return err
	}
	if err := r.catchUp(ctx, p, head); err != nil {
		return fmt.Errorf("rebuild %s: %w", name, err)
	}
	r.Notify()
	return nil
}

func (r *Runner) projection(name string) (Projection, error) {
	i := slices.IndexFunc(r.projections, func(p Projection) bool { return p.Name() == name })
	if i < 0 {
		return nil, fmt.Errorf("%w: %q", ErrUnknownProjection, name)
	}
	return r.projections[i], nil
}

// ErrUnknownProjection names a projection the runner does not have.
var ErrUnknownProjection = errors.New("unknown projection")
