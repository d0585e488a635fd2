package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections/projectiontest"
)

func testJobs(t *testing.T, rs *readServer) {
	t.Run("status of a projected job", func(t *testing.T) {
		t.Parallel()
		var got JobStatus
		if status := rs.get(t, "/api/enrich/status/"+rs.jobs[0].String(), &got); status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
		if got.JobID != rs.jobs[0] || got.Domain != readFixture[0].domain || got.Status != domain.JobCompleted || got.Progress != 100 {
			t.Errorf("job = %+v", got)
		}
		if got.Result == nil || got.Result.Score == nil || got.Result.Tier == nil || got.Error != nil || got.FinishedAt == nil {
			t.Errorf("result %+v error %v finished %v", got.Result, got.Error, got.FinishedAt)
		}
		bw := got.Providers["builtwith"]
		if len(got.Providers) != 3 || bw.Status != "fetched" || bw.LatencyMS == nil || *bw.LatencyMS != 120 || bw.Error != nil || bw.Attempts != 1 {
			t.Errorf("providers = %+v", got.Providers)
		}
	})
	t.Run("status of an unknown job", func(t *testing.T) {
		t.Parallel()
		rs.wantError(t, "/api/enrich/status/"+uuid.NewString(), http.StatusNotFound, CodeNotFound, "")
	})
	for _, bad := range []string{"not-a-uuid", "123", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"} {
		t.Run("status with id "+bad, func(t *testing.T) {
			t.Parallel()
			rs.wantError(t, "/api/enrich/status/"+bad, http.StatusBadRequest, CodeInvalidParameter, "job_id")
		})
	}
	t.Run("list newest first", func(t *testing.T) {
		t.Parallel()
		var got JobList
		if rs.get(t, "/api/enrich/jobs?requested_by=ana@example.com", &got) != http.StatusOK {
			t.Fatal("list failed")
		}
		if len(got.Data) != 2 || got.Data[0].JobID != rs.jobs[2] || got.Data[1].JobID != rs.jobs[0] || got.Pagination.Total != 2 {
			t.Errorf("ana's jobs = %s", mustMarshal(t, got))
		}
		for _, j := range got.Data {
			if j.RequestedBy != "ana@example.com" {
				t.Errorf("job of %s listed for ana", j.RequestedBy)
			}
		}
	})
	t.Run("list the caller's own jobs", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			owner string
			want  []uuid.UUID
		}{
			{"ana@example.com", []uuid.UUID{rs.jobs[2], rs.jobs[0]}},
			{"cy@example.com", []uuid.UUID{rs.jobs[3]}},
			{"nobody@example.com", nil},
		}
		for _, tt := range tests {
			req, err := http.NewRequest(http.MethodGet, rs.url+"/api/enrich/jobs?requested_by=me", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set(HeaderAPIKey, testKey(tt.owner, domain.TierStandard))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var got JobList
			err = json.NewDecoder(resp.Body).Decode(&got)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: status %d, %v", tt.owner, resp.StatusCode, err)
			}
			var ids []uuid.UUID
			for _, j := range got.Data {
				ids = append(ids, j.JobID)
				if j.RequestedBy != tt.owner {
					t.Errorf("%s's list holds a job of %s", tt.owner, j.RequestedBy)
				}
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("%s's jobs = %v, want %v", tt.owner, ids, tt.want)
			}
		}
	})
	t.Run("list pages", func(t *testing.T) {
		t.Parallel()
		var all JobList
		rs.get(t, "/api/enrich/jobs?per_page=200", &all)
		for i := 1; i < len(all.Data); i++ {
			if all.Data[i].CreatedAt.After(all.Data[i-1].CreatedAt) {
				t.Errorf("job %d is newer than job %d", i, i-1)
			}
		}
		n := all.Pagination.Total
		if n < len(rs.jobs) || len(all.Data) != n {
			t.Fatalf("%d jobs listed, total %d", len(all.Data), n)
		}
		for page := 1; page <= n+1; page++ {
			var got JobList
			rs.get(t, "/api/enrich/jobs?per_page=1&page="+strconv.Itoa(page), &got)
			if got.Pagination != (Pagination{Page: page, PerPage: 1, Total: n, TotalPages: n}) {
				t.Errorf("page %d: %+v", page, got.Pagination)
			}
			if page <= n && (len(got.Data) != 1 || got.Data[0].JobID != all.Data[page-1].JobID) {
				t.Errorf("page %d holds %s", page, mustMarshal(t, got.Data))
			}
			if page > n && len(got.Data) != 0 {
				t.Errorf("page past the end holds %d jobs", len(got.Data))
			}
		}
	})
	for _, tt := range []struct {
		name, query string
		want        []int // indexes into rs.jobs, newest first
	}{
		{"one target's jobs, any spelling", "domain=WWW.Bravo-Home.com", []int{3, 1}},
		{"failed jobs", "status=failed", []int{3}},
		{"status in any case", "status=Completed&domain=bravo-home.com", []int{1}},
		{"status and requester", "status=completed&requested_by=ana@example.com", []int{2, 0}},
		{"no such jobs", "status=running", nil},
		{"a domain without jobs", "domain=kilo-tools.com", nil},
	} {
		t.Run("list "+tt.name, func(t *testing.T) {
			t.Parallel()
			var got JobList
			if status := rs.get(t, "/api/enrich/jobs?"+tt.query, &got); status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			var ids, want []uuid.UUID
			for _, j := range got.Data {
				ids = append(ids, j.JobID)
			}
			for _, i := range tt.want {
				want = append(want, rs.jobs[i])
			}
			if !slices.Equal(ids, want) || got.Pagination.Total != len(want) {
				t.Errorf("GET ?%s: %v (total %d), want %v", tt.query, ids, got.Pagination.Total, want)
			}
		})
	}
	t.Run("an unknown status lists the valid ones", func(t *testing.T) {
		t.Parallel()
		var e ErrorBody
		if rs.get(t, "/api/enrich/jobs?status=done", &e) != http.StatusBadRequest ||
			!strings.Contains(e.Error.Message, "pending, running, completed, partial, failed") {
			t.Errorf("error %+v", e.Error)
		}
		if got := mustMarshal(t, e.Error.Details["allowed"]); got != `["pending","running","completed","partial","failed"]` {
			t.Errorf("details.allowed = %s", got)
		}
	})
	for _, tt := range []struct{ query, param string }{
		{"per_page=0", "per_page"}, {"per_page=201", "per_page"}, {"page=two", "page"}, {"status=done", "status"},
		{"status=failed&status=pending", "status"}, {"domain=not_a_domain", "domain"},
		{"requested_by=a&requested_by=b", "requested_by"}, {"state=failed", "state"},
	} {
		t.Run("list with "+tt.query, func(t *testing.T) {
			t.Parallel()
			rs.wantError(t, "/api/enrich/jobs?"+tt.query, http.StatusBadRequest, CodeInvalidParameter, tt.param)
		})
	}
}

