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
	Metadata    domain.Metadata
}

// EnrichmentAccepted says which job answers a request.
type EnrichmentAccepted struct {
	JobID uuid.UUID
	// Reused is "in_flight" when the request joined a job already running,
	// "fresh" when the target was enriched recently and nothing was
	// requested, and "" for a new job.
	Reused string
}

// JobObserver hears of each job this instance opens, after its events are
// stored. The enrichment pipeline uses it to start work without waiting for
// its event subscription; the subscription remains the durable path.
type JobObserver interface {
	JobOpened(ctx context.Context, job domain.EnrichmentRequested)
}

// RequestEnrichmentHandler opens enrichment jobs.
type RequestEnrichmentHandler struct {
	store        EventStore
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
	return &RequestEnrichmentHandler{store: store, policy: policy, perRequester: perRequester, now: now}
}

// Handle opens a job, or answers with the job in flight or the last fresh
// one. Opening appends to three streams at once — the target (the guard
// that makes concurrent requests share one job), the requester (the guard
// of the per-requester limit) and the new job — with expected versions, so
// a lost race reloads and decides again.
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
	err := retryOnConflict(ctx, "request enrichment of "+cmd.Domain.String(), func() error {
		target, err := loadTarget(ctx, h.store, cmd.Domain)
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
		if dec.Reused != "" {
			return nil
		}
		requester, err := loadRequester(ctx, h.store, cmd.RequestedBy)
		if err != nil {
			return err
		}
		if err := requester.CheckLimit(h.perRequester, now); err != nil {
			return err
		}
		opened = dec.JobEvents[0].(domain.EnrichmentRequested)
		return h.open(ctx, target, requester, dec, opened, meta)
	})
	if err != nil {
		return EnrichmentAccepted{}, fmt.Errorf("request enrichment of %s: %w", cmd.Domain, err)
	}
	if out.Reused == "" {
		for _, o := range h.observers {
			o.JobOpened(ctx, opened)
		}
	}
	return out, nil
}

func (h *RequestEnrichmentHandler) open(ctx context.Context, target *domain.Target, requester *domain.Requester, dec domain.EnrichmentDecision, opened domain.EnrichmentRequested, meta domain.Metadata) error {
	if meta.CorrelationID == "" {
		meta.CorrelationID = dec.JobID.String()
	}
	key := dec.JobID.String()
	targetEvs, err := encodeAll(key, meta, dec.TargetEvents...)
	if err != nil {
		return err
	}
	jobEvs, err := encodeAll(key, meta, dec.JobEvents...)
	if err != nil {
		return err
	}
	reqEvs, err := encodeAll(key, meta, domain.RequesterJobStarted{
		Requester: opened.RequestedBy, JobID: dec.JobID, Domain: opened.Domain, ExpiresAt: opened.ExpiresAt,
	})
	if err != nil {
		return err
	}
	_, err = h.store.AppendStreams(ctx,
		domain.StreamAppend{Stream: domain.TargetStream(target.Domain()), Expected: domain.ExactVersion(target.Version()), Events: targetEvs},
		domain.StreamAppend{Stream: domain.RequesterStream(opened.RequestedBy), Expected: domain.ExactVersion(requester.Version()), Events: reqEvs},
		domain.StreamAppend{Stream: domain.JobStream(dec.JobID), Expected: domain.NoStream, Events: jobEvs},
	)
	return err
}
