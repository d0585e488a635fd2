package enrichment

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/domain"
)

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
// pending, and its stream holds only the request.
func (p *Pipeline) enqueueOpened(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case job := <-p.opened:
			if err := p.enqueue(ctx, job, job.Providers, openedJobVersion); err != nil && ctx.Err() == nil {
				p.deps.Logger.Warn("enqueue new job; the dispatcher will", slog.String("job_id", job.JobID.String()), slog.Any("error", err))
			}
		}
	}
}

// openedJobVersion is a job stream's version when the job has just been
// opened: the EnrichmentRequested event alone.
const openedJobVersion = 1

// enqueue adds the job's pending fetches, unless its stream has moved past
// seen, the version they were read at.
func (p *Pipeline) enqueue(ctx context.Context, req domain.EnrichmentRequested, pending []domain.Provider, seen int64) error {
	if err := p.deps.Queue.Enqueue(ctx, req, pending, seen); err != nil {
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
	if queued, err := p.deps.Queue.Queued(ctx, jobID); err != nil || !queued {
		return err
	}
	meta := domain.JobMetadata(jobID, CompletionName)
	meta.CausationID = e.ID.String()
	return p.finish(ctx, jobID, meta)
}

// work runs one task: fetch outside any transaction, then record the
// outcome and drop the task in one transaction fenced by the claim's token.
// A crash between the fetch and the record leaves the task leased; once the
// lease runs out another worker fetches again. A worker that was paused past
// its lease (a stop-the-world pause, an exhausted pool, SIGSTOP) finds its
// token stale when it wakes: it records nothing and leaves the task to its
// new holder, so the job sees one outcome per provider.
func (p *Pipeline) work(ctx context.Context, t postgres.FetchTask) {
	log := p.deps.Logger.With(slog.String("job_id", t.JobID.String()), slog.String("provider", string(t.Provider)),
		slog.String("domain", t.Domain.String()), slog.Int("lease", t.Leases))
	defer func() {
		if r := recover(); r != nil {
			log.Error("fetch panicked; the task will be leased again", slog.Any("panic", r))
		}
	}()
	if p.deps.Metrics != nil {
		p.deps.Metrics.busyWorkers.Inc()
		defer p.deps.Metrics.busyWorkers.Dec()
	}
	var outcome domain.ProviderOutcome
	if t.Leases > p.cfg.MaxLeases {
		outcome = gaveUp(t)
	} else {
		fctx, cancel := context.WithTimeout(ctx, p.cfg.FetchTimeout)
		lost := p.keepLease(fctx, cancel, t, log)
		outcome = fetchOutcome(fctx, p.deps.Fetchers[t.Provider], t)
		cancel()
		if lost() {
			p.leaseLost(log)
			return
		}
		if ctx.Err() != nil {
			// Shutting down: what failed was our patience, not the
			// provider. The lease hands the task to the next instance.
			log.Info("fetch abandoned at shutdown")
			return
		}
	}
	meta := domain.JobMetadata(t.JobID, "fetch_worker")
	others, err := p.deps.Queue.Complete(ctx, t, func(ctx context.Context, tx pgx.Tx) error {
		return p.deps.Jobs.RecordOutcome(ctx, p.deps.Store.WithTx(tx), outcome, meta)
	})
	if errors.Is(err, postgres.ErrLeaseLost) {
		p.leaseLost(log)
		return
	}
	if err != nil {
		log.Error("complete fetch task", slog.Any("error", err))
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

// leaseLost notes a fetch whose task another worker took over.
func (p *Pipeline) leaseLost(log *slog.Logger) {
	log.Warn("lease lost; the task was taken over, its outcome is not recorded here")
	if p.deps.Metrics != nil {
		p.deps.Metrics.leasesLost.Inc()
	}
}

// keepLease renews t's lease every Lease/3 until ctx ends. When a renewal
// finds the lease taken over it cancels the fetch (cancel) and lost reports
// true from then on; a renewal that fails for another reason (the database
// away for a moment) is retried at the next tick, and the fenced record
// decides in the end. lost waits for the renewals to stop, so call it after
// ctx has ended.
func (p *Pipeline) keepLease(ctx context.Context, cancel context.CancelFunc, t postgres.FetchTask, log *slog.Logger) (lost func() bool) {
	var taken atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(max(p.cfg.Lease/3, time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			err := p.deps.Queue.Extend(ctx, t, p.cfg.Lease)
			switch {
			case errors.Is(err, postgres.ErrLeaseLost):
				taken.Store(true)
				cancel()
				return
			case err != nil && ctx.Err() == nil:
				log.Warn("renew lease; retrying at the next renewal", slog.Any("error", err))
			}
		}
	}()
	return func() bool {
		<-done
		return taken.Load()
	}
}

// Notify wakes idle workers: new tasks are waiting.
func (p *Pipeline) Notify() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// idlePoll is how often idle workers look for tasks: woken by Notify, they
// only need the fallback poll.
func (p *Pipeline) idlePoll() time.Duration {
	if p.deps.Wake != nil {
		return p.cfg.Rest
	}
	return p.cfg.PollInterval
}

// runWorkers leases tasks for up to cfg.Workers concurrent fetches until
// ctx ends; wg tracks the fetches so Run can wait for them.
func (p *Pipeline) runWorkers(ctx context.Context, wg *sync.WaitGroup) {
	slots := make(chan struct{}, p.cfg.Workers)
	tick := time.NewTicker(p.idlePoll())
	defer tick.Stop()
	for {
		free := p.cfg.Workers - len(slots)
		if free > 0 {
			tasks, err := p.deps.Queue.Claim(ctx, free, p.cfg.Lease)
			if err != nil && ctx.Err() == nil {
				p.deps.Logger.Error("claim fetch tasks", slog.Any("error", err))
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
			return
		case <-p.wake:
		case <-tick.C:
		}
	}
}
