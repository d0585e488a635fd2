package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// JobStatus is an enrichment job as GET /api/enrich/status/{job_id} and
// GET /api/enrich/jobs show it.
type JobStatus struct {
	JobID       uuid.UUID                 `json:"job_id"`
	Domain      string                    `json:"domain"`
	Status      domain.JobStatus          `json:"status"`
	Progress    int                       `json:"progress"`
	Providers   map[string]ProviderStatus `json:"providers"`
	Result      *readmodel.JobResult      `json:"result"`
	Error       *string                   `json:"error"`
	CreatedAt   time.Time                 `json:"created_at"`
	UpdatedAt   time.Time                 `json:"updated_at"`
	ExpiresAt   time.Time                 `json:"expires_at"`
	RequestedBy string                    `json:"requested_by"`
	Force       bool                      `json:"force"`
	FinishedAt  *time.Time                `json:"finished_at"`
}

// ProviderStatus is one provider's part in a job. Error and LatencyMS are
// null until the provider failed or answered.
type ProviderStatus struct {
	Status     string  `json:"status"`
	Error      *string `json:"error"`
	Attempts   int     `json:"attempts"`
	LatencyMS  *int64  `json:"latency_ms"`
	HTTPStatus int     `json:"http_status,omitempty"`
	Note       string  `json:"note,omitempty"`
}

// JobList is the answer of GET /api/enrich/jobs.
type JobList struct {
	Data       []JobStatus `json:"data"`
	Pagination Pagination  `json:"pagination"`
}

func jobStatusOf(j readmodel.Job) JobStatus {
	out := JobStatus{
		JobID: j.ID, Domain: j.Domain, Status: j.Status, Progress: j.Progress,
		Providers: make(map[string]ProviderStatus, len(j.Providers)), Result: j.Result,
		CreatedAt: j.CreatedAt.UTC(), UpdatedAt: j.UpdatedAt.UTC(), ExpiresAt: j.ExpiresAt.UTC(),
		RequestedBy: j.RequestedBy, Force: j.Force,
	}
	for name, p := range j.Providers {
		ps := ProviderStatus{Status: p.Status, Attempts: p.Attempts, LatencyMS: p.LatencyMS, HTTPStatus: p.HTTPStatus, Note: p.Note}
		if p.Error != "" {
			ps.Error = &p.Error
		}
		out.Providers[name] = ps
	}
	if j.Error != "" {
		out.Error = &j.Error
	}
	if j.FinishedAt != nil {
		f := j.FinishedAt.UTC()
		out.FinishedAt = &f
	}
	return out
}

// jobStatus serves GET /api/enrich/status/{job_id}. A client polls it right
// after POST /api/enrich and after every change it expects, so it must read
// its own writes: the job's stream in the event log is folded with the jobs
// projection's own fold (a job has a handful of events: one indexed range
// read, no more than the projection row costs), never a projection row that
// may lag the stream. Without a log (a read-only deployment) the projection
// answers.
func (rr *readRoutes) jobStatus(c *gin.Context) {
	id, err := uuid.Parse(c.Param("job_id"))
	if err != nil {
		abortWithError(c, http.StatusBadRequest, CodeInvalidParameter, "job_id must be a UUID", map[string]any{"parameter": "job_id"})
		return
	}
	ctx := c.Request.Context()
	var job readmodel.Job
	if rr.jobs != nil {
		job, err = rr.jobFromLog(ctx, id)
	} else {
		job, err = rr.reads.GetJob(ctx, id)
	}
	if errors.Is(err, readmodel.ErrNotFound) {
		abortWithError(c, http.StatusNotFound, CodeNotFound, "no enrichment job "+id.String(), map[string]any{"job_id": id.String()})
		return
	}
	if err != nil {
		rr.internal(c, err)
		return
	}
	writeJSON(c, http.StatusOK, jobStatusOf(job))
}

// jobStreamPage bounds one read of a job stream; a job has a handful of
// events, so one page is the norm.
const jobStreamPage = 100

func (rr *readRoutes) jobFromLog(ctx context.Context, id uuid.UUID) (readmodel.Job, error) {
	var (
		events []domain.RecordedEvent
		after  int64
	)
	for {
		page, err := rr.jobs.ReadStream(ctx, domain.JobStream(id), after, jobStreamPage)
		if err != nil {
			return readmodel.Job{}, err
		}
		events = append(events, page...)
		if len(page) < jobStreamPage {
			break
		}
		after = page[len(page)-1].StreamVersion
	}
	return readmodel.FoldJob(events)
}

// requesterMe is the requested_by value that names the caller: the owner
// of the key that asks, so a dashboard can list "my jobs" without knowing
// whose key it holds.
const requesterMe = "me"

// listJobs serves GET /api/enrich/jobs: newest first, optionally only one
// requester's (requested_by=me: the caller's), one target's (any spelling
// of its domain) or those in one status.
func (rr *readRoutes) listJobs(c *gin.Context) {
	q := newQuery(c, "page", "per_page", "requested_by", "domain", "status")
	f := readmodel.JobFilter{RequestedBy: q.text("requested_by"), Domain: q.domain("domain"), Status: q.jobStatus("status")}
	if f.RequestedBy == requesterMe {
		// Authentication ran before any route: a caller here has a key.
		p, _ := principalOf(c)
		f.RequestedBy = p.Owner
	}
	f.Page, f.PerPage = q.page()
	if q.abort(c) {
		return
	}
	page, err := rr.reads.ListJobs(c.Request.Context(), f)
	if err != nil {
		rr.internal(c, err)
		return
	}
	out := JobList{Data: make([]JobStatus, len(page.Jobs)), Pagination: paginate(f.Page, f.PerPage, page.Total)}
	for i, j := range page.Jobs {
		out.Data[i] = jobStatusOf(j)
	}
	writeJSON(c, http.StatusOK, out)
}
