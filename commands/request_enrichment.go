package commands

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

// RequestEnrichment asks for a target's data to be fetched again.
type RequestEnrichment struct {
	Domain domain.Domain
	Force  bool
	// Providers to fetch; empty means every provider whose data is stale
	// (all three when forced).
	Providers []domain.Provider
	// Add makes the domain a target if it is not one; without it, a domain
	// that is not a target is refused with domain.ErrNotATarget.
	Add         bool
	RequestedBy string
	// EnrichmentsPerDay is the requester's budget of new jobs per UTC day
	// (the API key tier's); 0 or domain.Unlimited is no daily budget, as
	// for jobs the service opens itself. Joining a job in flight or a fresh
	// answer never spends it.
	EnrichmentsPerDay int
	Metadata          domain.Metadata
}

// EnrichmentAccepted says which job answers a request.
type EnrichmentAccepted struct {
	JobID uuid.UUID
	// Reused says whether the job is new or one that already answered.
	Reused domain.Reuse
}

// JobObserver hears of each job this instance opens, after its events are
// stored. The enrichment pipeline uses it to start work without waiting for
// its event subscription; the subscription remains the durable path.
type JobObserver interface {
	JobOpened(ctx context.Context, job domain.EnrichmentRequested)
}

// RequestEnrichmentHandler opens enrichment jobs.
type RequestEnrichmentHandler struct {
	repo         Repository
	policy       domain.EnrichmentPolicy
	perRequester int
	now          Clock
	observers    []JobObserver
}

// Observe registers an observer of opened jobs.
func (h *RequestEnrichmentHandler) Observe(o JobObserver) { h.observers = append(h.observers, o) }

// NewRequestEnrichmentHandler needs the store, the freshness and expiry
// policy, and the limit of jobs one requester may have in flight.
func NewRequestEnrichmentHandler(store EventStore, policy domain.EnrichmentPolicy, perRequester int, now Clock) *RequestEnrichmentHandler {
	if store == nil || now == nil {
		panic("commands.NewRequestEnrichmentHandler: nil dependency")
	}
	if perRequester < 1 {
		panic("commands.NewRequestEnrichmentHandler: limit below 1")
	}
	return &RequestEnrichmentHandler{repo: NewRepository(store), policy: policy, perRequester: perRequester, now: now}
}

// Handle opens a job, or answers with the job in flight or the last fresh
// one. Opening appends to three streams at once — the target (the guard
// that makes concurrent requests share one job), the requester (the guard
// of the per-requester limits: jobs in flight and jobs per UTC day) and the
// new job — with expected versions, so a lost race reloads and decides
// again: two concurrent requests can never both take the day's last job.
func (h *RequestEnrichmentHandler) Handle(ctx context.Context, cmd RequestEnrichment) (EnrichmentAccepted, error) {
	if cmd.Domain.IsZero() {
		return EnrichmentAccepted{}, fmt.Errorf("request enrichment: %w", domain.ErrInvalidDomain)
	}
	meta := cmd.Metadata
	if meta.Actor == "" {
		meta.Actor = cmd.RequestedBy
	}
	var (
		out    EnrichmentAccepted
		opened domain.EnrichmentRequested
	)
	err := h.repo.Retry(ctx, "request enrichment of "+cmd.Domain.String(), func() error {
		// The requester is read with the target, in the same round trip,
		// before knowing whether a job opens: a request that joins a job
		// pays a short read it does not use, an opening saves a round trip.
		target, requester, err := h.load(ctx, cmd)
		if err != nil {
			return err
		}
		now := h.now()
		dec, err := target.RequestEnrichment(domain.EnrichmentRequest{
			Providers: cmd.Providers, Force: cmd.Force, Add: cmd.Add, RequestedBy: cmd.RequestedBy,
		}, h.policy, now, uuid.New)
		if err != nil {
			return err
		}
		out = EnrichmentAccepted{JobID: dec.JobID, Reused: dec.Reused}
		if dec.Reused != domain.NewJob {
			return nil
		}
		opened = dec.JobEvents[0].(domain.EnrichmentRequested)
		if requester == nil {
			if requester, err = h.repo.Requester(ctx, cmd.RequestedBy); err != nil {
				return err
			}
		}
		started, err := requester.StartJob(opened, domain.JobLimits{InFlight: h.perRequester, PerDay: cmd.EnrichmentsPerDay}, now)
		if err != nil {
			return err
		}
		// The job's id correlates every event of the job, from this request
		// on (domain.JobMetadata); the request itself is their cause.
		meta.CorrelationID = dec.JobID.String()
		if meta.CausationID == "" && meta.RequestID != "" {
			meta.CausationID = "request:" + meta.RequestID
		}
		// Every id derives from the job (domain.RequestEventID relies on
		// it): a retried save cannot open it twice.
		key := dec.JobID.String()
		_, err = h.repo.Save(ctx, meta,
			Change{Stream: domain.TargetStream(target.Domain()), Expected: domain.ExactVersion(target.Version()), Events: dec.TargetEvents, ID: ByType(key)},
			Change{Stream: domain.RequesterStream(cmd.RequestedBy), Expected: domain.ExactVersion(requester.Version()), Events: []domain.Event{started}, ID: ByType(key)},
			Change{Stream: domain.JobStream(dec.JobID), Expected: domain.NoStream, Events: dec.JobEvents, ID: ByType(key)},
		)
		return err
	})
	if err != nil {
		return EnrichmentAccepted{}, fmt.Errorf("request enrichment of %s: %w", cmd.Domain, err)
	}
	if out.Reused == domain.NewJob {
		for _, o := range h.observers {
			o.JobOpened(ctx, opened)
		}
	}
	return out, nil
}

// load reads the target and, when the request names one and the store
// reads both in one round trip, its requester (else nil: Handle loads it
// once a job opens).
func (h *RequestEnrichmentHandler) load(ctx context.Context, cmd RequestEnrichment) (*domain.Target, *domain.Requester, error) {
	if cmd.RequestedBy == "" {
		// Refused by the target's decision (domain.ErrNoRequester).
		t, err := h.repo.Target(ctx, cmd.Domain)
		return t, nil, err
	}
	return h.repo.TargetAndRequester(ctx, cmd.Domain, cmd.RequestedBy)
}
