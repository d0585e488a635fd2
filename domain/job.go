package domain

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// JobStatus is where an enrichment job stands. The values are shown to users.
type JobStatus string

const (
	JobPending   JobStatus = "pending"
	JobRunning   JobStatus = "running"
	JobCompleted JobStatus = "completed"
	JobPartial   JobStatus = "partial"
	JobFailed    JobStatus = "failed"
)

// JobStatuses lists every status a job can have, in lifecycle order.
var JobStatuses = []JobStatus{JobPending, JobRunning, JobCompleted, JobPartial, JobFailed}

// ParseJobStatus accepts a status word in any case; ok is false for a word
// that is not a job status.
func ParseJobStatus(s string) (status JobStatus, ok bool) {
	st := JobStatus(strings.ToLower(strings.TrimSpace(s)))
	return st, slices.Contains(JobStatuses, st)
}

// Finished reports whether the job has ended.
func (s JobStatus) Finished() bool {
	return s == JobCompleted || s == JobPartial || s == JobFailed
}

// After is the status a job moves to on e: the job lifecycle, in one place
// for the aggregate and every view of a job. A provider outcome never
// reopens a finished job; an event that is not a job's leaves s as it is.
func (s JobStatus) After(e Event) JobStatus {
	switch e.(type) {
	case EnrichmentRequested:
		return JobPending
	case ProviderFetched, ProviderFailed:
		if s.Finished() {
			return s
		}
		return JobRunning
	case EnrichmentCompleted:
		return JobCompleted
	case EnrichmentPartial:
		return JobPartial
	case EnrichmentFailed:
		return JobFailed
	}
	return s
}

// JobEvent is an event of a job's stream; OfJob names the job, so readers
// find the stream without a switch on event types.
type JobEvent interface {
	Event
	OfJob() uuid.UUID
}

func (e EnrichmentRequested) OfJob() uuid.UUID { return e.JobID }
func (e ProviderFetched) OfJob() uuid.UUID     { return e.JobID }
func (e ProviderFailed) OfJob() uuid.UUID      { return e.JobID }
func (e EnrichmentCompleted) OfJob() uuid.UUID { return e.JobID }
func (e EnrichmentPartial) OfJob() uuid.UUID   { return e.JobID }
func (e EnrichmentFailed) OfJob() uuid.UUID    { return e.JobID }

// FailureAllProviders ends a job in which no provider delivered anything.
const FailureAllProviders FailureCode = "all_providers_failed"

// ProviderOutcome is what one provider reported to a job.
type ProviderOutcome struct {
	Fetched *ProviderFetched
	Failed  *ProviderFailed
}

// Event is the outcome's event, with the job and provider it is about.
func (o ProviderOutcome) Event() (Event, uuid.UUID, Provider, error) {
	switch {
	case o.Fetched != nil:
		return *o.Fetched, o.Fetched.JobID, o.Fetched.Provider, nil
	case o.Failed != nil:
		return *o.Failed, o.Failed.JobID, o.Failed.Provider, nil
	}
	return nil, uuid.Nil, "", errors.New("empty provider outcome")
}

// Job is the enrichment-job aggregate, folded from its stream. It decides
// when a job is finished and with which outcome.
type Job struct {
	requested *EnrichmentRequested
	outcomes  map[Provider]ProviderOutcome
	// outcomeEvents records which stored event each outcome is, for the
	// sources a score names.
	outcomeEvents map[Provider]recordedAs
	status        JobStatus
	version       int64
}

type recordedAs struct {
	id uuid.UUID
	at time.Time
}

// ErrNoJob is returned for a stream that holds no EnrichmentRequested.
var ErrNoJob = errors.New("enrichment job not found")

