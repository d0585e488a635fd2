package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// ReadModels is what the read routes need of the projected views;
// postgres.ReadModels implements it.
type ReadModels interface {
	ListTargets(ctx context.Context, f readmodel.TargetFilter) (readmodel.TargetPage, error)
	GetTarget(ctx context.Context, domain string) (readmodel.Target, error)
	GetJob(ctx context.Context, id uuid.UUID) (readmodel.Job, error)
	ListJobs(ctx context.Context, f readmodel.JobFilter) (readmodel.JobPage, error)
	Stats(ctx context.Context) (readmodel.Stats, error)
}

// JobStreams reads a job's events from the log; postgres.EventStore
// implements it. The status route folds them itself, so a client always
// reads its own writes, however far the jobs projection lags.
type JobStreams interface {
	ReadStream(ctx context.Context, stream string, afterVersion int64, limit int) ([]domain.RecordedEvent, error)
}

// readRoutes serves the dashboard's reads.
type readRoutes struct {
	reads ReadModels
	jobs  JobStreams
	log   *slog.Logger
	// unavailable is Deps.Unavailable.
	unavailable func(error) bool
}

// registerReadRoutes adds the dashboard's read routes (targets, companies,
// jobs, stats). Without Deps.Reads they answer 503, so the routes a server
// offers never depend on its configuration.
func registerReadRoutes(api gin.IRouter, d Deps) {
	rr := &readRoutes{reads: d.Reads, jobs: d.JobStreams, log: d.Logger, unavailable: d.Unavailable}
	if rr.log == nil {
		rr.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	api.GET("/targets", rr.available(rr.listTargets))
	api.GET("/targets.csv", rr.available(rr.exportTargetsCSV))
	audit := &auditRoutes{audit: d.Audit, rr: rr}
	api.GET(companyRoute, pastedDomain(audit.company))
	api.GET("/enrich/status/:job_id", rr.available(rr.jobStatus))
	api.GET("/enrich/jobs", rr.available(rr.listJobs))
	api.GET("/enrich/jobs/:job_id/history", audit.jobHistory)
	api.GET("/stats", rr.available(rr.stats))
}

func (rr *readRoutes) available(h gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if rr.reads == nil {
			abortWithError(c, http.StatusServiceUnavailable, CodeUnavailable, "read models are not configured on this server", nil)
			return
		}
		h(c)
	}
}

// internal answers 500 (503 when the database cannot be reached) without
// repeating the cause to the client, and logs it for the operator.
func (rr *readRoutes) internal(c *gin.Context, err error) {
	rr.log.Error("read route failed", slog.String("path", c.Request.URL.Path),
		slog.String("request_id", RequestID(c.Request.Context())), slog.Any("error", err))
	abortFailed(c, rr.unavailable, err)
}

// Pagination is the page information of every list response.
type Pagination struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Total      int `json:"total"`
	TotalPages int `json:"total_pages"`
	// NextCursor continues the list after this page (cursor=); only the
	// target list has one, and not on its last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

func paginate(page, perPage, total int) Pagination {
	return Pagination{Page: page, PerPage: perPage, Total: total, TotalPages: (total + perPage - 1) / perPage}
}
