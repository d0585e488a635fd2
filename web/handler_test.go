package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

const testIndex = `<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>`

func builtFS() fstest.MapFS {
	return fstest.MapFS{
		"index.html":              {Data: []byte(testIndex)},
		"assets/index-abc123.js":  {Data: []byte("console.log('app')")},
		"assets/index-abc123.css": {Data: []byte("body{}")},
		"favicon.svg":             {Data: []byte("<svg/>")},
		".gitkeep":                {Data: []byte("placeholder")},
	}
}

func get(t *testing.T, h http.Handler, method, target string, header http.Header) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

func TestHandlerServesTheApp(t *testing.T) {
	t.Parallel()
	h, err := NewHandler(builtFS())
	if err != nil {
		t.Fatal(err)
	}
	if !h.Built() {
		t.Fatal("Built() = false with index.html present")
	}
	tests := []struct {
		name        string
		path        string
		status      int
		body        string
		cache       string
		contentType string
	}{
		{"root is index.html", "/", 200, testIndex, CacheNoCache, "text/html"},
		{"index.html by name", "/index.html", 200, testIndex, CacheNoCache, "text/html"},
		{"client route falls back to index.html", "/company/acme.com", 200, testIndex, CacheNoCache, "text/html"},
		{"nested client route", "/jobs/", 200, testIndex, CacheNoCache, "text/html"},
		{"settings route", "/settings", 200, testIndex, CacheNoCache, "text/html"},
		{"hashed script is immutable", "/assets/index-abc123.js", 200, "console.log('app')", CacheImmutable, "javascript"},
		{"hashed style is immutable", "/assets/index-abc123.css", 200, "body{}", CacheImmutable, "text/css"},
		{"unhashed file is cached briefly", "/favicon.svg", 200, "<svg/>", cacheOther, "image/svg+xml"},
		{"missing asset is a 404, not index.html", "/assets/index-gone.js", 404, "not found\n", "", "text/plain"},
		{"path tricks stay inside dist", "/../../etc/passwd", 200, testIndex, CacheNoCache, "text/html"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, body := get(t, h, http.MethodGet, tt.path, nil)
			if res.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.status)
			}
			if body != tt.body {
				t.Errorf("body = %q, want %q", body, tt.body)
			}
			if got := res.Header.Get("Cache-Control"); got != tt.cache {
				t.Errorf("Cache-Control = %q, want %q", got, tt.cache)
			}
			if got := res.Header.Get("Content-Type"); !strings.Contains(got, tt.contentType) {
				t.Errorf("Content-Type = %q, want it to contain %q", got, tt.contentType)
			}
			if tt.contentType == "text/html" && res.Header.Get("Content-Security-Policy") != ContentSecurityPolicy {
				t.Errorf("Content-Security-Policy = %q", res.Header.Get("Content-Security-Policy"))
			}
		})
	}
}

func TestHandlerRevalidatesIndex(t *testing.T) {
	t.Parallel()
	h, err := NewHandler(builtFS())
	if err != nil {
		t.Fatal(err)
	}
	res, _ := get(t, h, http.MethodGet, "/", nil)
	tag := res.Header.Get("ETag")
	if tag == "" {
		t.Fatal("index.html has no ETag")
	}
	res, body := get(t, h, http.MethodGet, "/targets-view", http.Header{"If-None-Match": {tag}})
	if res.StatusCode != http.StatusNotModified || body != "" {
		t.Errorf("revalidation = %d %q, want 304 and no body", res.StatusCode, body)
	}
	res, _ = get(t, h, http.MethodPost, "/", nil)
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST / = %d, want 405", res.StatusCode)
	}
}

// A binary built before npm ran embeds only the placeholder: every page
// says how to build the dashboard.
func TestHandlerWithoutTheBuiltApp(t *testing.T) {
	t.Parallel()
	for name, fsys := range map[string]fstest.MapFS{
		"placeholder only": {".gitkeep": {Data: []byte("placeholder")}},
		"empty":            {},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, err := NewHandler(fsys)
			if err != nil {
				t.Fatal(err)
			}
			if h.Built() {
				t.Fatal("Built() = true without index.html")
			}
			for _, p := range []string{"/", "/company/acme.com"} {
				res, body := get(t, h, http.MethodGet, p, nil)
				if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), "text/html") {
					t.Fatalf("GET %s = %d %s", p, res.StatusCode, res.Header.Get("Content-Type"))
				}
				if !strings.Contains(body, "dashboard was not built") || !strings.Contains(body, "make build") {
					t.Errorf("GET %s body does not explain the build: %s", p, body)
				}
			}
		})
	}
}

// The embedded file system always holds at least the placeholder, so a
// checkout that never ran npm compiles and serves the explanation.
func TestDistIsEmbedded(t *testing.T) {
	t.Parallel()
	h, err := NewHandler(Dist())
	if err != nil {
		t.Fatal(err)
	}
	res, body := get(t, h, http.MethodGet, "/", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d", res.StatusCode)
	}
	if h.Built() && !strings.Contains(body, `<div id="root">`) {
		t.Errorf("built dashboard serves an index.html without the app's root: %s", body)
	}
}
