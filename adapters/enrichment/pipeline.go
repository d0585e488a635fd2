package enrichment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
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
	// for events (default messaging.DefaultPollInterval).
	PollInterval time.Duration
	// Lease is how long a worker owns a task before another may take it
	// over; it must exceed the longest fetch, retries included (default 2 min).
	Lease time.Duration
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
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
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
}

// Pipeline is one instance's share of the enrichment work.
type Pipeline struct {
	Deps
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
	return &Pipeline{Deps: d, cfg: cfg.withDefaults(), wake: make(chan struct{}, 1), opened: make(chan domain.EnrichmentRequested, 1024)}, nil
}

// AddHandlers subscribes the pipeline's handlers on the router.
func (p *Pipeline) AddHandlers(r *message.Router, logger watermill.LoggerAdapter) error {
	sc := messaging.SubscriberConfig{PollInterval: p.cfg.PollInterval}
	for _, h := range p.handlers() {
		h.Observe = p.observeLag
		if err := messaging.AddHandler(r, p.Pool, h, sc, logger); err != nil {
			return err
		}
	}
	return nil
}

// handlers are the pipeline's consumer groups: the dispatcher turns new
// jobs into fetch tasks, the completion handler ends jobs.
func (p *Pipeline) handlers() []messaging.Handler {
	return []messaging.Handler{
		messaging.NewHandler(DispatcherName, messaging.On(p.dispatch)),
		messaging.NewHandler(CompletionName, messaging.On(p.completeFetched), messaging.On(p.completeFailed)),
	}
}

func (p *Pipeline) observeLag(handler string, lag time.Duration) {
	if p.Metrics != nil {
		p.Metrics.handlerLag.WithLabelValues(handler).Set(lag.Seconds())
		p.Metrics.handled.WithLabelValues(handler, "true").Inc()
	}
}

// dispatch turns a new job into fetch tasks. A redelivered request, or one
// the fast path already handled, finds the work queued or the job ended and
// adds nothing.
func (p *Pipeline) dispatch(ctx context.Context, _ domain.RecordedEvent, req domain.EnrichmentRequested) error {
	if queued, err := p.Queue.Queued(ctx, req.JobID); err != nil || queued {
		return err
	}
	evs, err := p.Store.ReadStream(ctx, domain.JobStream(req.JobID), 0, 1000)
	if err != nil {
		return err
	}
	job, err := domain.LoadJob(evs)
	if err != nil {
		return err
	}
	if job.Status().Finished() || len(job.Pending()) == 0 {
		return nil
	}
	return p.enqueue(ctx, job.Request(), job.Pending())
}

// JobOpened is the fast path of a job opened by this instance: its fetches
// are enqueued at once rather than after the dispatcher's next poll. It only
// hands the job to Run, so the request that opened it does not wait for the
// enqueueing; when the hand-over queue is full, or the instance stops first,
// the dispatcher's subscription does the work.
func (p *Pipeline) JobOpened(_ context.Context, job domain.EnrichmentRequested) {
	select {
	case p.opened <- job:
	default:
	}
}

// enqueueOpened drains the fast path. A job just opened has every provider
// pending.
func (p *Pipeline) enqueueOpened(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case job := <-p.opened:
			if err := p.enqueue(ctx, job, job.Providers); err != nil && ctx.Err() == nil {
				p.Logger.Warn("enqueue new job; the dispatcher will", slog.String("job_id", job.JobID.String()), slog.Any("error", err))
			}
		}
	}
}

func (p *Pipeline) enqueue(ctx context.Context, req domain.EnrichmentRequested, pending []domain.Provider) error {
	if err := p.Queue.Enqueue(ctx, req, pending); err != nil {
		return err
	}
	p.Notify()
	return nil
}

func (p *Pipeline) completeFetched(ctx context.Context, rec domain.RecordedEvent, e domain.ProviderFetched) error {
	return p.complete(ctx, rec, e.JobID)
}

func (p *Pipeline) completeFailed(ctx context.Context, rec domain.RecordedEvent, e domain.ProviderFailed) error {
	return p.complete(ctx, rec, e.JobID)
}

// complete ends a job once its last provider reported. FinishJob is
// idempotent, so a redelivery after a crash between its append and the
// acknowledgement appends nothing.
func (p *Pipeline) complete(ctx context.Context, e domain.RecordedEvent, jobID uuid.UUID) error {
	// A job without work has ended (its work is dropped right after its
	// ending is stored): no need to read its stream.
	if queued, err := p.Queue.Queued(ctx, jobID); err != nil || !queued {
		return err
	}
	meta := domain.Metadata{CorrelationID: e.Metadata.CorrelationID, CausationID: e.ID.String(), Actor: CompletionName}
	return p.finish(ctx, jobID, meta)
}

// finish ends the job if every provider reported, and drops its work.
func (p *Pipeline) finish(ctx context.Context, jobID uuid.UUID, meta domain.Metadata) error {
	res, err := p.Jobs.FinishJob(ctx, p.Store, jobID, meta)
	if err != nil {
		return err
	}
	if !res.Done {
		return nil
	}
	p.countEnded(res)
	return p.Queue.Finish(ctx, p.Pool, jobID)
}

