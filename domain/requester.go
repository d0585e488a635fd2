package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Requester events live on one stream per requester and bound how many jobs
// one person can have in flight.
const (
	TypeRequesterJobStarted = "RequesterJobStarted"
	TypeRequesterJobEnded   = "RequesterJobEnded"
)

// RequesterJobStarted counts a job against its requester's limit.
type RequesterJobStarted struct {
	Requester string    `json:"requester"`
	JobID     uuid.UUID `json:"job_id"`
	Domain    Domain    `json:"domain"`
	ExpiresAt time.Time `json:"expires_at"`
	// StartedAt places the job in its requester's UTC day for the daily
	// budget. Events stored before it existed fall back to when they were
	// recorded.
	StartedAt time.Time `json:"started_at,omitzero"`
}

// RequesterJobEnded releases the job's slot.
type RequesterJobEnded struct {
	Requester string    `json:"requester"`
	JobID     uuid.UUID `json:"job_id"`
}

func (RequesterJobStarted) EventType() string { return TypeRequesterJobStarted }
func (RequesterJobEnded) EventType() string   { return TypeRequesterJobEnded }

func init() {
	decoders[TypeRequesterJobStarted] = decodeAs[RequesterJobStarted]
	decoders[TypeRequesterJobEnded] = decodeAs[RequesterJobEnded]
}

// RequesterStream is the stream of one requester's job slots.
func RequesterStream(requester string) string { return "requester-" + requester }

// ErrTooManyJobs refuses a request beyond the requester's limit of jobs in
// flight.
var ErrTooManyJobs = errors.New("too many enrichment jobs in flight")

// ErrDailyEnrichmentLimit refuses a new job beyond the requester's budget
// of jobs opened per UTC day.
var ErrDailyEnrichmentLimit = errors.New("daily enrichment budget spent")

// Requester is the aggregate of one requester's jobs: those in flight, and
// how many were opened on the latest UTC day that saw one.
type Requester struct {
	open     map[uuid.UUID]time.Time // job → expiry
	day      time.Time               // UTC midnight of the latest day a job started
	startedN int                     // jobs started on day
	version  int64
	last     uuid.UUID // the event at version
}

// LoadRequester folds a requester stream.
func LoadRequester(events []RecordedEvent) (*Requester, error) {
	r := &Requester{open: map[uuid.UUID]time.Time{}}
	return r, r.fold(events)
}

// RequesterSnapshotFormat is the format of requester snapshots; bump the
// shape number whenever requesterState or the fold changes.
var RequesterSnapshotFormat = SnapshotFormat("requester", 1)

// requesterState is a requester's snapshot state.
type requesterState struct {
	Open     map[uuid.UUID]time.Time `json:"open"`
	Day      time.Time               `json:"day"`
	StartedN int                     `json:"started_n"`
}

// LoadRequesterFrom folds the events of stream after a snapshot onto the
// snapshot's state. A snapshot of another stream or format, altered since it was
// sealed, or not followed by its next version, is refused with
// ErrSnapshotUnusable: the caller then folds the whole stream.
func LoadRequesterFrom(stream string, snap Snapshot, tail []RecordedEvent) (*Requester, error) {
	if err := snap.check(stream, RequesterSnapshotFormat); err != nil {
		return nil, err
	}
	if err := followsSnapshot(snap, tail); err != nil {
		return nil, err
	}
	var st requesterState
	if err := json.Unmarshal(snap.State, &st); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrSnapshotUnusable, snap.Stream, err)
	}
	if st.Open == nil {
		st.Open = map[uuid.UUID]time.Time{}
	}
	r := &Requester{open: st.Open, day: st.Day, startedN: st.StartedN, version: snap.Version, last: snap.EventID}
	return r, r.fold(tail)
}

// Snapshot is the requester's state as a sealed snapshot of stream.
func (r *Requester) Snapshot(stream string) (Snapshot, error) {
	state, err := json.Marshal(requesterState{Open: r.open, Day: r.day, StartedN: r.startedN})
	if err != nil {
		return Snapshot{}, fmt.Errorf("snapshot %s: %w", stream, err)
	}
	s := Snapshot{Stream: stream, Version: r.version, EventID: r.last, Format: RequesterSnapshotFormat, State: state}
	s.Seal()
	return s, nil
}

