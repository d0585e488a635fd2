package domain

import (
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

// Requester is the aggregate of one requester's jobs in flight.
type Requester struct {
	open    map[uuid.UUID]time.Time // job → expiry
	version int64
}

// LoadRequester folds a requester stream.
func LoadRequester(events []RecordedEvent) (*Requester, error) {
	r := &Requester{open: map[uuid.UUID]time.Time{}}
	for _, re := range events {
		e, err := Decode(re)
		if err != nil {
			return nil, err
		}
		switch e := e.(type) {
		case RequesterJobStarted:
			r.open[e.JobID] = e.ExpiresAt
		case RequesterJobEnded:
			delete(r.open, e.JobID)
		default:
			return nil, fmt.Errorf("unexpected %s in requester stream %s", e.EventType(), re.StreamID)
		}
		r.version = re.StreamVersion
	}
	return r, nil
}

func (r *Requester) Version() int64 { return r.version }

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

// StartJob takes a slot for the job opened, or refuses with a
// *TooManyJobsError when limit jobs are already in flight.
func (r *Requester) StartJob(opened EnrichmentRequested, limit int, now time.Time) (RequesterJobStarted, error) {
	if err := r.CheckLimit(limit, now); err != nil {
		return RequesterJobStarted{}, err
	}
	return RequesterJobStarted{Requester: opened.RequestedBy, JobID: opened.JobID, Domain: opened.Domain, ExpiresAt: opened.ExpiresAt}, nil
}
