package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// oneTarget is a read model holding one target; the company route is all
// these tests ask of it.
type oneTarget struct{ domain string }

func (o oneTarget) GetTarget(_ context.Context, d string) (readmodel.Target, error) {
	if d != o.domain {
		return readmodel.Target{}, readmodel.ErrNotFound
	}
	return readmodel.Target{Domain: d}, nil
}

func (oneTarget) ListTargets(context.Context, readmodel.TargetFilter) (readmodel.TargetPage, error) {
	return readmodel.TargetPage{}, errors.New("not in this test")
}

func (oneTarget) GetJob(context.Context, uuid.UUID) (readmodel.Job, error) {
	return readmodel.Job{}, errors.New("not in this test")
}

func (oneTarget) ListJobs(context.Context, readmodel.JobFilter) (readmodel.JobPage, error) {
	return readmodel.JobPage{}, errors.New("not in this test")
}

func (oneTarget) Stats(context.Context) (readmodel.Stats, error) {
	return readmodel.Stats{}, errors.New("not in this test")
}

// A trailing slash or a website's address pasted whole finds the company,
// and every answer on the route is JSON: never gin's HTML redirect.
func TestCompanyRouteTakesPastedAddresses(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(NewRouter(withTestAuth(Deps{Reads: oneTarget{domain: "northwind-hardware.com"}})))
	t.Cleanup(srv.Close)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	tests := []struct {
		path       string
		wantStatus int
		wantCode   string
	}{
		{"/api/companies/northwind-hardware.com", http.StatusOK, ""},
		{"/api/companies/northwind-hardware.com/", http.StatusOK, ""},
		{"/api/companies/www.northwind-hardware.com/", http.StatusOK, ""},
		{"/api/companies/https://www.northwind-hardware.com/", http.StatusOK, ""},
		{"/api/companies/https://www.northwind-hardware.com", http.StatusOK, ""},
		{"/api/companies/http://Northwind-Hardware.com/products/tools?ref=x", http.StatusOK, ""},
		{"/api/companies/https%3A%2F%2Fwww.northwind-hardware.com%2F", http.StatusOK, ""},
		{"/api/companies/northwind-hardware.com%2F", http.StatusOK, ""},
		{"/api/companies/https://www.unlisted-example.com/", http.StatusNotFound, CodeNotFound},
		{"/api/companies/", http.StatusBadRequest, CodeInvalidDomain},
		{"/api/companies/https://", http.StatusBadRequest, CodeInvalidDomain},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			resp, err := client.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("GET %s = %d %s (%s), want %d JSON", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, tt.wantStatus)
			}
			var got struct {
				Domain string `json:"domain"`
				Error  struct {
					Code string `json:"code"`
				} `json:"error"`
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("body is not JSON: %v\n%s", err, body)
			}
			if tt.wantCode != "" && got.Error.Code != tt.wantCode {
				t.Errorf("error code %q, want %q: %s", got.Error.Code, tt.wantCode, body)
			}
			if tt.wantStatus == http.StatusOK && got.Domain != "northwind-hardware.com" {
				t.Errorf("found %q, want northwind-hardware.com", got.Domain)
			}
		})
	}
}
