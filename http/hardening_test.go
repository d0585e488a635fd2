package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/partnerforge/partnerforge/domain"
)

// errorOf decodes the error shape, failing the test when the body is not it.
func errorOf(t *testing.T, body []byte) ErrorDetail {
	t.Helper()
	var e ErrorBody
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("body %s is not the error shape: %v", body, err)
	}
	return e.Error
}

func TestJSONBodies(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Deps{Enrich: &fakeRequester{}}, nil)
	const path = "/api/enrich/costco.com"
	tests := []struct {
		name, contentType, body string
		wantStatus              int
		wantCode                string
	}{
		{"one object", "application/json", `{"force":true}`, http.StatusAccepted, ""},
		{"charset parameter", "application/json; charset=utf-8", `{"force":true}`, http.StatusAccepted, ""},
		{"trailing white space", "application/json", "{\"force\":true}\n\t ", http.StatusAccepted, ""},
		{"no body needs no type", "", "", http.StatusAccepted, ""},
		{"two objects", "application/json", `{"force":true} {"add":true}`, http.StatusBadRequest, CodeInvalidParameter},
		{"a closing brace too many", "application/json", `{"force":true}}`, http.StatusBadRequest, CodeInvalidParameter},
		{"a closing bracket after", "application/json", `{"force":true}]`, http.StatusBadRequest, CodeInvalidParameter},
		{"a number after", "application/json", `{} 1`, http.StatusBadRequest, CodeInvalidParameter},
		{"form-encoded, as curl -d sends", "application/x-www-form-urlencoded", `{"force":true}`, http.StatusUnsupportedMediaType, CodeUnsupportedMediaType},
		{"no content type", "", `{"force":true}`, http.StatusUnsupportedMediaType, CodeUnsupportedMediaType},
		{"text/plain", "text/plain", `{"force":true}`, http.StatusUnsupportedMediaType, CodeUnsupportedMediaType},
		{"json look-alike", "application/jsonx", `{"force":true}`, http.StatusUnsupportedMediaType, CodeUnsupportedMediaType},
		{"malformed type", "application/json; =", `{"force":true}`, http.StatusUnsupportedMediaType, CodeUnsupportedMediaType},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := map[string]string{}
			if tc.contentType != "" {
				h["Content-Type"] = tc.contentType
			}
			resp, body := send(t, srv, http.MethodPost, path, h, tc.body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.wantStatus, body)
			}
			if tc.wantCode != "" {
				if e := errorOf(t, body); e.Code != tc.wantCode {
					t.Errorf("code %s, want %s", e.Code, tc.wantCode)
				}
			}
		})
	}
}

func TestRepeatableQueryParametersAreCapped(t *testing.T) {
	t.Parallel()
	rs := newReadServer(t)
	repeat := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = "country=c" + strings.Repeat("x", i%3)
		}
		return strings.Join(parts, "&")
	}
	tests := []struct {
		name       string
		query      string
		wantStatus int
	}{
		{"at the cap", repeat(maxListValues), http.StatusOK},
		{"over the cap", repeat(maxListValues + 1), http.StatusBadRequest},
		{"far over the cap", repeat(5000), http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body := sendTo(t, rs.url, http.MethodGet, "/api/targets?"+tc.query, nil, "")
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.wantStatus, body)
			}
			if tc.wantStatus == http.StatusBadRequest {
				if e := errorOf(t, body); e.Code != CodeInvalidParameter || e.Details["parameter"] != "country" {
					t.Errorf("error %+v, want %s naming country", e, CodeInvalidParameter)
				}
			}
		})
	}
}

