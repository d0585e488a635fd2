package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections"
	"github.com/partnerforge/partnerforge/projections/projectiontest"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// auditServer is a read server with the audit routes, and one more target,
// audit-shop.com, enriched twice: first with everything, then with a
// traffic fetch that shows far fewer visits, so its score drops.
type auditServer struct {
	*readServer
	domain        string
	first, second uuid.UUID
	// between is an instant after the first job and before the second.
	between time.Time
}

func newAuditServer(t *testing.T) *auditServer {
	t.Helper()
	rs := newReadServer(t, func(rs *readServer, d *Deps) { d.Audit = projections.NewAudit(rs.db.Pool) })
	a := &auditServer{readServer: rs, domain: "audit-shop.com"}
	profile := projectiontest.Profile(a.domain, "Audit Shop", "Fashion", "US", 40)
	projectiontest.Import(t, rs.store, uuid.New(), profile)
	a.first = projectiontest.RunJob(t, rs.store, projectiontest.Job{
		Domain: a.domain, At: time.Now(), Fetched: projectiontest.AllFetched(), Profile: &profile,
	})
	a.between = time.Now()
	smaller := *projectiontest.Traffic.Traffic
	smaller.MonthlyVisits, smaller.TrafficGrowth = 20_000, -0.4
	a.second = projectiontest.RunJob(t, rs.store, projectiontest.Job{
		Domain: a.domain, At: time.Now(), Fetched: map[domain.Provider]domain.ProviderData{domain.ProviderSimilarWeb: {Traffic: &smaller}}, Profile: &profile,
	})
	if err := rs.runner.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestTargetHistory(t *testing.T) {
	t.Parallel()
	a := newAuditServer(t)
	var all History
	if status := a.get(t, "/api/companies/www.Audit-Shop.com/history?limit=500", &all); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	if all.NextAfter != nil {
		t.Errorf("next_after %d on the only page", *all.NextAfter)
	}
	streams := map[string]int{}
	types := map[string]int{}
	for i, e := range all.Data {
		if i > 0 && e.Position <= all.Data[i-1].Position {
			t.Fatalf("event %d at %d after %d: not in log order", i, e.Position, all.Data[i-1].Position)
		}
		if e.EventID == uuid.Nil || e.Type == "" || e.RecordedAt.IsZero() || len(e.Data) < 2 || e.SchemaVersion != domain.SchemaVersion(e.Type) {
			t.Errorf("event %d incomplete: %+v", i, e)
		}
		streams[e.StreamID]++
		types[e.Type]++
	}
	// The target's stream and both jobs' streams, and nothing else.
	want := []string{domain.TargetStream(domain.MustParseDomain(a.domain)), domain.JobStream(a.first), domain.JobStream(a.second)}
	if len(streams) != len(want) {
		t.Errorf("streams %v, want %v", streams, want)
	}
	for _, s := range want {
		if streams[s] == 0 {
			t.Errorf("no events of %s in %v", s, streams)
		}
	}
	if types[domain.TypeTargetImported] != 1 || types[domain.TypeEnrichmentRequested] != 2 || types[domain.TypeScoreComputed] != 2 || types[domain.TypeProviderFetched] != 4 {
		t.Errorf("event types %v", types)
	}

	// Paging: two at a time, the cursor from each page, the same events.
	var paged []HistoryEvent
	path := "/api/companies/audit-shop.com/history?limit=2"
	for range len(all.Data) + 1 {
		var page History
		if status := a.get(t, path, &page); status != http.StatusOK {
			t.Fatalf("%s: status %d", path, status)
		}
		paged = append(paged, page.Data...)
		if page.NextAfter == nil {
			break
		}
		path = "/api/companies/audit-shop.com/history?limit=2&after=" + itoa64(*page.NextAfter)
	}
	if mustMarshal(t, paged) != mustMarshal(t, all.Data) {
		t.Errorf("pages of two give %d events, one page %d", len(paged), len(all.Data))
	}
}

func TestJobHistory(t *testing.T) {
	t.Parallel()
	a := newAuditServer(t)
	var h History
	if status := a.get(t, "/api/enrich/jobs/"+a.second.String()+"/history", &h); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	types := map[string]int{}
	for _, e := range h.Data {
		types[e.Type]++
		if e.StreamID != domain.JobStream(a.second) && e.StreamID != domain.TargetStream(domain.MustParseDomain(a.domain)) {
			t.Errorf("event of stream %s in the job's history", e.StreamID)
		}
	}
	// The request, its one fetch and its end on the job's stream; the job
	// opened, scored and closed on the target's, and not the first job's.
	want := map[string]int{
		domain.TypeEnrichmentRequested: 1, domain.TypeProviderFetched: 1, domain.TypeEnrichmentCompleted: 1,
		domain.TypeEnrichmentJobOpened: 1, domain.TypeScoreComputed: 1, domain.TypeEnrichmentJobClosed: 1,
	}
	if mustMarshal(t, types) != mustMarshal(t, want) {
		t.Errorf("types %v, want %v", types, want)
	}
}

func TestScoreChangesRoute(t *testing.T) {
	t.Parallel()
	a := newAuditServer(t)
	var got ScoreChanges
	if status := a.get(t, "/api/companies/audit-shop.com/score-changes", &got); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	if len(got.Data) != 2 {
		t.Fatalf("%d score changes, want one per job", len(got.Data))
	}
	first, second := got.Data[0], got.Data[1]
	if first.Previous != nil || first.JobID != a.first || second.JobID != a.second || second.Previous == nil || second.Previous.Score != first.Score {
		t.Fatalf("changes %s", mustMarshal(t, got.Data))
	}
	if second.Score >= first.Score {
		t.Errorf("score went from %d to %d; the smaller traffic should lower it", first.Score, second.Score)
	}
	sum := 0
	for _, f := range second.Factors {
		sum += f.Delta
	}
	if sum != second.Score-first.Score {
		t.Errorf("factor deltas add up to %d, the score moved by %d", sum, second.Score-first.Score)
	}
	if src := second.Sources[domain.GroupTraffic]; src.JobID != a.second || src.EventID == uuid.Nil {
		t.Errorf("traffic source %+v, want the second job's fetch", src)
	}
}

func TestCompanyAsOf(t *testing.T) {
	t.Parallel()
	a := newAuditServer(t)
	var live, now, then readmodel.Target
	a.get(t, "/api/companies/audit-shop.com", &live)
	// As of now, the record is the projected one: the same fold.
	if status := a.get(t, "/api/companies/audit-shop.com?as_of="+url.QueryEscape(time.Now().Add(time.Second).Format(time.RFC3339Nano)), &now); status != http.StatusOK {
		t.Fatalf("as of now: status %d", status)
	}
	if mustMarshal(t, now) != mustMarshal(t, live) {
		t.Errorf("as of now\n%s\nprojected\n%s", mustMarshal(t, now), mustMarshal(t, live))
	}
	// Between the jobs: the first job's score and visits.
	if status := a.get(t, "/api/companies/audit-shop.com?as_of="+url.QueryEscape(a.between.Format(time.RFC3339Nano)), &then); status != http.StatusOK {
		t.Fatalf("as of between: status %d", status)
	}
	if then.LastJobID == nil || *then.LastJobID != a.first || then.SWMonthlyVisits == nil || *then.SWMonthlyVisits == 20_000 {
		t.Errorf("as of between the jobs: last job %v, visits %v; want the first job's", then.LastJobID, then.SWMonthlyVisits)
	}
	// Asking changed nothing: the live record is as it was.
	var after readmodel.Target
	a.get(t, "/api/companies/audit-shop.com", &after)
	if mustMarshal(t, after) != mustMarshal(t, live) {
		t.Error("an as-of read changed the live record")
	}
	a.wantError(t, "/api/companies/audit-shop.com?as_of=2001-01-01T00:00:00Z", http.StatusNotFound, CodeNotFound, "")
}

func TestAuditRouteErrors(t *testing.T) {
	t.Parallel()
	a := newAuditServer(t)
	tests := []struct {
		path, code, param string
		status            int
	}{
		{"/api/companies/audit-shop.com?as_of=yesterday", CodeInvalidParameter, "as_of", http.StatusBadRequest},
		{"/api/companies/audit-shop.com?as_of=2025-03-03", CodeInvalidParameter, "as_of", http.StatusBadRequest},
		{"/api/companies/audit-shop.com/history?limit=0", CodeInvalidParameter, "limit", http.StatusBadRequest},
		{"/api/companies/audit-shop.com/history?limit=501", CodeInvalidParameter, "limit", http.StatusBadRequest},
		{"/api/companies/audit-shop.com/history?after=-1", CodeInvalidParameter, "after", http.StatusBadRequest},
		{"/api/companies/audit-shop.com/history?page=2", CodeInvalidParameter, "page", http.StatusBadRequest},
		{"/api/companies/not-a-target.com/history", CodeNotFound, "", http.StatusNotFound},
		{"/api/companies/not-a-target.com/score-changes", CodeNotFound, "", http.StatusNotFound},
		{"/api/companies/bad_domain/history", CodeInvalidDomain, "domain", http.StatusBadRequest},
		{"/api/enrich/jobs/not-a-uuid/history", CodeInvalidParameter, "job_id", http.StatusBadRequest},
		{"/api/enrich/jobs/" + uuid.NewString() + "/history", CodeNotFound, "", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			a.wantError(t, tt.path, tt.status, tt.code, tt.param)
		})
	}
}

func TestAuditRoutesWithoutAuditLog(t *testing.T) {
	t.Parallel()
	rs := newReadServer(t)
	for _, path := range []string{
		"/api/companies/alpha-outfitters.com/history", "/api/companies/alpha-outfitters.com/score-changes",
		"/api/companies/alpha-outfitters.com?as_of=2025-01-01T00:00:00Z", "/api/enrich/jobs/" + rs.jobs[0].String() + "/history",
	} {
		rs.wantError(t, path, http.StatusServiceUnavailable, CodeUnavailable, "")
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
