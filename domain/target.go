package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Target is the target aggregate, folded from its stream. It decides whether
// an enrichment request opens a new job and for which providers, and knows
// where the newest data of each input group came from.
type Target struct {
	domain       Domain
	profile      *TargetProfile
	profileEvent uuid.UUID
	profileAt    time.Time
	batchID      uuid.UUID
	// imported is the event that last imported the target, which a restore
	// of its batch appends again.
	imported  *TargetImported
	withdrawn bool
	added     bool
	// enrichedBefore marks a target that a job enriched before explicit
	// adding existed: it stays a target.
	enrichedBefore bool
	active         *EnrichmentJobOpened
	// known is, per input group, the newest fetch that delivered data.
	known map[InputGroup]InputSource
	// settled is, per provider, the newest job in which it answered that it
	// has nothing for this target (not found, no ticker).
	settled map[Provider]InputSource
	// lastScore is the newest ScoreComputed's score, as stored: decoded
	// only when a recompute compares it.
	lastScore json.RawMessage
	version   int64
	last      uuid.UUID // the event at version
}

// LoadTarget folds a target stream; an empty stream is a domain that is not
// a target (yet).
func LoadTarget(d Domain, events []RecordedEvent) (*Target, error) {
	t := &Target{domain: d, known: map[InputGroup]InputSource{}, settled: map[Provider]InputSource{}}
	return t, t.fold(events)
}

func (t *Target) fold(events []RecordedEvent) error {
	for _, re := range events {
		t.version, t.last = re.StreamVersion, re.ID
		if re.Type == TypeScoreComputed {
			// The largest payload on the stream: decode only what the
			// aggregate keeps, its sources, and skip the score.
			var sc scoreSources
			data, err := Upcast(re)
			if err == nil {
				err = json.Unmarshal(data, &sc)
			}
			if err != nil {
				return fmt.Errorf("target stream %s version %d: decode %s: %w", re.StreamID, re.StreamVersion, re.Type, err)
			}
			t.applySources(sc)
			t.lastScore = sc.Score
			continue
		}
		e, err := Decode(re)
		if err != nil {
			return err
		}
		if err := t.apply(re, e); err != nil {
			return fmt.Errorf("target stream %s version %d: %w", re.StreamID, re.StreamVersion, err)
		}
	}
	return nil
}

// scoreSources is the part of ScoreComputed the aggregate folds.
type scoreSources struct {
	Sources map[InputGroup]InputSource `json:"sources"`
	Score   json.RawMessage            `json:"score"`
}

func (t *Target) applySources(sc scoreSources) {
	for _, g := range InputGroups {
		src, ok := sc.Sources[g]
		if ok && src.fetched() {
			src.AgeSeconds = 0
			t.known[g] = src
		}
	}
}

