package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/partnerforge/partnerforge/web"
)

const dashboardIndex = `<!doctype html><html><body><div id="root"></div><script type="module" src="/assets/app-1a2b.js"></script></body></html>`

func newDashboard(t *testing.T, fsys fstest.MapFS) http.Handler {
	t.Helper()
	h, err := web.NewHandler(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// The dashboard shares the server with the API: its pages and assets come
// through the full middleware chain, and the API's paths keep their JSON
// errors.
func TestDashboardBesideTheAPI(t *testing.T) {
	t.Parallel()
	built := newDashboard(t, fstest.MapFS{
		"index.html":         {Data: []byte(dashboardIndex)},
		"assets/app-1a2b.js": {Data: []byte(strings.Repeat("export const x = 1;\n", 200))},
	})
	srv := newTestServer(t, Deps{Dashboard: built}, nil)
	bare := newTestServer(t, Deps{}, nil)
	notBuilt := newTestServer(t, Deps{Dashboard: newDashboard(t, fstest.MapFS{".gitkeep": {}})}, nil)

	tests := []struct {
		name   string
		base   string
		method string
		path   string
		key    bool // false sends no API key at all
		status int
		// want is a fragment of the body; code, when set, the JSON error code.
		want  string
		code  string
		cache string
	}{
		{"root serves index.html without a key", srv.URL, "GET", "/", false, 200, `<div id="root">`, "", web.CacheNoCache},
		{"client route serves index.html", srv.URL, "GET", "/company/costco.com", false, 200, `<div id="root">`, "", web.CacheNoCache},
		{"client route with a query", srv.URL, "GET", "/?tier=1&sort=revenue", false, 200, `<div id="root">`, "", web.CacheNoCache},
		{"hashed asset is immutable", srv.URL, "GET", "/assets/app-1a2b.js", false, 200, "export const x", "", web.CacheImmutable},
		{"unknown API route stays a JSON 404", srv.URL, "GET", "/api/nope", true, 404, "", CodeNotFound, ""},
		{"unknown API route without a key is refused", srv.URL, "GET", "/api/nope", false, 403, "", CodeMissingAPIKey, ""},
		{"under a probe path is a JSON 404", srv.URL, "GET", "/health/deep", true, 404, "", CodeNotFound, ""},
		{"metrics path without metrics is a JSON 404", srv.URL, "GET", "/metrics", true, 404, "", CodeNotFound, ""},
		{"a POST to a page is a JSON 404", srv.URL, "POST", "/jobs", true, 404, "", CodeNotFound, ""},
		{"the API answers beside it", srv.URL, "GET", "/health", false, 200, `"ok"`, "", ""},
		{"without a dashboard / is the JSON 404", bare.URL, "GET", "/", false, 404, "", CodeNotFound, ""},
		{"a binary without the assets explains", notBuilt.URL, "GET", "/", false, 200, "make build", "", web.CacheNoCache},
		{"and its API still answers", notBuilt.URL, "GET", "/api/nope", true, 404, "", CodeNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(tt.method, tt.base+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			client := http.DefaultClient
			if !tt.key {
				client = &http.Client{Transport: plainTransport}
			}
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tt.status {
				t.Fatalf("%s %s = %d, want %d: %s", tt.method, tt.path, res.StatusCode, tt.status, body)
			}
			if tt.want != "" && !strings.Contains(string(body), tt.want) {
				t.Errorf("body lacks %q: %s", tt.want, body)
			}
			if tt.code != "" {
				var e struct {
					Error struct{ Code string } `json:"error"`
				}
				if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != tt.code {
					t.Errorf("body = %s, want JSON error %s (%v)", body, tt.code, err)
				}
			}
			if tt.cache != "" && res.Header.Get("Cache-Control") != tt.cache {
				t.Errorf("Cache-Control = %q, want %q", res.Header.Get("Cache-Control"), tt.cache)
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("security headers missing")
			}
		})
	}
}

// Assets go through the gzip middleware like the API's text.
func TestDashboardAssetsAreCompressed(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Deps{Dashboard: newDashboard(t, fstest.MapFS{
		"index.html":         {Data: []byte(dashboardIndex)},
		"assets/app-1a2b.js": {Data: []byte(strings.Repeat("export const x = 1;\n", 200))},
	})}, nil)
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/assets/app-1a2b.js", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := (&http.Client{Transport: plainTransport}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("Content-Encoding = %q, want gzip", res.Header.Get("Content-Encoding"))
	}
}