func (p *Pipeline) countEnded(res commands.Finished) {
	if p.Metrics != nil {
		p.Metrics.jobsEnded.WithLabelValues(string(res.Status)).Inc()
	}
}

// Notify wakes idle workers: new tasks are waiting.
func (p *Pipeline) Notify() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
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

	slots := make(chan struct{}, p.cfg.Workers)
	tick := time.NewTicker(p.cfg.PollInterval)
	defer tick.Stop()
	for {
		free := p.cfg.Workers - len(slots)
		if free > 0 {
			tasks, err := p.Queue.Claim(ctx, free, p.cfg.Lease)
			if err != nil && ctx.Err() == nil {
				p.Logger.Error("claim fetch tasks", slog.Any("error", err))
			}
			for _, t := range tasks {
				slots <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-slots; p.Notify() }()
					p.work(ctx, t)
				}()
			}
			if len(tasks) == free {
				continue // more may be waiting
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-p.wake:
		case <-tick.C:
		}
	}
}

// work runs one task: fetch outside any transaction, record the outcome,
// drop the task. A crash between the fetch and the record leaves the task
// leased; once the lease runs out another worker fetches again and records
// under the same event id, so the job sees one outcome.
func (p *Pipeline) work(ctx context.Context, t postgres.FetchTask) {
	log := p.Logger.With(slog.String("job_id", t.JobID.String()), slog.String("provider", string(t.Provider)), slog.String("domain", t.Domain.String()))
	defer func() {
		if r := recover(); r != nil {
			log.Error("fetch panicked; the task will be leased again", slog.Any("panic", r))
		}
	}()
	if p.Metrics != nil {
		p.Metrics.busyWorkers.Inc()
		defer p.Metrics.busyWorkers.Dec()
	}
	var outcome domain.ProviderOutcome
	if t.Leases > p.cfg.MaxLeases {
		outcome = gaveUp(t)
	} else {
		// A fetch must end before its lease does, or a second worker would
		// start the same fetch.
		fctx, cancel := context.WithTimeout(ctx, p.cfg.Lease*4/5)
		outcome = fetchOutcome(fctx, p.Fetchers[t.Provider], t)
		cancel()
		if ctx.Err() != nil {
			// Shutting down: what failed was our patience, not the
			// provider. The lease hands the task to the next instance.
			log.Info("fetch abandoned at shutdown")
			return
		}
	}
	meta := domain.Metadata{CorrelationID: t.JobID.String(), Actor: "fetch_worker"}
	if err := p.Jobs.RecordOutcome(ctx, p.Store, outcome, meta); err != nil {
		log.Error("record provider outcome", slog.Any("error", err))
		return
	}
	others, err := p.Queue.Done(ctx, t.JobID, t.Provider)
	if err != nil {
		log.Error("drop finished task", slog.Any("error", err))
		return
	}
	// Fast path: the worker that records the last outcome ends the job at
	// once. The completion handler, reacting to the outcome event, is the
	// durable path: it ends the job when this does not (two last workers
	// each seeing the other's task, a crash) and otherwise finds it ended.
	if others == 0 {
		if err := p.finish(ctx, t.JobID, meta); err != nil {
			log.Warn("end job; the completion handler will", slog.Any("error", err))
		}
	}
	if outcome.Failed != nil {
		log.Warn("provider failed", slog.String("code", string(outcome.Failed.Code)), slog.Int("attempts", outcome.Failed.Attempts))
	}
}

// sweep periodically fails expired jobs and finishes jobs whose completion
// was lost (every provider reported, but no handler ended the job).
func (p *Pipeline) sweep(ctx context.Context) {
	tick := time.NewTicker(p.cfg.SweepInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := p.SweepOnce(ctx); err != nil && ctx.Err() == nil {
			p.Logger.Error("sweep jobs", slog.Any("error", err))
		}
	}
}

// SweepOnce does one sweep; tests and the CLI call it directly.
func (p *Pipeline) SweepOnce(ctx context.Context) error {
	now := p.Now()
	meta := domain.Metadata{Actor: "sweeper"}
	expired, err := p.Queue.Expired(ctx, now, 100)
	if err != nil {
		return err
	}
	stalled, err := p.Queue.Stalled(ctx, now.Add(-p.cfg.SweepInterval), 100)
	if err != nil {
		return err
	}
	end := func(id uuid.UUID, fn func(context.Context, commands.EventStore, uuid.UUID, domain.Metadata) (commands.Finished, error)) error {
		res, err := fn(ctx, p.Store, id, meta)
		if err != nil {
			return err
		}
		if !res.Done {
			return nil
		}
		p.countEnded(res)
		return p.Queue.Finish(ctx, p.Pool, id)
	}
	var errs []error
	for _, id := range expired {
		errs = append(errs, end(id, p.Jobs.ExpireJob))
	}
	for _, id := range stalled {
		errs = append(errs, end(id, p.Jobs.FinishJob))
	}
	if p.Metrics != nil {
		if queued, leased, err := p.Queue.Depth(ctx); err == nil {
			p.Metrics.queuedTasks.Set(float64(queued))
			p.Metrics.leasedTasks.Set(float64(leased))
		}
	}
	return errors.Join(errs...)
}
