package projections

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// Defaults of RebuildOptions.
const (
	DefaultRebuildBatch  = 5000
	DefaultLockTimeout   = 500 * time.Millisecond
	DefaultSwapAttempts  = 20
	maxSwapRetryInterval = 2 * time.Second
)

// RebuildOptions tune Rebuild and Verify; zero values take the defaults.
type RebuildOptions struct {
	// Progress, when set, is called after every batch and at each phase;
	// it runs on the rebuilding goroutine, so it should be quick (and
	// throttle its own output).
	Progress func(Progress)
	// BatchSize is the most events one transaction reads and applies.
	BatchSize int
	// LockTimeout bounds each wait of the swap for a lock — a reader's
	// query on the live table, or the live projection's batch. While the
	// swap waits for a table lock every new reader of that table queues
	// behind it, so it is kept short; a swap that times out rolls back and
	// tries again.
	LockTimeout time.Duration
	// SwapAttempts is how many times the swap is tried before Rebuild
	// gives up (the shadow is then dropped and the live model stays).
	SwapAttempts int
}

func (o RebuildOptions) withDefaults() RebuildOptions {
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultRebuildBatch
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.SwapAttempts <= 0 {
		o.SwapAttempts = DefaultSwapAttempts
	}
	return o
}

// Phases of a rebuild or a verify, in order.
const (
	PhaseLoad     = "load"     // replaying the log into the shadow
	PhaseIndex    = "index"    // building the shadow's indexes
	PhaseCatchUp  = "catch-up" // applying what was appended meanwhile
	PhaseSwap     = "swap"     // replacing the live tables
	PhaseCompare  = "compare"  // verify: comparing with the live tables
	PhaseFinished = "done"
)

// Progress is where a rebuild stands.
type Progress struct {
	Projection string
	Phase      string
	// Position is the last log position applied to the shadow.
	Position int64
	// Events counts the events read so far; Total those in the log when
	// the rebuild started (more may arrive while it runs).
	Events, Total int64
	Elapsed       time.Duration
	// SwapAttempt counts the tries of the swap (PhaseSwap).
	SwapAttempt int
}

// Rate is the events read per second so far.
func (p Progress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Events) / p.Elapsed.Seconds()
}

// ETA estimates the time left to read the events there were at the start;
// 0 when unknown or done.
func (p Progress) ETA() time.Duration {
	rate := p.Rate()
	if rate <= 0 || p.Events >= p.Total {
		return 0
	}
	return time.Duration(float64(p.Total-p.Events) / rate * float64(time.Second))
}

// RebuildResult says what a rebuild did.
type RebuildResult struct {
	// Position is where the swapped-in read model stands.
	Position int64
	// Events counts the events replayed; Elapsed is the whole rebuild.
	Events  int64
	Elapsed time.Duration
	// SwapAttempts counts the tries the swap needed.
	SwapAttempts int
}

// ErrBusy means a rebuild or verify of the same projection is running
// elsewhere.
var ErrBusy = readmodel.ErrRebuildBusy

// Rebuild replays the log into a new read model and swaps it in with the
// default options; see RebuildWith.
func (r *Runner) Rebuild(ctx context.Context, name string) error {
	_, err := r.RebuildWith(ctx, name, RebuildOptions{})
	return err
}

// RebuildWith builds the projection's read model anew without taking the
// live one away:
//
//  1. it creates empty shadow tables beside the live ones (see shadow);
//  2. it replays the log into them in large batches, with each batch's
//     writes pipelined and its commit not waiting for the disk (the shadow
//     is disposable until the swap);
//  3. it builds the indexes once the rows are in;
//  4. it applies what was appended meanwhile, while the live model keeps
//     serving and following the log;
//  5. in one short transaction, holding the projection's lock so the live
//     projection pauses between batches, it applies the last events, moves
//     the live tables out and the shadow's in, and sets the checkpoint and
//     a new generation (so response caches drop what they built from the
//     old tables); waits for locks are bounded by LockTimeout, and a swap
//     that times out is retried;
//  6. it drops the old tables.
//
// A reader sees the old model until the swap commits and the new one
// after; never an empty or partial one.
func (r *Runner) RebuildWith(ctx context.Context, name string, opts RebuildOptions) (RebuildResult, error) {
	p, err := r.projection(name)
	if err != nil {
		return RebuildResult{}, err
	}
	b, err := r.newBuilder(ctx, p, opts, "rebuild")
	if err != nil {
		return RebuildResult{}, fmt.Errorf("rebuild %s: %w", name, err)
	}
	defer b.close()
	res, err := b.rebuild(ctx)
	if err != nil {
		return res, fmt.Errorf("rebuild %s: %w", name, err)
	}
	r.changed(name)
	r.Notify()
	return res, nil
}

// builder fills a projection's shadow tables from the log.
type builder struct {
	r       *Runner
	p       Projection
	opts    RebuildOptions
	started time.Time
	release func()
	// retired is where the live tables go at the swap ("" for verify).
	retired string

	sh       shadow
	pos      int64 // last position applied to the shadow, committed
	events   int64
	total    int64
	phase    string
	attempts int
}