func TestBadInputEchoedAtMost100Characters(t *testing.T) {
	t.Parallel()
	// Every enrich case but one is refused before the command runs; that
	// one names a domain that is not a target.
	rs := newReadServer(t, func(_ *readServer, d *Deps) { d.Enrich = &fakeRequester{err: domain.ErrNotATarget} })
	long := strings.Repeat("a", 5000)
	// A valid domain of 251 characters: four labels of 60 a's and a TLD.
	longLabels := strings.Repeat(strings.Repeat("a", 60)+".", 4) + "com"
	tests := []struct {
		name, method, path, contentType, body string
	}{
		{"unknown query parameter", http.MethodGet, "/api/targets?" + long + "=1", "", ""},
		{"integer parameter", http.MethodGet, "/api/targets?page=" + long, "", ""},
		{"enumerated parameter", http.MethodGet, "/api/targets?sort=" + long, "", ""},
		{"domain of a company", http.MethodGet, "/api/companies/" + long, "", ""},
		{"domain to enrich", http.MethodPost, "/api/enrich/" + long + "_", "", ""},
		{"unknown body field", http.MethodPost, "/api/enrich/costco.com", "application/json", `{"` + long + `":1}`},
		{"provider name", http.MethodPost, "/api/enrich/costco.com", "application/json", `{"providers":["` + long + `"]}`},
		{"provider named twice", http.MethodPost, "/api/enrich/costco.com", "application/json", `{"providers":["` + long + `","` + long + `"]}`},
		{"unknown company", http.MethodGet, "/api/companies/" + longLabels, "", ""},
		{"enrich a domain that is not a target", http.MethodPost, "/api/enrich/" + longLabels, "", ""},
		{"unknown route", http.MethodGet, "/" + long, "", ""},
		{"method not allowed", http.MethodDelete, "/api/targets/" + long, "", ""},
		{"content type", http.MethodPost, "/api/enrich/costco.com", "text/" + long, `{}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := map[string]string{}
			if tc.contentType != "" {
				h["Content-Type"] = tc.contentType
			}
			resp, body := sendTo(t, rs.url, tc.method, tc.path, h, tc.body)
			if resp.StatusCode < 400 || resp.StatusCode >= 500 {
				t.Fatalf("status %d, want a 4xx: %.300s", resp.StatusCode, body)
			}
			e := errorOf(t, body)
			texts := []string{e.Message}
			for _, v := range e.Details {
				if s, ok := v.(string); ok {
					texts = append(texts, s)
				}
			}
			for _, s := range texts {
				if run := longestRun(s, "a."); run > maxEchoRunes {
					t.Errorf("echoes %d characters of the input: %.200s", run, s)
				}
			}
		})
	}
}

// sendTo is send for a server known by its URL.
func sendTo(t *testing.T, base, method, path string, header map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// longestRun counts the longest run of characters of set in s.
func longestRun(s, set string) int {
	best, cur := 0, 0
	for _, c := range s {
		if strings.ContainsRune(set, c) {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
}

func TestEcho(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"short kept", "costco.com", "costco.com"},
		{"exactly the cap", strings.Repeat("x", maxEchoRunes), strings.Repeat("x", maxEchoRunes)},
		{"cut", strings.Repeat("x", maxEchoRunes+1), strings.Repeat("x", maxEchoRunes-1) + "…"},
		{"cut on runes", strings.Repeat("é", 300), strings.Repeat("é", maxEchoRunes-1) + "…"},
		{"invalid UTF-8 dropped", "ab\xffcd", "abcd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := echo(tc.in)
			if got != tc.want || utf8.RuneCountInString(got) > maxEchoRunes {
				t.Errorf("echo(%.20q…) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestNosniffOnEveryResponse(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Deps{Enrich: &fakeRequester{}, Readiness: []ReadinessCheck{{Name: "db", Check: func(context.Context) error { return errors.New("down") }}}},
		func(r *gin.Engine) { r.GET("/boom", func(*gin.Context) { panic("broken") }) })
	tests := []struct {
		name, method, path string
		header             map[string]string
	}{
		{"health", http.MethodGet, "/health", nil},
		{"openapi", http.MethodGet, "/openapi.json", nil},
		{"503 ready", http.MethodGet, "/ready", nil},
		{"404", http.MethodGet, "/nowhere", nil},
		{"405", http.MethodDelete, "/health", nil},
		{"415", http.MethodPost, "/api/enrich/costco.com", map[string]string{"Content-Type": "text/plain"}},
		{"202", http.MethodPost, "/api/enrich/costco.com", nil},
		{"panic", http.MethodGet, "/boom", nil},
		{"preflight", http.MethodOptions, "/api/enrich/costco.com", map[string]string{"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := ""
			if tc.name == "415" {
				body = "{}"
			}
			resp, _ := send(t, srv, tc.method, tc.path, tc.header, body)
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%s %s (%d): X-Content-Type-Options %q, want nosniff", tc.method, tc.path, resp.StatusCode, got)
			}
		})
	}
}

func TestCORSLocalOriginsOnlyOutsideProduction(t *testing.T) {
	t.Parallel()
	const deployed = "https://dash.partnerforge.io"
	tests := []struct {
		name       string
		production bool
		origin     string
		allowed    bool
	}{
		{"development allows the Next.js server", false, "http://localhost:3000", true},
		{"development allows the Vite server", false, "http://localhost:5173", true},
		{"development allows extra origins", false, deployed, true},
		{"production refuses the Next.js server", true, "http://localhost:3000", false},
		{"production refuses the Vite server", true, "http://localhost:5173", false},
		{"production allows extra origins", true, deployed, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newTestServer(t, Deps{Production: tc.production, CORSExtraOrigins: []string{deployed}}, nil)
			resp, _ := send(t, srv, http.MethodGet, "/health", map[string]string{"Origin": tc.origin}, "")
			got := resp.Header.Get("Access-Control-Allow-Origin")
			if tc.allowed && got != tc.origin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tc.origin)
			}
			if !tc.allowed && got != "" {
				t.Errorf("Access-Control-Allow-Origin %q, want none", got)
			}
		})
	}
}

func TestReadyAnswersGenericReasons(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	const detail = "dial tcp 10.0.0.7:5432: connect: connection refused for user pf_admin"
	srv := newTestServer(t, Deps{
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		Readiness: []ReadinessCheck{
			{Name: "database", Check: func(context.Context) error { return errors.New(detail) }},
			{Name: "migrations", Check: func(context.Context) error { return nil }},
		},
	}, nil)
	resp, body := send(t, srv, http.MethodGet, "/ready", nil, "")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503: %s", resp.StatusCode, body)
	}
	e := errorOf(t, body)
	if e.Code != CodeUnavailable || e.Details["database"] != readinessFailed {
		t.Errorf("error %+v, want %s with database: %q", e, CodeUnavailable, readinessFailed)
	}
	if _, ok := e.Details["migrations"]; ok {
		t.Errorf("names a check that passed: %+v", e.Details)
	}
	for _, leak := range []string{"10.0.0.7", "pf_admin", "refused"} {
		if strings.Contains(string(body), leak) {
			t.Errorf("answer leaks %q: %s", leak, body)
		}
	}
	if !strings.Contains(logs.String(), detail) || !strings.Contains(logs.String(), `"check":"database"`) {
		t.Errorf("the log lacks the failed check's detail: %s", logs.String())
	}
}

// An advisory check that fails leaves the service ready and says so in
// words of its own, never the error's.
func TestReadyWarnings(t *testing.T) {
	t.Parallel()
	const detail = "oldest transaction pid 4242 open 45s"
	srv := newTestServer(t, Deps{Readiness: []ReadinessCheck{
		{Name: "database", Check: func(context.Context) error { return nil }},
		{Name: "event_horizon", Warning: "delivery of new events is held back", Check: func(context.Context) error { return errors.New(detail) }},
		{Name: "quiet", Warning: "never shown", Check: func(context.Context) error { return nil }},
	}}, nil)
	resp, body := send(t, srv, http.MethodGet, "/ready", nil, "")
	var got struct {
		Status   string            `json:"status"`
		Warnings map[string]string `json:"warnings"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &got) != nil || got.Status != "ready" {
		t.Fatalf("status %d %s, want 200 ready", resp.StatusCode, body)
	}
	if len(got.Warnings) != 1 || got.Warnings["event_horizon"] != "delivery of new events is held back" {
		t.Errorf("warnings %v, want only event_horizon's own text", got.Warnings)
	}
	if strings.Contains(string(body), "4242") {
		t.Errorf("answer shows the check's error: %s", body)
	}
}

func TestPanicLogsItsStack(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	srv := newTestServer(t, Deps{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}, func(r *gin.Engine) {
		r.GET("/boom", func(*gin.Context) { panicInAHelper() })
	})
	resp, body := send(t, srv, http.MethodGet, "/boom", nil, "")
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500: %s", resp.StatusCode, body)
	}
	if strings.Contains(string(body), "panicInAHelper") {
		t.Errorf("the answer shows the stack: %s", body)
	}
	var entry map[string]any
	for l := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "panic serving request" {
			entry = m
		}
	}
	if entry == nil {
		t.Fatalf("no panic log line in %s", logs.String())
	}
	stack, _ := entry["stack"].(string)
	if !strings.Contains(stack, "panicInAHelper") || entry["request_id"] != resp.Header.Get(HeaderRequestID) {
		t.Errorf("panic log lacks the stack through panicInAHelper or the request id: %v", entry)
	}
}

func panicInAHelper() { panic("broken invariant") }
