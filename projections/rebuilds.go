package projections

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// Rebuilds runs rebuilds in the background for the admin route, one per
// projection at a time, and remembers how the last one of each went. The
// rebuild itself is Runner.RebuildWith: shadow tables, catch-up, swap.
type Rebuilds struct {
	ctx    context.Context
	runner *Runner
	log    *slog.Logger
	wg     sync.WaitGroup

	mu     sync.Mutex
	status map[string]readmodel.RebuildStatus
}

// NewRebuilds returns a manager whose rebuilds stop when ctx ends (the
// shadow is then dropped and the live read model stays).
func NewRebuilds(ctx context.Context, runner *Runner, log *slog.Logger) *Rebuilds {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Rebuilds{ctx: ctx, runner: runner, log: log, status: map[string]readmodel.RebuildStatus{}}
}

// Start begins rebuilding name in the background. A rebuild of name already
// running here is ErrBusy; one running in another process is found by the
// rebuild itself and reported as failed.
func (b *Rebuilds) Start(name string) (readmodel.RebuildStatus, error) {
	if !slices.Contains(b.runner.Names(), name) {
		return readmodel.RebuildStatus{}, fmt.Errorf("%w %q (want one of %v)", ErrUnknownProjection, name, b.runner.Names())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if st, ok := b.status[name]; ok && st.State == readmodel.RebuildRunning {
		return st, ErrBusy
	}
	st := readmodel.RebuildStatus{Projection: name, State: readmodel.RebuildRunning, Phase: PhaseLoad, StartedAt: time.Now().UTC()}
	b.status[name] = st
	b.wg.Add(1)
	go b.run(name)
	return st, nil
}

func (b *Rebuilds) run(name string) {
	defer b.wg.Done()
	res, err := b.runner.RebuildWith(b.ctx, name, RebuildOptions{Progress: func(p Progress) {
		b.update(name, func(st *readmodel.RebuildStatus) {
			st.Phase, st.Position, st.Events, st.Total = p.Phase, p.Position, p.Events, p.Total
			st.EventsPerSecond = math.Round(p.Rate())
			st.ETASeconds = math.Round(p.ETA().Seconds())
		})
	}})
	finished := time.Now().UTC()
	b.update(name, func(st *readmodel.RebuildStatus) {
		st.FinishedAt = &finished
		st.ETASeconds = 0
		if err != nil {
			st.State, st.Error = readmodel.RebuildFailed, err.Error()
			return
		}
		st.State, st.Phase, st.Position = readmodel.RebuildDone, PhaseFinished, res.Position
	})
	if err != nil {
		b.log.Error("rebuild failed", slog.String("projection", name), slog.Any("error", err))
		return
	}
	b.log.Info("rebuilt", slog.String("projection", name), slog.Int64("events", res.Events), slog.Duration("took", res.Elapsed))
}

func (b *Rebuilds) update(name string, f func(*readmodel.RebuildStatus)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.status[name]
	f(&st)
	b.status[name] = st
}

// Status is the last rebuild of name started here, if any.
func (b *Rebuilds) Status(name string) (readmodel.RebuildStatus, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st, ok := b.status[name]
	return st, ok
}

// Wait returns once every rebuild started here has ended.
func (b *Rebuilds) Wait() { b.wg.Wait() }