// LoadJob folds a job stream. An empty stream gives ErrNoJob.
func LoadJob(events []RecordedEvent) (*Job, error) {
	j := &Job{outcomes: map[Provider]ProviderOutcome{}, outcomeEvents: map[Provider]recordedAs{}}
	for _, re := range events {
		e, err := Decode(re)
		if err != nil {
			return nil, err
		}
		if err := j.apply(e); err != nil {
			return nil, fmt.Errorf("job stream %s version %d: %w", re.StreamID, re.StreamVersion, err)
		}
		switch e := e.(type) {
		case ProviderFetched:
			j.outcomeEvents[e.Provider] = recordedAs{re.ID, re.RecordedAt}
		case ProviderFailed:
			j.outcomeEvents[e.Provider] = recordedAs{re.ID, re.RecordedAt}
		}
		j.version = re.StreamVersion
	}
	if j.requested == nil {
		return nil, ErrNoJob
	}
	return j, nil
}

func (j *Job) apply(e Event) error {
	if _, first := e.(EnrichmentRequested); !first && j.requested == nil {
		return fmt.Errorf("%s before EnrichmentRequested", e.EventType())
	}
	switch e := e.(type) {
	case EnrichmentRequested:
		j.requested = &e
	case ProviderFetched:
		j.outcomes[e.Provider] = ProviderOutcome{Fetched: &e}
	case ProviderFailed:
		j.outcomes[e.Provider] = ProviderOutcome{Failed: &e}
	case EnrichmentCompleted, EnrichmentPartial, EnrichmentFailed:
	default:
		return fmt.Errorf("unexpected %s in a job stream", e.EventType())
	}
	j.status = j.status.After(e)
	return nil
}

func (j *Job) ID() uuid.UUID                { return j.requested.JobID }
func (j *Job) Domain() Domain               { return j.requested.Domain }
func (j *Job) Request() EnrichmentRequested { return *j.requested }
func (j *Job) Status() JobStatus            { return j.status }
func (j *Job) Version() int64               { return j.version }
func (j *Job) Outcome(p Provider) (ProviderOutcome, bool) {
	o, ok := j.outcomes[p]
	return o, ok
}

// Pending lists the requested providers that have not reported yet.
func (j *Job) Pending() []Provider {
	var out []Provider
	for _, p := range j.requested.Providers {
		if _, ok := j.outcomes[p]; !ok {
			out = append(out, p)
		}
	}
	return out
}

// Fetches are the job's answers with data, per input group, with the events
// they were stored as.
func (j *Job) Fetches() map[InputGroup]Fetch {
	out := map[InputGroup]Fetch{}
	for p, o := range j.outcomes {
		if o.Fetched == nil {
			continue
		}
		g := GroupOf(p)
		if !o.Fetched.Data.For(g) {
			continue
		}
		name := string(p)
		if g == GroupTech && o.Fetched.Data.Tech.Source != "" {
			name = o.Fetched.Data.Tech.Source // BuiltWith's fallback answered
		}
		rec := j.outcomeEvents[p]
		out[g] = Fetch{Source: InputSource{Source: name, EventID: rec.id, JobID: j.ID(), At: rec.at}, Data: o.Fetched.Data}
	}
	return out
}

