package enrichment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerforge/partnerforge/adapters/messaging"
	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

// Consumer groups. They are identities stored in the database: renaming one
// replays every event to it.
const (
	DispatcherName = "enrichment_dispatcher"
	CompletionName = "enrichment_completion"
)

// Config tunes the pipeline. Zero values take the defaults.
type Config struct {
	// Workers bounds concurrent provider fetches in this instance (default 8).
	Workers int
	// PollInterval is how often idle workers look for tasks and subscribers
	// for events (default messaging.DefaultPollInterval). With Deps.Wake,
	// it is only the subscribers' shortest gap between two polls.
	PollInterval time.Duration
	// Rest is, with Deps.Wake, how often idle workers and subscribers look
	// anyway: the fallback that bounds the delay of a lost wake-up (default
	// messaging.DefaultRest).
	Rest time.Duration
	// Lease is how long a worker owns a task before another may take it
	// over (default 30 s). A running fetch renews it every Lease/3, so it
	// bounds how long a dead or paused worker's task waits, not a fetch.
	Lease time.Duration
	// FetchTimeout bounds one fetch, retries included (default 2 min).
	FetchTimeout time.Duration
	// MaxLeases ends a task as failed after this many unfinished leases
	// (default 5).
	MaxLeases int
	// SweepInterval is how often expired and stalled jobs are looked for
	// (default 30 s).
	SweepInterval time.Duration
}

func (c Config) withDefaults() Config {
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.PollInterval <= 0 {
		c.PollInterval = messaging.DefaultPollInterval
	}
	if c.Rest <= 0 {
		c.Rest = messaging.DefaultRest
	}
	if c.Lease <= 0 {
		c.Lease = 30 * time.Second
	}
	if c.FetchTimeout <= 0 {
		c.FetchTimeout = 2 * time.Minute
	}
	if c.MaxLeases <= 0 {
		c.MaxLeases = 5
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = 30 * time.Second
	}
	return c
}

// Deps are the pipeline's collaborators.
type Deps struct {
	Pool     *pgxpool.Pool
	Store    *postgres.EventStore
	Queue    *postgres.WorkQueue
	Jobs     *commands.JobHandler
	Fetchers map[domain.Provider]providers.Fetcher
	Metrics  *Metrics
	Logger   *slog.Logger
	Now      func() time.Time
	// Wake, if set, wakes idle workers and subscribers when tasks are
	// queued or events appended, here or in another instance; they then
	// rest between wake-ups instead of polling every PollInterval.
	Wake Waker
}

// Waker wakes idle workers and subscribers (wakeup.Wakeups). The functions
// it is given must not block.
type Waker interface {
	messaging.Waker
	OnWork(fn func())
}

// Pipeline is one instance's share of the enrichment work: the watermill
// handlers (handlers.go), the worker pool (workers.go) and the sweeper
// (sweeper.go), sharing the collaborators in deps.
type Pipeline struct {
	deps   Deps
	cfg    Config
	wake   chan struct{}
	opened chan domain.EnrichmentRequested
}

// New checks the dependencies and returns a pipeline.
func New(d Deps, cfg Config) (*Pipeline, error) {
	if d.Pool == nil || d.Store == nil || d.Queue == nil || d.Jobs == nil || d.Logger == nil || d.Now == nil {
		return nil, errors.New("enrichment.New: missing dependency")
	}
	for _, p := range domain.AllProviders {
		if d.Fetchers[p] == nil {
			return nil, fmt.Errorf("enrichment.New: no fetcher for %s", p)
		}
	}
	p := &Pipeline{deps: d, cfg: cfg.withDefaults(), wake: make(chan struct{}, 1), opened: make(chan domain.EnrichmentRequested, 1024)}
	if d.Wake != nil {
		d.Wake.OnWork(p.Notify)
	}
	return p, nil
}

// Run works until ctx ends: it leases tasks for up to cfg.Workers concurrent
// fetches and sweeps expired and stalled jobs. On return every fetch it
// started has finished or been abandoned to its lease.
func (p *Pipeline) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(2)
	go func() { defer wg.Done(); p.sweep(ctx) }()
	go func() { defer wg.Done(); p.enqueueOpened(ctx) }()

	p.runWorkers(ctx, &wg)
	return nil
}
