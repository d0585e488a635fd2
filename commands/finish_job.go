package commands

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

// JobHandler records provider outcomes and ends jobs. The enrichment runtime
// calls it from watermill handlers, workers and the sweeper, never in a
// subscriber's transaction: handlers write through the pool's event store,
// and a worker records an outcome in its own short transaction, the one that
// also drops the fetch task under its lease.
type JobHandler struct {
	now Clock
}

// NewJobHandler returns a handler using now for event times.
func NewJobHandler(now Clock) *JobHandler {
	if now == nil {
		panic("commands.NewJobHandler: nil clock")
	}
	return &JobHandler{now: now}
}

// RecordOutcome appends one provider's outcome to its job. The event id is
// derived from (job, provider), so a refetch after a crash or a repeated
// call stores nothing new: the first outcome stands.
func (h *JobHandler) RecordOutcome(ctx context.Context, store EventStore, o domain.ProviderOutcome, meta domain.Metadata) error {
	e, jobID, p, err := o.Event()
	if err != nil {
		return fmt.Errorf("record outcome: %w", err)
	}
	id := domain.EventID(jobID.String(), "provider", string(p))
	_, err = NewRepository(store).Save(ctx, meta, Change{
		Stream: domain.JobStream(jobID), Expected: domain.AnyVersion, Events: []domain.Event{e},
		ID: func(int, domain.Event) uuid.UUID { return id },
	})
	if err != nil {
		return fmt.Errorf("record %s outcome of job %s: %w", p, jobID, err)
	}
	return nil
}

// Finished tells the caller what FinishJob or ExpireJob did.
type Finished struct {
	Status domain.JobStatus
	// Done is true when the job has ended, now or before.
	Done bool
}

// FinishJob ends the job when every requested provider has reported: it
// scores the target and appends the job's outcome, the target's score and
// job closure, and the requester's released slot, all at once. It does
// nothing while providers are pending, and nothing again for a job already
// ended, so redelivered messages are harmless.
func (h *JobHandler) FinishJob(ctx context.Context, store EventStore, jobID uuid.UUID, meta domain.Metadata) (Finished, error) {
	return h.end(ctx, store, jobID, meta, func(j *domain.Job, t *domain.Target) ([]domain.Event, []domain.Event, error) {
		if len(j.Pending()) > 0 {
			return nil, nil, nil // not done yet: spare the reads below
		}
		prior, err := priorFetches(ctx, NewRepository(store), j, t)
		if err != nil {
			return nil, nil, err
		}
		jobEvents, targetEvents := j.Finish(t.Knowledge(prior), h.now())
		return jobEvents, targetEvents, nil
	})
}

// priorFetches loads the data of the earlier fetches the target knows of,
// for the input groups this job did not fetch: at most one small job stream
// per group, and none for a full refresh.
func priorFetches(ctx context.Context, repo Repository, j *domain.Job, t *domain.Target) (map[domain.InputGroup]domain.Fetch, error) {
	fetched := j.Fetches()
	return knownFetches(ctx, repo, t, func(g domain.InputGroup, src domain.InputSource) bool {
		_, ok := fetched[g]
		return ok || src.JobID == j.ID()
	})
}

// knownFetches loads the data of the fetches the target knows of, per input
// group, except the groups skip names.
func knownFetches(ctx context.Context, repo Repository, t *domain.Target, skip func(domain.InputGroup, domain.InputSource) bool) (map[domain.InputGroup]domain.Fetch, error) {
	prior := map[domain.InputGroup]domain.Fetch{}
	jobs := map[uuid.UUID]*domain.Job{}
	for g, src := range t.Known() {
		if skip(g, src) {
			continue
		}
		earlier, ok := jobs[src.JobID]
		if !ok {
			var err error
			if earlier, err = repo.Job(ctx, src.JobID); err != nil {
				return nil, fmt.Errorf("load job %s that fed %s: %w", src.JobID, g, err)
			}
			jobs[src.JobID] = earlier
		}
		if f, ok := earlier.Fetches()[g]; ok {
			prior[g] = domain.Fetch{Source: src, Data: f.Data}
		}
	}
	return prior, nil
}

// ExpireJob fails a job that outlived its expiry time with reason expired.
func (h *JobHandler) ExpireJob(ctx context.Context, store EventStore, jobID uuid.UUID, meta domain.Metadata) (Finished, error) {
	return h.end(ctx, store, jobID, meta, func(j *domain.Job, _ *domain.Target) ([]domain.Event, []domain.Event, error) {
		jobEvents, targetEvents := j.Expire(h.now())
		return jobEvents, targetEvents, nil
	})
}

func (h *JobHandler) end(ctx context.Context, store EventStore, jobID uuid.UUID, meta domain.Metadata, decide func(*domain.Job, *domain.Target) ([]domain.Event, []domain.Event, error)) (Finished, error) {
	repo := NewRepository(store)
	var out Finished
	err := repo.Retry(ctx, "end job "+jobID.String(), func() error {
		job, err := repo.Job(ctx, jobID)
		if err != nil {
			return err
		}
		out = Finished{Status: job.Status(), Done: job.Status().Finished()}
		if out.Done {
			return nil
		}
		target, err := repo.Target(ctx, job.Domain())
		if err != nil {
			return err
		}
		jobEvents, targetEvents, err := decide(job, target)
		if err != nil {
			return err
		}
		if len(jobEvents) == 0 {
			return nil
		}
		// One id per job for its ending, whichever way it ends: a completion
		// and an expiry racing each other cannot both land.
		key := jobID.String()
		_, err = repo.Save(ctx, meta,
			Change{Stream: domain.JobStream(jobID), Expected: domain.ExactVersion(job.Version()), Events: jobEvents, ID: ByIndex(key, "ended")},
			Change{Stream: domain.TargetStream(job.Domain()), Expected: domain.ExactVersion(target.Version()), Events: targetEvents, ID: ByType(key)},
			Change{Stream: domain.RequesterStream(job.Request().RequestedBy), Expected: domain.AnyVersion, Events: []domain.Event{job.ReleaseRequester()}, ID: ByType(key)},
		)
		if err != nil {
			return err
		}
		out = Finished{Status: domain.EndingStatus(jobEvents[0]), Done: true}
		return nil
	})
	if err != nil {
		return Finished{}, fmt.Errorf("end job %s: %w", jobID, err)
	}
	return out, nil
}
