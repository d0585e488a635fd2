package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

// fakeRequester records the commands it receives and answers with a fixed
// result.
type fakeRequester struct {
	mu     sync.Mutex
	got    []commands.RequestEnrichment
	answer commands.EnrichmentAccepted
	err    error
}

func (f *fakeRequester) Handle(_ context.Context, cmd commands.RequestEnrichment) (commands.EnrichmentAccepted, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, cmd)
	return f.answer, f.err
}

func (f *fakeRequester) last(t *testing.T) commands.RequestEnrichment {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.got) == 0 {
		t.Fatal("the handler was not called")
	}
	return f.got[len(f.got)-1]
}

// errDatabaseDown stands for a failure Deps.Unavailable recognises: a
// connection refused or dropped (postgres.Unavailable in production).
var errDatabaseDown = errors.New("connection refused")

func databaseDown(err error) bool { return errors.Is(err, errDatabaseDown) }

func TestEnrichRoute(t *testing.T) {
	t.Parallel()
	jobID := uuid.MustParse("0b5f3c1e-8f5e-4a57-9d2a-6f1f2b3c4d5e")
	secret := errors.New("dial tcp 10.0.0.7:5432: password authentication failed")
	tests := []struct {
		name       string
		path       string
		header     map[string]string
		body       string
		answer     commands.EnrichmentAccepted
		err        error
		wantStatus int
		wantCode   string
		wantJSON   map[string]any
		// wantMessage is a substring of the error message.
		wantMessage string
		check       func(t *testing.T, cmd commands.RequestEnrichment)
	}{
		{
			name: "new job with the defaults", path: "/api/enrich/WWW.Costco.com",
			header: map[string]string{HeaderRequestID: "req-1"},
			answer: commands.EnrichmentAccepted{JobID: jobID}, wantStatus: http.StatusAccepted,
			wantJSON: map[string]any{"job_id": jobID.String(), "domain": "costco.com", "status": "pending",
				"status_url": "/api/enrich/status/" + jobID.String()},
			check: func(t *testing.T, cmd commands.RequestEnrichment) {
				want := commands.RequestEnrichment{
					Domain: domain.MustParseDomain("costco.com"), RequestedBy: "admin@example.com",
					EnrichmentsPerDay: domain.TierAdmin.Limits().EnrichmentsPerDay,
					Metadata:          domain.Metadata{CorrelationID: "req-1", RequestID: "req-1", Actor: "admin@example.com"},
				}
				if fmt.Sprint(cmd) != fmt.Sprint(want) {
					t.Errorf("command %+v, want %+v", cmd, want)
				}
			},
		},
		{
			name: "force and providers", path: "/api/enrich/target.com", body: `{"force":true,"providers":["yahoo_finance","builtwith"]}`,
			header: map[string]string{HeaderAPIKey: testKey("ana@partnerforge.io", domain.TierStandard)},
			answer: commands.EnrichmentAccepted{JobID: jobID}, wantStatus: http.StatusAccepted,
			check: func(t *testing.T, cmd commands.RequestEnrichment) {
				if !cmd.Force || !slices.Equal(cmd.Providers, []domain.Provider{domain.ProviderBuiltWith, domain.ProviderYahooFinance}) {
					t.Errorf("force %v providers %v", cmd.Force, cmd.Providers)
				}
				if cmd.RequestedBy != "ana@partnerforge.io" || cmd.Metadata.Actor != "ana@partnerforge.io" {
					t.Errorf("requester %q actor %q", cmd.RequestedBy, cmd.Metadata.Actor)
				}
			},
		},
		{
			name: "joins the job in flight", path: "/api/enrich/costco.com",
			answer: commands.EnrichmentAccepted{JobID: jobID, Reused: domain.ReusedInFlight}, wantStatus: http.StatusAccepted,
			wantJSON: map[string]any{"job_id": jobID.String(), "domain": "costco.com", "status": "accepted",
				"status_url": "/api/enrich/status/" + jobID.String(), "reused": "in_flight"},
		},
		{name: "fresh target", path: "/api/enrich/costco.com", answer: commands.EnrichmentAccepted{JobID: jobID, Reused: domain.ReusedFresh},
			wantStatus: http.StatusAccepted, wantJSON: map[string]any{"job_id": jobID.String(), "domain": "costco.com",
				"status": "accepted", "status_url": "/api/enrich/status/" + jobID.String(), "reused": "fresh"}},
		{name: "whitespace body means the defaults", path: "/api/enrich/costco.com", body: " \n", answer: commands.EnrichmentAccepted{JobID: jobID}, wantStatus: http.StatusAccepted},
		{name: "invalid domain", path: "/api/enrich/localhost", wantStatus: http.StatusBadRequest, wantCode: CodeInvalidDomain},
		{name: "unknown field", path: "/api/enrich/costco.com", body: `{"forced":true}`, wantStatus: http.StatusBadRequest, wantCode: CodeInvalidParameter},
		{name: "malformed JSON", path: "/api/enrich/costco.com", body: `{"force":tru`, wantStatus: http.StatusBadRequest, wantCode: CodeInvalidParameter},
		{name: "a JSON array", path: "/api/enrich/costco.com", body: `[]`, wantStatus: http.StatusBadRequest, wantCode: CodeInvalidParameter},
		{name: "trailing data", path: "/api/enrich/costco.com", body: `{}x`, wantStatus: http.StatusBadRequest, wantCode: CodeInvalidParameter},
		{name: "unknown provider", path: "/api/enrich/costco.com", body: `{"providers":["clearbit"]}`, wantStatus: http.StatusBadRequest, wantCode: CodeInvalidParameter},
		{name: "unknown key", path: "/api/enrich/costco.com", header: map[string]string{HeaderAPIKey: unknownKey},
			wantStatus: http.StatusForbidden, wantCode: CodeInvalidAPIKey},
		{name: "too many jobs", path: "/api/enrich/costco.com", err: fmt.Errorf("request enrichment of costco.com: %w: 5 of 5", domain.ErrTooManyJobs),
			wantStatus: http.StatusTooManyRequests, wantCode: CodeTooManyJobs},
		{name: "add a target", path: "/api/enrich/new-shop.com", body: `{"add":true}`,
			answer: commands.EnrichmentAccepted{JobID: jobID}, wantStatus: http.StatusAccepted,
			check: func(t *testing.T, cmd commands.RequestEnrichment) {
				if !cmd.Add || cmd.Providers != nil {
					t.Errorf("add %v providers %v, want add and the default providers", cmd.Add, cmd.Providers)
				}
			},
		},
		{name: "not a target", path: "/api/enrich/costcoo.com", err: fmt.Errorf("request enrichment of costcoo.com: %w", domain.ErrNotATarget),
			wantStatus: http.StatusNotFound, wantCode: CodeNotFound, wantMessage: `costcoo.com is not a target; to add it and enrich it, send {"add": true}`},
		{name: "force as a string", path: "/api/enrich/costco.com", body: `{"force":"yes"}`,
			wantStatus: http.StatusBadRequest, wantCode: CodeInvalidParameter, wantMessage: "force must be true or false"},
		{name: "providers as a string", path: "/api/enrich/costco.com", body: `{"providers":"builtwith"}`,
			wantStatus: http.StatusBadRequest, wantCode: CodeInvalidParameter, wantMessage: "providers must be a list of provider names"},
		{name: "empty provider list", path: "/api/enrich/costco.com", body: `{"providers":[]}`,
			wantStatus: http.StatusBadRequest, wantCode: CodeInvalidParameter, wantMessage: "providers must name at least one provider"},
		{name: "unknown field is named", path: "/api/enrich/costco.com", body: `{"provider":["similarweb"]}`,
			wantStatus: http.StatusBadRequest, wantCode: CodeInvalidParameter, wantMessage: `unknown field "provider" in the body (allowed: add, force, providers)`},
		{name: "too many jobs names the limit", path: "/api/enrich/costco.com",
			err:        fmt.Errorf("request enrichment of costco.com: %w", &domain.TooManyJobsError{Open: 5, Limit: 5}),
			wantStatus: http.StatusTooManyRequests, wantCode: CodeTooManyJobs, wantMessage: "you have 5 enrichment jobs in flight and the limit is 5"},
		{name: "unexpected failure", path: "/api/enrich/costco.com", err: secret, wantStatus: http.StatusInternalServerError, wantCode: CodeInternal},
		{name: "lost every race", path: "/api/enrich/costco.com",
			err:        fmt.Errorf("request enrichment of costco.com: gave up after 20 conflicts: %w", &domain.ConcurrencyError{Stream: "requester-a", Expected: 3, Actual: 4}),
			wantStatus: http.StatusServiceUnavailable, wantCode: CodeUnavailable, wantMessage: "retry shortly"},
		{name: "database unreachable", path: "/api/enrich/costco.com", err: fmt.Errorf("request enrichment of costco.com: %w", errDatabaseDown),
			wantStatus: http.StatusServiceUnavailable, wantCode: CodeUnavailable, wantMessage: "retry shortly"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := &fakeRequester{answer: tc.answer, err: tc.err}
			srv := httptest.NewServer(NewRouter(withTestAuth(Deps{Enrich: fake, Unavailable: databaseDown})))
			t.Cleanup(srv.Close)
			header := map[string]string{}
			if tc.body != "" {
				header["Content-Type"] = "application/json"
			}
			maps.Copy(header, tc.header)
			resp, body := send(t, srv, http.MethodPost, tc.path, header, tc.body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.wantStatus, body)
			}
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			if tc.wantCode != "" {
				if code := got["error"].(map[string]any)["code"]; code != tc.wantCode {
					t.Errorf("code %v, want %s", code, tc.wantCode)
				}
				if strings.Contains(string(body), "10.0.0.7") {
					t.Errorf("error body leaks internals: %s", body)
				}
				if msg, _ := got["error"].(map[string]any)["message"].(string); !strings.Contains(msg, tc.wantMessage) {
					t.Errorf("message %q, want it to contain %q", msg, tc.wantMessage)
				}
			}
			if tc.wantStatus == http.StatusAccepted {
				if loc := resp.Header.Get("Location"); loc != "/api/enrich/status/"+jobID.String() {
					t.Errorf("Location %q", loc)
				}
			}
			if tc.wantStatus == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "30" {
				t.Errorf("Retry-After %q, want 30", resp.Header.Get("Retry-After"))
			}
			if tc.wantStatus == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "2" {
				t.Errorf("Retry-After %q, want 2", resp.Header.Get("Retry-After"))
			}
			if tc.wantJSON != nil && fmt.Sprint(got) != fmt.Sprint(tc.wantJSON) {
				t.Errorf("body %v, want %v", got, tc.wantJSON)
			}
			if tc.check != nil {
				tc.check(t, fake.last(t))
			}
		})
	}
}

func TestEnrichRouteWithoutHandler(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(NewRouter(withTestAuth(Deps{})))
	t.Cleanup(srv.Close)
	resp, body := send(t, srv, http.MethodPost, "/api/enrich/costco.com", nil, "")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), CodeUnavailable) {
		t.Fatalf("status %d body %s, want 503 %s", resp.StatusCode, body, CodeUnavailable)
	}
}

// send makes one request and returns the response with its whole body.
func send(t *testing.T, srv *httptest.Server, method, path string, header map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	return sendTo(t, srv.URL, method, path, header, body)
}