// Finish decides how a job ends once every requested provider has reported.
// It returns nothing while providers are pending or when the job already
// ended. With data from at least one provider it scores the target from
// everything known — this job's fetches, else the earlier fetches and the
// imported profile in known — and completes the job, or marks it partial
// when some provider failed; with no data it fails.
func (j *Job) Finish(known Knowledge, now time.Time) (jobEvents, targetEvents []Event) {
	if j.status.Finished() || len(j.Pending()) > 0 {
		return nil, nil
	}
	id, d := j.ID(), j.Domain()
	failed := map[Provider]FailureCode{}
	for _, p := range j.requested.Providers {
		if o := j.outcomes[p]; o.Failed != nil {
			failed[p] = o.Failed.Code
		}
	}
	closed := func(outcome JobStatus) EnrichmentJobClosed {
		c := EnrichmentJobClosed{JobID: id, Domain: d, Outcome: outcome, ClosedAt: now}
		if len(failed) > 0 {
			c.Failed = failed
		}
		return c
	}
	fetched := j.Fetches()
	if len(failed) == len(j.requested.Providers) {
		return []Event{EnrichmentFailed{JobID: id, Domain: d, Reason: FailureAllProviders, Failed: failed, FinishedAt: now}},
			[]Event{closed(JobFailed)}
	}
	in, sources := ScoreInputFor(known, fetched, now)
	score := ComputeScore(in)
	scored := ScoreComputed{JobID: id, Domain: d, Score: score, Sources: sources}
	if len(failed) > 0 {
		return []Event{EnrichmentPartial{JobID: id, Domain: d, Score: score.Value, Tier: score.Tier, Failed: failed, FinishedAt: now}},
			[]Event{scored, closed(JobPartial)}
	}
	return []Event{EnrichmentCompleted{JobID: id, Domain: d, Score: score.Value, Tier: score.Tier, FinishedAt: now}},
		[]Event{scored, closed(JobCompleted)}
}

// Expire ends an unfinished job past its expiry time as failed with reason
// expired. It returns nothing for a finished or still-live job.
func (j *Job) Expire(now time.Time) (jobEvents, targetEvents []Event) {
	if j.status.Finished() || now.Before(j.requested.ExpiresAt) {
		return nil, nil
	}
	expired := map[Provider]FailureCode{}
	for _, p := range j.Pending() {
		expired[p] = FailureExpired
	}
	// The target hears of every failure, including those that came in
	// before the job expired.
	failed := maps.Clone(expired)
	for p, o := range j.outcomes {
		if o.Failed != nil {
			failed[p] = o.Failed.Code
		}
	}
	id, d := j.ID(), j.Domain()
	return []Event{EnrichmentFailed{JobID: id, Domain: d, Reason: FailureExpired, Failed: expired, FinishedAt: now}},
		[]Event{EnrichmentJobClosed{JobID: id, Domain: d, Outcome: JobFailed, ClosedAt: now, Failed: failed}}
}

// ParseProviders validates a requested provider list: no unknown or repeated
// names; empty means all three.
func ParseProviders(names []string) ([]Provider, error) {
	if len(names) == 0 {
		return slices.Clone(AllProviders), nil
	}
	var out []Provider
	for _, n := range names {
		p, err := ParseProvider(n)
		if err != nil {
			return nil, err
		}
		if slices.Contains(out, p) {
			return nil, fmt.Errorf("provider %q named twice", n)
		}
		out = append(out, p)
	}
	// Keep the canonical order so equal requests look equal.
	slices.SortFunc(out, func(a, b Provider) int { return slices.Index(AllProviders, a) - slices.Index(AllProviders, b) })
	return out, nil
}

// ReleaseRequester is the event that frees the requester's slot when the
// job ends.
func (j *Job) ReleaseRequester() RequesterJobEnded {
	return RequesterJobEnded{Requester: j.requested.RequestedBy, JobID: j.requested.JobID}
}

// EndingStatus is the status a job's ending event gives it.
func EndingStatus(ending Event) JobStatus { return JobRunning.After(ending) }

// RequestEventID is the id of a job's EnrichmentRequested event: the request
// opens the job with ids derived from the job's id and each event's type.
func RequestEventID(job uuid.UUID) uuid.UUID {
	return EventID(job.String(), TypeEnrichmentRequested)
}

// JobMetadata is the metadata of an event a system component appends for a
// job. Every event of a job, from the request on, carries the job's id as
// its correlation id, so an auditor follows one id from the HTTP request to
// the score; the cause is the job's request unless a handler names the event
// it reacted to.
func JobMetadata(job uuid.UUID, actor string) Metadata {
	return Metadata{CorrelationID: job.String(), CausationID: RequestEventID(job).String(), Actor: actor}
}
