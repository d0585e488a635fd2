package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// AuditLog is what the auditors' routes read: the event log as auditors
// follow it, and a target's record at a past instant computed by the
// targets projection's own fold. projections.Audit implements it.
type AuditLog interface {
	TargetHistory(ctx context.Context, d domain.Domain, after int64, until time.Time, limit int) (readmodel.HistoryPage, error)
	JobHistory(ctx context.Context, id uuid.UUID, after int64, limit int) (readmodel.HistoryPage, error)
	TargetEvents(ctx context.Context, d domain.Domain, until time.Time) ([]domain.RecordedEvent, error)
	TargetAsOf(ctx context.Context, d domain.Domain, at time.Time) (readmodel.Target, error)
}

// Paging of the history routes.
const (
	historyDefaultLimit = 100
	historyMaxLimit     = 500
)

// Suffixes of the company route that name an auditor's view of the company
// rather than part of a pasted address.
const (
	historySuffix      = "/history"
	scoreChangesSuffix = "/score-changes"
)

// HistoryEvent is one event as the history routes show it: where it sits in
// the log, who and what caused it, and its payload at the current schema
// version.
type HistoryEvent struct {
	Position      int64           `json:"position"`
	StreamID      string          `json:"stream_id"`
	StreamVersion int64           `json:"stream_version"`
	EventID       uuid.UUID       `json:"event_id"`
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schema_version"`
	RecordedAt    time.Time       `json:"recorded_at"`
	Actor         string          `json:"actor"`
	CorrelationID string          `json:"correlation_id"`
	CausationID   string          `json:"causation_id"`
	RequestID     string          `json:"request_id,omitempty"`
	Data          json.RawMessage `json:"data"`
}

// History is a page of a history route. NextAfter is the cursor of the next
// page (pass it as after), null on the last page.
type History struct {
	Data      []HistoryEvent `json:"data"`
	NextAfter *int64         `json:"next_after"`
}

// ScoreChanges is the answer of the score-changes route.
type ScoreChanges struct {
	Domain string               `json:"domain"`
	Data   []domain.ScoreChange `json:"data"`
}

type auditRoutes struct {
	audit AuditLog
	rr    *readRoutes
}

// company serves GET /api/companies/{domain}, its /history and
// /score-changes, and ?as_of: the catch-all route takes them all.
func (a *auditRoutes) company(c *gin.Context) {
	v := c.Param("domain")
	trimmed := strings.TrimSuffix(v, "/")
	if rest, ok := strings.CutSuffix(trimmed, historySuffix); ok {
		a.withDomain(c, rest, a.targetHistory)
		return
	}
	if rest, ok := strings.CutSuffix(trimmed, scoreChangesSuffix); ok {
		a.withDomain(c, rest, a.scoreChanges)
		return
	}
	if _, ok := c.GetQuery("as_of"); ok {
		a.withDomain(c, v, a.asOf)
		return
	}
	a.rr.available(a.rr.getCompany)(c)
}

// withDomain parses the company's domain and hands it to h, once the audit
// log is known to be configured.
func (a *auditRoutes) withDomain(c *gin.Context, raw string, h func(*gin.Context, domain.Domain)) {
	if a.audit == nil {
		abortWithError(c, http.StatusServiceUnavailable, CodeUnavailable, "the audit log is not configured on this server", nil)
		return
	}
	d, err := domain.ParseDomain(raw)
	if err != nil {
		abortWithError(c, http.StatusBadRequest, CodeInvalidDomain, err.Error(), map[string]any{"parameter": "domain"})
		return
	}
	h(c, d)
}

// targetHistory serves GET /api/companies/{domain}/history.
func (a *auditRoutes) targetHistory(c *gin.Context, d domain.Domain) {
	q := newQuery(c, "after", "limit")
	after, limit := historyPage(q)
	if q.abort(c) {
		return
	}
	page, err := a.audit.TargetHistory(c.Request.Context(), d, after, time.Time{}, limit)
	if err != nil {
		a.rr.internal(c, err)
		return
	}
	if len(page.Events) == 0 && !page.More && after == 0 {
		abortWithError(c, http.StatusNotFound, CodeNotFound, "no target "+echo(d.String()), map[string]any{"domain": echo(d.String())})
		return
	}
	a.writeHistory(c, page)
}