func (t *Target) apply(re RecordedEvent, e Event) error {
	switch e := e.(type) {
	case TargetImported:
		p := e.Profile
		t.profile, t.batchID, t.withdrawn = &p, e.BatchID, false
		t.imported = &e
		t.profileEvent, t.profileAt = re.ID, re.RecordedAt
	case TargetImportReverted:
		if e.BatchID == t.batchID {
			t.withdrawn = true
			t.added = false
		}
	case TargetAdded:
		t.added = true
	case EnrichmentJobOpened:
		if t.profile == nil && !t.added {
			t.enrichedBefore = true
		}
		t.active = &e
	case EnrichmentJobClosed:
		if t.active != nil && t.active.JobID == e.JobID {
			t.active = nil
		}
		for p, code := range e.Failed {
			if definitive(code) {
				t.settled[p] = InputSource{Source: string(code), JobID: e.JobID, At: e.ClosedAt}
			}
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

// IsTarget reports whether the domain is on the target list: imported and
// not withdrawn, added explicitly, or enriched before adding was explicit.
func (t *Target) IsTarget() bool {
	return (t.profile != nil && !t.withdrawn) || t.added || (t.enrichedBefore && !t.withdrawn)
}

// Known is, per input group, the newest fetch that delivered its data. A
// job's end loads those fetches' data to score with everything known.
func (t *Target) Known() map[InputGroup]InputSource { return maps.Clone(t.known) }

// Knowledge is what the target knows before a job ends, given the data of
// the fetches Known names (a group missing from prior is scored without it).
func (t *Target) Knowledge(prior map[InputGroup]Fetch) Knowledge {
	return Knowledge{Profile: t.profile, ProfileEvent: t.profileEvent, ProfileAt: t.profileAt, Prior: prior}
}

// lastAnswer is the newest job in which p delivered data or said it has
// none for this target, and when.
func (t *Target) lastAnswer(p Provider) (InputSource, bool) {
	src, ok := t.known[GroupOf(p)]
	if s, settled := t.settled[p]; settled && (!ok || s.At.After(src.At)) {
		return s, true
	}
	return src, ok
}

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
	// Providers are the providers asked for; empty means every provider
	// whose data is stale.
	Providers []Provider
	Force     bool
	// Add makes the domain a target if it is not one yet.
	Add         bool
	RequestedBy string
	// Ticker overrides the profile's ticker for Yahoo Finance, if set.
	Ticker string
}

// Reuse says whether a request opened a job or was answered by one that
// exists.
type Reuse int

const (
	// NewJob: the request opened a job.
	NewJob Reuse = iota
	// ReusedInFlight: a job for the target was running; the request joined it.
	ReusedInFlight
	// ReusedFresh: every provider asked for was fetched within the freshness
	// window; the newest job that fetched them answers.
	ReusedFresh
)

func (r Reuse) String() string {
	switch r {
	case NewJob:
		return "new job"
	case ReusedInFlight:
		return "job in flight"
	case ReusedFresh:
		return "fresh"
	}
	return fmt.Sprintf("Reuse(%d)", int(r))
}

// EnrichmentDecision is what a request comes to.
type EnrichmentDecision struct {
	// JobID is the job that answers the request: a new one, the one in
	// flight, or the newest one that answered for the providers asked.
	JobID uuid.UUID
	// Reused is why no job was opened, NewJob when one was.
	Reused Reuse
	// TargetEvents and JobEvents are to be appended, for a new job.
	TargetEvents []Event
	JobEvents    []Event
}

// ErrNoRequester refuses an anonymous request: every job names who asked.
var ErrNoRequester = errors.New("enrichment request without a requester")

// ErrNotATarget refuses to enrich a domain that is not on the target list
// unless the request asks to add it.
var ErrNotATarget = errors.New("not a target")

// RequestEnrichment decides whether req opens a job. A job in flight (and
// not yet expired) answers every request, forced or not, so fifty reps
// clicking at once share one job. Freshness is per provider: without force,
// a request is answered with the newest job that answered for it when every
// provider it asks for answered within the freshness window (with data, or
// with a definite "nothing here"); otherwise a new job fetches the providers
// asked for or, when none were named, those whose data is stale.
func (t *Target) RequestEnrichment(req EnrichmentRequest, policy EnrichmentPolicy, now time.Time, newID func() uuid.UUID) (EnrichmentDecision, error) {
	if req.RequestedBy == "" {
		return EnrichmentDecision{}, ErrNoRequester
	}
	if !t.IsTarget() && !req.Add {
		return EnrichmentDecision{}, fmt.Errorf("%s: %w", t.domain, ErrNotATarget)
	}
	if t.active != nil && now.Before(t.active.ExpiresAt) {
		return EnrichmentDecision{JobID: t.active.JobID, Reused: ReusedInFlight}, nil
	}
	providers := req.Providers
	if len(providers) == 0 {
		providers = AllProviders
	}
	if !req.Force {
		var (
			stale  []Provider
			newest InputSource
		)
		for _, p := range providers {
			last, ok := t.lastAnswer(p)
			if !ok || now.Sub(last.At) >= policy.FreshnessWindow {
				stale = append(stale, p)
			} else if last.At.After(newest.At) {
				newest = last
			}
		}
		if len(stale) == 0 {
			return EnrichmentDecision{JobID: newest.JobID, Reused: ReusedFresh}, nil
		}
		if len(req.Providers) == 0 {
			providers = stale
		}
	}
	id := newID()
	expires := now.Add(policy.JobTTL)
	ticker := req.Ticker
	if ticker == "" && t.profile != nil {
		ticker = t.profile.Ticker
	}
	var targetEvents []Event
	if !t.IsTarget() {
		targetEvents = append(targetEvents, TargetAdded{Domain: t.domain, AddedBy: req.RequestedBy, AddedAt: now})
	}
	providers = slices.Clone(providers)
	targetEvents = append(targetEvents, EnrichmentJobOpened{
		JobID: id, Domain: t.domain, Providers: providers, RequestedBy: req.RequestedBy, OpenedAt: now, ExpiresAt: expires,
	})
	return EnrichmentDecision{
		JobID:        id,
		TargetEvents: targetEvents,
		JobEvents: []Event{EnrichmentRequested{
			JobID: id, Domain: t.domain, Providers: providers, Force: req.Force, RequestedBy: req.RequestedBy,
			RequestedAt: now, ExpiresAt: expires, Ticker: ticker,
		}},
	}, nil
}