func (r *Requester) fold(events []RecordedEvent) error {
	for _, re := range events {
		e, err := Decode(re)
		if err != nil {
			return err
		}
		switch e := e.(type) {
		case RequesterJobStarted:
			r.open[e.JobID] = e.ExpiresAt
			at := e.StartedAt
			if at.IsZero() {
				at = re.RecordedAt
			}
			r.countStart(at)
		case RequesterJobEnded:
			delete(r.open, e.JobID)
		default:
			return fmt.Errorf("unexpected %s in requester stream %s", e.EventType(), re.StreamID)
		}
		r.version, r.last = re.StreamVersion, re.ID
	}
	return nil
}

func (r *Requester) Version() int64 { return r.version }

// countStart adds a job started at t to its UTC day. Only the latest day is
// kept: the budget never looks back further, and a start that sorts before
// it (a skewed clock) belongs to a day already over.
func (r *Requester) countStart(t time.Time) {
	switch d := utcDay(t); {
	case d.After(r.day):
		r.day, r.startedN = d, 1
	case d.Equal(r.day):
		r.startedN++
	}
}

// StartedOn counts the jobs the requester opened on now's UTC day.
func (r *Requester) StartedOn(now time.Time) int {
	if utcDay(now).Equal(r.day) {
		return r.startedN
	}
	return 0
}

func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// NextUTCDay is when now's UTC day ends and a daily budget is whole again.
func NextUTCDay(now time.Time) time.Time { return utcDay(now).AddDate(0, 0, 1) }

// InFlight counts the requester's jobs that have neither ended nor expired.
func (r *Requester) InFlight(now time.Time) int {
	n := 0
	for _, exp := range r.open {
		if now.Before(exp) {
			n++
		}
	}
	return n
}

// TooManyJobsError is the refusal CheckLimit returns: it says how many jobs
// are open and what the limit is. It matches ErrTooManyJobs with errors.Is.
type TooManyJobsError struct {
	Open, Limit int
}

func (e *TooManyJobsError) Error() string {
	return fmt.Sprintf("%s: %d open, limit %d", ErrTooManyJobs, e.Open, e.Limit)
}

func (e *TooManyJobsError) Is(target error) bool { return target == ErrTooManyJobs }

// CheckLimit refuses a new job when limit jobs are already in flight.
func (r *Requester) CheckLimit(limit int, now time.Time) error {
	if n := r.InFlight(now); n >= limit {
		return &TooManyJobsError{Open: n, Limit: limit}
	}
	return nil
}

// DailyLimitError is the refusal CheckDaily returns: how many jobs the
// requester opened today, the budget, and when it is whole again. It
// matches ErrDailyEnrichmentLimit with errors.Is.
type DailyLimitError struct {
	Used, Limit int
	ResetAt     time.Time
}

func (e *DailyLimitError) Error() string {
	return fmt.Sprintf("%s: %d of %d opened today (UTC); whole again at %s", ErrDailyEnrichmentLimit, e.Used, e.Limit, e.ResetAt.Format(time.RFC3339))
}

func (e *DailyLimitError) Is(target error) bool { return target == ErrDailyEnrichmentLimit }

// CheckDaily refuses a new job when perDay jobs were already opened on
// now's UTC day. A perDay of Unlimited or 0 is no daily budget.
func (r *Requester) CheckDaily(perDay int, now time.Time) error {
	if perDay <= 0 {
		return nil
	}
	if n := r.StartedOn(now); n >= perDay {
		return &DailyLimitError{Used: n, Limit: perDay, ResetAt: NextUTCDay(now)}
	}
	return nil
}

// JobLimits bound the jobs one requester may open: InFlight at once (at
// least 1), PerDay per UTC day (Unlimited or 0: no daily budget).
type JobLimits struct {
	InFlight int
	PerDay   int
}

// StartJob takes a slot for the job opened, or refuses with a
// *DailyLimitError when the day's budget is spent, or a *TooManyJobsError
// when limits.InFlight jobs are already in flight. The daily budget is
// checked first: waiting for a job to finish would not lift it.
func (r *Requester) StartJob(opened EnrichmentRequested, limits JobLimits, now time.Time) (RequesterJobStarted, error) {
	if err := r.CheckDaily(limits.PerDay, now); err != nil {
		return RequesterJobStarted{}, err
	}
	if err := r.CheckLimit(limits.InFlight, now); err != nil {
		return RequesterJobStarted{}, err
	}
	return RequesterJobStarted{
		Requester: opened.RequestedBy, JobID: opened.JobID, Domain: opened.Domain, ExpiresAt: opened.ExpiresAt, StartedAt: now,
	}, nil
}
