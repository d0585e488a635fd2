package domain

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Target is the target aggregate, folded from its stream. It decides whether
// an enrichment request opens a new job.
type Target struct {
	domain    Domain
	profile   *TargetProfile
	batchID   uuid.UUID
	withdrawn bool
	active    *EnrichmentJobOpened
	// lastCompleted is the newest job that ended completed.
	lastCompleted   uuid.UUID
	lastCompletedAt time.Time
	version         int64
}

// LoadTarget folds a target stream; an empty stream is a target we know
// nothing about yet (any domain may be enriched on demand).
func LoadTarget(d Domain, events []RecordedEvent) (*Target, error) {
	t := &Target{domain: d}
	for _, re := range events {
		t.version = re.StreamVersion
		if re.Type == TypeScoreComputed {
			// The largest payload on the stream, and nothing the aggregate
			// decides on: skipping its decoding keeps loading cheap as a
			// target's history grows.
			continue
		}
		e, err := Decode(re.Type, re.Data)
		if err != nil {
			return nil, err
		}
		if err := t.apply(e); err != nil {
			return nil, fmt.Errorf("target stream %s version %d: %w", re.StreamID, re.StreamVersion, err)
		}
	}
	return t, nil
}

func (t *Target) apply(e Event) error {
	switch e := e.(type) {
	case TargetImported:
		p := e.Profile
		t.profile, t.batchID, t.withdrawn = &p, e.BatchID, false
	case TargetImportReverted:
		if e.BatchID == t.batchID {
			t.withdrawn = true
		}
	case EnrichmentJobOpened:
		t.active = &e
	case EnrichmentJobClosed:
		if t.active != nil && t.active.JobID == e.JobID {
			t.active = nil
		}
		if e.Outcome == JobCompleted && !e.ClosedAt.Before(t.lastCompletedAt) {
			t.lastCompleted, t.lastCompletedAt = e.JobID, e.ClosedAt
		}
	default:
		return fmt.Errorf("unexpected %s in a target stream", e.EventType())
	}
	return nil
}

func (t *Target) Domain() Domain { return t.domain }
func (t *Target) Version() int64 { return t.version }

// Profile is the imported profile, nil when the target was never imported.
func (t *Target) Profile() *TargetProfile { return t.profile }

// Withdrawn reports whether the target's import was reverted.
func (t *Target) Withdrawn() bool { return t.withdrawn }

// ImportBatch is the batch that last imported the target.
func (t *Target) ImportBatch() uuid.UUID { return t.batchID }

// EnrichmentPolicy holds the tunables of RequestEnrichment.
type EnrichmentPolicy struct {
	// FreshnessWindow: a target enriched successfully more recently than this
	// is not fetched again unless forced.
	FreshnessWindow time.Duration
	// JobTTL: an unfinished job expires this long after it was opened.
	JobTTL time.Duration
}

// DefaultEnrichmentPolicy is 24 h freshness and 24 h job lifetime.
var DefaultEnrichmentPolicy = EnrichmentPolicy{FreshnessWindow: 24 * time.Hour, JobTTL: 24 * time.Hour}

// EnrichmentRequest is a validated request to enrich a target.
type EnrichmentRequest struct {
	Providers   []Provider
	Force       bool
	RequestedBy string
	// Ticker overrides the profile's ticker for Yahoo Finance, if set.
	Ticker string
}

// EnrichmentDecision is what a request comes to.
type EnrichmentDecision struct {
	// JobID is the job that answers the request: a new one, the one in
	// flight, or the last completed one.
	JobID uuid.UUID
	// Reused is why no job was opened: "in_flight" or "fresh"; "" for a new job.
	Reused string
	// TargetEvents and JobEvents are to be appended, for a new job.
	TargetEvents []Event
	JobEvents    []Event
}

// ErrNoRequester refuses an anonymous request: every job names who asked.
var ErrNoRequester = errors.New("enrichment request without a requester")

// RequestEnrichment decides whether req opens a job. A job in flight (and
// not yet expired) answers every request, forced or not, so fifty reps
// clicking at once share one job. Without force, a target completed within
// the freshness window answers with its last completed job.
func (t *Target) RequestEnrichment(req EnrichmentRequest, policy EnrichmentPolicy, now time.Time, newID func() uuid.UUID) (EnrichmentDecision, error) {
	if req.RequestedBy == "" {
		return EnrichmentDecision{}, ErrNoRequester
	}
	if len(req.Providers) == 0 {
		return EnrichmentDecision{}, errors.New("enrichment request names no provider")
	}
	if t.active != nil && now.Before(t.active.ExpiresAt) {
		return EnrichmentDecision{JobID: t.active.JobID, Reused: "in_flight"}, nil
	}
	if !req.Force && t.lastCompleted != uuid.Nil && now.Sub(t.lastCompletedAt) < policy.FreshnessWindow {
		return EnrichmentDecision{JobID: t.lastCompleted, Reused: "fresh"}, nil
	}
	id := newID()
	expires := now.Add(policy.JobTTL)
	ticker := req.Ticker
	if ticker == "" && t.profile != nil {
		ticker = t.profile.Ticker
	}
	return EnrichmentDecision{
		JobID: id,
		TargetEvents: []Event{EnrichmentJobOpened{
			JobID: id, Domain: t.domain, Providers: req.Providers, RequestedBy: req.RequestedBy, OpenedAt: now, ExpiresAt: expires,
		}},
		JobEvents: []Event{EnrichmentRequested{
			JobID: id, Domain: t.domain, Providers: req.Providers, Force: req.Force, RequestedBy: req.RequestedBy,
			RequestedAt: now, ExpiresAt: expires, Ticker: ticker,
		}},
	}, nil
}