// newBuilder takes the projection's rebuild lock — a session advisory lock
// on a connection held until close, so two rebuilds (or a rebuild and a
// verify) of one projection never share a shadow schema.
func (r *Runner) newBuilder(ctx context.Context, p Projection, opts RebuildOptions, kind string) (*builder, error) {
	conn, err := r.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquire connection: %w", err)
	}
	var locked bool
	err = conn.QueryRow(ctx, "SELECT pg_try_advisory_lock(hashtext('partnerforge.rebuild'), hashtext($1))", p.Name()).Scan(&locked)
	if err != nil || !locked {
		conn.Release()
		if err == nil {
			err = ErrBusy
		}
		return nil, err
	}
	release := func() {
		// Unlock on a context of its own: the caller's may be cancelled.
		_, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtext('partnerforge.rebuild'), hashtext($1))", p.Name())
		if err != nil {
			_ = conn.Conn().Close(context.WithoutCancel(ctx)) // the session lock ends with the session
		}
		conn.Release()
	}
	b := &builder{r: r, p: p, opts: opts.withDefaults(), started: time.Now(), release: release}
	prefix := rebuildSchemaPrefix
	if kind == "verify" {
		prefix = verifySchemaPrefix
	} else {
		b.retired = retiredSchemaPrefix + p.Name()
	}
	err = pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		var err error
		if b.sh, err = newShadow(ctx, tx, prefix, p); err != nil {
			return err
		}
		return b.sh.create(ctx, tx)
	})
	if err != nil {
		release()
		return nil, err
	}
	return b, nil
}

// close drops the shadow (after a swap it is empty) and the schema of the
// retired tables (empty unless dropping the old tables failed), and
// releases the lock.
func (b *builder) close() {
	ctx := context.WithoutCancel(context.Background())
	for _, schema := range []string{b.sh.schema, b.retired} {
		if schema == "" {
			continue
		}
		if err := dropSchema(ctx, b.r.pool, schema); err != nil {
			b.r.log.Warn("drop schema", "schema", schema, "error", err)
		}
	}
	b.release()
}

func (b *builder) rebuild(ctx context.Context) (RebuildResult, error) {
	head, err := b.r.lastCommitted(ctx)
	if err != nil {
		return RebuildResult{}, err
	}
	if b.total, err = gen.New(b.r.pool).EventsBetween(ctx, gen.EventsBetweenParams{AfterPosition: 0, UpTo: head}); err != nil {
		return RebuildResult{}, fmt.Errorf("count events: %w", err)
	}
	b.setPhase(PhaseLoad)
	if err := b.load(ctx, head, true); err != nil {
		return RebuildResult{}, err
	}
	b.setPhase(PhaseIndex)
	if err := b.sh.createIndexes(ctx, b.r.pool); err != nil {
		return RebuildResult{}, err
	}
	b.setPhase(PhaseCatchUp)
	if err := b.load(ctx, math.MaxInt64, false); err != nil {
		return RebuildResult{}, err
	}
	b.setPhase(PhaseSwap)
	if err := b.swap(ctx); err != nil {
		return RebuildResult{}, err
	}
	b.setPhase(PhaseFinished)
	if err := dropSchema(ctx, b.r.pool, b.retired); err != nil {
		// The new model is live; the old tables only take space.
		b.r.log.Warn("drop the replaced read model", "schema", b.retired, "error", err)
	}
	return RebuildResult{Position: b.pos, Events: b.events, Elapsed: time.Since(b.started), SwapAttempts: b.attempts}, nil
}

func (b *builder) setPhase(phase string) {
	b.phase = phase
	b.report()
}

func (b *builder) report() {
	if b.opts.Progress == nil {
		return
	}
	b.opts.Progress(Progress{
		Projection: b.p.Name(), Phase: b.phase, Position: b.pos, Events: b.events, Total: b.total,
		Elapsed: time.Since(b.started), SwapAttempt: b.attempts,
	})
}

// swap tries the swap until it succeeds, retrying when a lock wait times
// out.
func (b *builder) swap(ctx context.Context) error {
	retired := pgx.Identifier{b.retired}.Sanitize()
	if _, err := b.r.pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+retired+" CASCADE"); err != nil {
		return fmt.Errorf("clear retired schema: %w", err)
	}
	if _, err := b.r.pool.Exec(ctx, "CREATE SCHEMA "+retired); err != nil {
		return fmt.Errorf("create retired schema: %w", err)
	}
	wait := 50 * time.Millisecond
	for {
		b.attempts++
		b.report()
		err := b.swapOnce(ctx)
		if err == nil {
			return nil
		}
		if !lockTimedOut(err) || b.attempts >= b.opts.SwapAttempts {
			return fmt.Errorf("swap (attempt %d): %w", b.attempts, err)
		}
		b.r.log.Info("swap waited too long for a lock; retrying", "projection", b.p.Name(),
			"attempt", b.attempts, "retry_in", wait, "error", err)
		sleep(ctx, wait, nil)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait = min(wait*2, maxSwapRetryInterval)
	}
}

func (b *builder) swapOnce(ctx context.Context) error {
	var pos, n int64
	err := pgx.BeginFunc(ctx, b.r.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d", b.opts.LockTimeout.Milliseconds())); err != nil {
			return fmt.Errorf("set lock_timeout: %w", err)
		}
		// The live projection applies no batch until this commits, so
		// the shadow can reach the live model's position and pass it.
		if err := gen.New(tx).LockProjection(ctx, b.p.Name()); err != nil {
			return fmt.Errorf("lock projection: %w", err)
		}
		pos = b.pos
		for {
			next, read, err := b.applyBatch(ctx, tx, pos, math.MaxInt64)
			if err != nil {
				return err
			}
			if read == 0 {
				break
			}
			pos, n = next, n+read
		}
		if err := b.sh.swap(ctx, tx, b.retired); err != nil {
			return err
		}
		return gen.New(tx).SwapProjectionCheckpoint(ctx, gen.SwapProjectionCheckpointParams{Name: b.p.Name(), Position: pos})
	})
	if err != nil {
		return err
	}
	b.pos, b.events = pos, b.events+n
	return nil
}

// lockTimedOut reports whether err is a lock wait cut by lock_timeout, or a
// deadlock the server broke: both leave nothing behind and may be retried.
func lockTimedOut(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "55P03" || pgErr.Code == "40P01")
}
