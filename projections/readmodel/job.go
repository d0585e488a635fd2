package readmodel

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

// Provider states in a Job view.
const (
	ProviderPending = "pending"
	ProviderFetched = "fetched"
	ProviderFailed  = "failed"
)

// Job is an enrichment job as its status page shows it.
type Job struct {
	ID       uuid.UUID
	Domain   string
	Status   domain.JobStatus
	Progress int
	// Providers holds every requested provider, pending ones included.
	Providers   map[string]JobProvider
	Result      *JobResult
	Error       string
	RequestedBy string
	Force       bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ExpiresAt   time.Time
	FinishedAt  *time.Time
}

// JobProvider is one provider's part in a job. Its JSON form is how the
// enrichment_jobs table stores it.
type JobProvider struct {
	Status     string `json:"status"`
	Error      string `json:"error,omitempty"`
	Attempts   int    `json:"attempts"`
	LatencyMS  *int64 `json:"latency_ms,omitempty"`
	HTTPStatus int    `json:"http_status,omitempty"`
	Note       string `json:"note,omitempty"`
}

// JobResult is how a job ended: the score on completion, the failed
// providers when partial or failed.
type JobResult struct {
	Score  *int              `json:"score,omitempty"`
	Tier   *int              `json:"tier,omitempty"`
	Failed map[string]string `json:"failed,omitempty"`
}

// JobFilter selects one page of jobs, newest first.
type JobFilter struct {
	Page, PerPage int
	// RequestedBy, Domain and Status, where set, keep only the jobs with
	// that requester, target domain (normalised) and status.
	RequestedBy string
	Domain      string
	Status      domain.JobStatus
}

// JobPage is one page of jobs and the number of jobs across all pages.
type JobPage struct {
	Jobs  []Job
	Total int
}

// FoldJob builds a job's view from its whole stream. The jobs projection
// folds the same events one at a time with Apply, so a view read from the
// stream (before the projection has caught up) equals the projected one.
func FoldJob(events []domain.RecordedEvent) (Job, error) {
	var (
		j       Job
		started bool
	)
	for _, re := range events {
		e, err := domain.Decode(re)
		if err != nil {
			return Job{}, err
		}
		if req, ok := e.(domain.EnrichmentRequested); ok && !started {
			j, started = NewJob(req, re.RecordedAt), true
			continue
		}
		if !started {
			return Job{}, fmt.Errorf("job stream %s: %s before EnrichmentRequested", re.StreamID, re.Type)
		}
		j.Apply(e, re.RecordedAt)
	}
	if !started {
		return Job{}, fmt.Errorf("job: %w", ErrNotFound)
	}
	return j, nil
}

// NewJob is the view of a job just requested.
func NewJob(e domain.EnrichmentRequested, recordedAt time.Time) Job {
	j := Job{
		ID: e.JobID, Domain: e.Domain.String(), Status: domain.JobPending,
		Providers:   make(map[string]JobProvider, len(e.Providers)),
		RequestedBy: e.RequestedBy, Force: e.Force,
		CreatedAt: micro(e.RequestedAt), UpdatedAt: later(micro(e.RequestedAt), recordedAt), ExpiresAt: micro(e.ExpiresAt),
	}
	for _, p := range e.Providers {
		j.Providers[string(p)] = JobProvider{Status: ProviderPending}
	}
	return j
}

// Apply folds one event of the job's stream into the view; recordedAt is
// when the event was stored. Events that do not concern a job view are
// ignored. The status follows domain.JobStatus.After, the lifecycle the
// aggregate folds too; a provider's last outcome counts.
func (j *Job) Apply(e domain.Event, recordedAt time.Time) {
	switch e := e.(type) {
	case domain.ProviderFetched:
		latency := e.LatencyMS
		j.Providers[string(e.Provider)] = JobProvider{
			Status: ProviderFetched, Attempts: e.Attempts, LatencyMS: &latency, HTTPStatus: e.HTTPStatus, Note: e.Note,
		}
		j.providerReported(e)
	case domain.ProviderFailed:
		j.Providers[string(e.Provider)] = JobProvider{
			Status: ProviderFailed, Error: string(e.Code), Attempts: e.Attempts, HTTPStatus: e.HTTPStatus, Note: e.Message,
		}
		j.providerReported(e)
	case domain.EnrichmentCompleted:
		j.finish(e, e.FinishedAt, &JobResult{Score: &e.Score, Tier: &e.Tier}, "")
	case domain.EnrichmentPartial:
		j.finish(e, e.FinishedAt, &JobResult{Score: &e.Score, Tier: &e.Tier, Failed: failedMap(e.Failed)}, "")
	case domain.EnrichmentFailed:
		j.finish(e, e.FinishedAt, &JobResult{Failed: failedMap(e.Failed)}, string(e.Reason))
	default:
		return
	}
	j.UpdatedAt = later(j.UpdatedAt, recordedAt)
}

func (j *Job) providerReported(e domain.Event) {
	if j.Status.Finished() {
		return
	}
	j.Status = j.Status.After(e)
	reported := 0
	for _, p := range j.Providers {
		if p.Status != ProviderPending {
			reported++
		}
	}
	j.Progress = reported * 100 / len(j.Providers)
}

func (j *Job) finish(ending domain.Event, at time.Time, result *JobResult, reason string) {
	j.Status, j.Progress, j.Result, j.Error = j.Status.After(ending), 100, result, reason
	finished := micro(at)
	j.FinishedAt = &finished
}

func failedMap(m map[domain.Provider]domain.FailureCode) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for p, c := range m {
		out[string(p)] = string(c)
	}
	return out
}

func later(a, b time.Time) time.Time {
	if b = micro(b); b.After(a) {
		return b
	}
	return a
}

// micro keeps a time at the microsecond precision PostgreSQL stores, so a
// view folded from the log equals the one read back from the table.
func micro(t time.Time) time.Time { return t.Truncate(time.Microsecond) }