// A job POST /api/enrich has just opened may not be projected yet: its
// status must come from the log, and equal the projected one later.
func TestJobStatusBeforeProjection(t *testing.T) {
	t.Parallel()
	rs := newReadServer(t)
	// Nothing runs the projections after this append, so only the
	// fallback can answer.
	id := projectiontest.RunJob(t, rs.store, projectiontest.Job{
		Domain: "fresh-request.com", At: time.Now(),
		Fetched: map[domain.Provider]domain.ProviderData{domain.ProviderSimilarWeb: projectiontest.Traffic},
		Failed:  map[domain.Provider]domain.FailureCode{domain.ProviderYahooFinance: domain.FailureNoTicker},
		Pending: []domain.Provider{domain.ProviderBuiltWith},
	})
	var got JobStatus
	if status := rs.get(t, "/api/enrich/status/"+id.String(), &got); status != http.StatusOK {
		t.Fatalf("status %d before the projection caught up", status)
	}
	yf := got.Providers["yahoo_finance"]
	if got.Status != domain.JobRunning || got.Progress != 66 || got.Providers["builtwith"].Status != "pending" ||
		yf.Status != "failed" || yf.Error == nil || *yf.Error != "no_ticker" || got.Result != nil {
		t.Errorf("job from the log = %s", mustMarshal(t, got))
	}
	// Once projected, the jobs list (read from the projection) shows the
	// same job: the log's fold and the projection's agree.
	if err := rs.runner.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if projected := projectedJob(t, rs, id); mustMarshal(t, projected) != mustMarshal(t, got) {
		t.Errorf("projected %s\nfrom log  %s", mustMarshal(t, projected), mustMarshal(t, got))
	}

	// The projection now has a row for the job. An outcome it has not
	// reached yet still shows: a client reads its own writes even when a
	// projected row exists and lags the stream.
	projectiontest.Append(t, rs.store, domain.JobStream(id), domain.ProviderFetched{
		JobID: id, Domain: domain.MustParseDomain("fresh-request.com"), Provider: domain.ProviderBuiltWith,
		Data: projectiontest.Tech, LatencyMS: 80, Attempts: 1, HTTPStatus: 200,
	})
	var later JobStatus
	rs.get(t, "/api/enrich/status/"+id.String(), &later)
	if bw := later.Providers["builtwith"]; bw.Status != "fetched" || later.Progress != 100 {
		t.Errorf("status behind the job's stream: builtwith %+v, progress %d", bw, later.Progress)
	}
	if stale := projectedJob(t, rs, id); stale.Providers["builtwith"].Status != "pending" {
		t.Fatalf("the projection was expected to lag, and shows builtwith %+v", stale.Providers["builtwith"])
	}
}

// projectedJob finds a job in GET /api/enrich/jobs, which reads the jobs
// projection.
func projectedJob(t *testing.T, rs *readServer, id uuid.UUID) JobStatus {
	t.Helper()
	var list JobList
	if status := rs.get(t, "/api/enrich/jobs?per_page=200", &list); status != http.StatusOK {
		t.Fatalf("list jobs: status %d", status)
	}
	for _, j := range list.Data {
		if j.JobID == id {
			return j
		}
	}
	t.Fatalf("job %s not in the projected list", id)
	return JobStatus{}
}

func TestReadRoutesWithoutReadModels(t *testing.T) {
	t.Parallel()
	srv := newUnconfiguredServer(t)
	for _, path := range []string{"/api/targets", "/api/companies/costco.com", "/api/enrich/status/" + uuid.NewString(), "/api/enrich/jobs", "/api/stats"} {
		srv.wantError(t, path, http.StatusServiceUnavailable, CodeUnavailable, "")
	}
}
