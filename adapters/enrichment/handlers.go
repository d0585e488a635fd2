package enrichment

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/messaging"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

// AddHandlers subscribes the pipeline's handlers on the router.
func (p *Pipeline) AddHandlers(r *message.Router, logger watermill.LoggerAdapter) error {
	sc := messaging.SubscriberConfig{PollInterval: p.cfg.PollInterval}
	if p.deps.Wake != nil {
		sc.Wake, sc.Rest = p.deps.Wake, p.cfg.Rest
	}
	for _, h := range p.handlers() {
		h.Observe = p.observeLag
		if err := messaging.AddHandler(r, p.deps.Pool, h, sc, logger); err != nil {
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

// Handlers are the pipeline's consumer groups, for a re-drive of a message
// one of them gave up on (messaging.Redrive).
func (p *Pipeline) Handlers() []messaging.Handler { return p.handlers() }

func (p *Pipeline) observeLag(handler string, lag time.Duration) {
	if p.deps.Metrics != nil {
		p.deps.Metrics.handlerLag.WithLabelValues(handler).Set(lag.Seconds())
		p.deps.Metrics.handled.WithLabelValues(handler).Inc()
	}
}

// dispatch turns a new job into fetch tasks. A redelivered request, or one
// the fast path already handled, finds the work queued or the job ended and
// adds nothing.
func (p *Pipeline) dispatch(ctx context.Context, _ domain.RecordedEvent, req domain.EnrichmentRequested) error {
	if queued, err := p.deps.Queue.Queued(ctx, req.JobID); err != nil || queued {
		return err
	}
	evs, err := p.deps.Store.ReadStream(ctx, domain.JobStream(req.JobID), 0, 1000)
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
	return p.enqueue(ctx, job.Request(), job.Pending(), job.Version())
}

// finish ends the job if every provider reported, and drops its work.
func (p *Pipeline) finish(ctx context.Context, jobID uuid.UUID, meta domain.Metadata) error {
	return p.end(ctx, jobID, meta, p.deps.Jobs.FinishJob)
}

// endCommand is JobHandler.FinishJob or JobHandler.ExpireJob.
type endCommand func(context.Context, commands.EventStore, uuid.UUID, domain.Metadata) (commands.Finished, error)

// end runs an ending command and, once the job has ended, drops its work.
func (p *Pipeline) end(ctx context.Context, jobID uuid.UUID, meta domain.Metadata, command endCommand) error {
	res, err := command(ctx, p.deps.Store, jobID, meta)
	if err != nil {
		return err
	}
	if !res.Done {
		return nil
	}
	p.countEnded(res)
	return p.deps.Queue.Finish(ctx, p.deps.Pool, jobID)
}

func (p *Pipeline) countEnded(res commands.Finished) {
	if p.deps.Metrics != nil {
		p.deps.Metrics.jobsEnded.WithLabelValues(string(res.Status)).Inc()
	}
}