// jobHistory serves GET /api/enrich/jobs/{job_id}/history.
func (a *auditRoutes) jobHistory(c *gin.Context) {
	if a.audit == nil {
		abortWithError(c, http.StatusServiceUnavailable, CodeUnavailable, "the audit log is not configured on this server", nil)
		return
	}
	id, err := uuid.Parse(c.Param("job_id"))
	if err != nil {
		abortWithError(c, http.StatusBadRequest, CodeInvalidParameter, "job_id must be a UUID", map[string]any{"parameter": "job_id"})
		return
	}
	q := newQuery(c, "after", "limit")
	after, limit := historyPage(q)
	if q.abort(c) {
		return
	}
	page, err := a.audit.JobHistory(c.Request.Context(), id, after, limit)
	if err != nil {
		a.rr.internal(c, err)
		return
	}
	if len(page.Events) == 0 && !page.More && after == 0 {
		abortWithError(c, http.StatusNotFound, CodeNotFound, "no enrichment job "+id.String(), map[string]any{"job_id": id.String()})
		return
	}
	a.writeHistory(c, page)
}

func historyPage(q *query) (after int64, limit int) {
	limit = historyDefaultLimit
	if n := q.intIn("limit", 1, historyMaxLimit); n != nil {
		limit = *n
	}
	if n := q.intIn("after", 0, math.MaxInt); n != nil {
		after = int64(*n)
	}
	return after, limit
}

func (a *auditRoutes) writeHistory(c *gin.Context, page readmodel.HistoryPage) {
	out := History{Data: make([]HistoryEvent, len(page.Events))}
	for i, re := range page.Events {
		data, err := domain.Upcast(re)
		if err != nil {
			a.rr.internal(c, err)
			return
		}
		out.Data[i] = HistoryEvent{
			Position: re.Position, StreamID: re.StreamID, StreamVersion: re.StreamVersion, EventID: re.ID,
			Type: re.Type, SchemaVersion: domain.SchemaVersion(re.Type), RecordedAt: re.RecordedAt.UTC(),
			Actor: re.Metadata.Actor, CorrelationID: re.Metadata.CorrelationID, CausationID: re.Metadata.CausationID,
			RequestID: re.Metadata.RequestID, Data: data,
		}
	}
	if page.More {
		out.NextAfter = &page.NextAfter
	}
	writeJSON(c, http.StatusOK, out)
}

// scoreChanges serves GET /api/companies/{domain}/score-changes: every
// score of the target in order, each beside the one before it.
func (a *auditRoutes) scoreChanges(c *gin.Context, d domain.Domain) {
	if newQuery(c).abort(c) {
		return
	}
	events, err := a.audit.TargetEvents(c.Request.Context(), d, time.Time{})
	if err != nil {
		a.rr.internal(c, err)
		return
	}
	if len(events) == 0 {
		abortWithError(c, http.StatusNotFound, CodeNotFound, "no target "+echo(d.String()), map[string]any{"domain": echo(d.String())})
		return
	}
	changes, err := domain.ScoreChanges(events)
	if err != nil {
		a.rr.internal(c, err)
		return
	}
	if changes == nil {
		changes = []domain.ScoreChange{}
	}
	writeJSON(c, http.StatusOK, ScoreChanges{Domain: d.String(), Data: changes})
}

// asOf serves GET /api/companies/{domain}?as_of=RFC3339: the record as it
// stood at that instant.
func (a *auditRoutes) asOf(c *gin.Context, d domain.Domain) {
	q := newQuery(c, "as_of")
	raw, _ := q.single("as_of")
	at, err := time.Parse(time.RFC3339, strings.TrimSpace(raw))
	if err != nil && q.err == nil {
		q.fail("as_of", "as_of must be an RFC 3339 time such as 2025-03-03T09:30:00Z, not \""+echo(raw)+"\"")
	}
	if q.abort(c) {
		return
	}
	t, err := a.audit.TargetAsOf(c.Request.Context(), d, at)
	if errors.Is(err, readmodel.ErrNotFound) {
		abortWithError(c, http.StatusNotFound, CodeNotFound, "no target "+echo(d.String())+" as of "+at.UTC().Format(time.RFC3339),
			map[string]any{"domain": echo(d.String()), "as_of": at.UTC().Format(time.RFC3339)})
		return
	}
	if err != nil {
		a.rr.internal(c, err)
		return
	}
	writeJSON(c, http.StatusOK, t)
}

// auditRequest reports whether a request on the company route asks for an
// auditor's view: those read the event log, not the targets read model, so
// the read cache keyed on that model's version must not answer them. Only
// the company route is asked, so the list's hot path parses no query here.
func auditRequest(r *http.Request) bool {
	p := strings.TrimSuffix(r.URL.Path, "/")
	return strings.HasSuffix(p, historySuffix) || strings.HasSuffix(p, scoreChangesSuffix) || r.URL.Query().Has("as_of")
}
