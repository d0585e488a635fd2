package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
)

// newTestServer serves NewRouter(d) with the extra routes add registers,
// behind the full middleware chain.
func newTestServer(t *testing.T, d Deps, add func(r *gin.Engine)) *httptest.Server {
	t.Helper()
	r := NewRouter(withTestAuth(d))
	if add != nil {
		add(r)
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv
}

// lockedBuffer is a log sink the server goroutines and the test can share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Deps{}, func(r *gin.Engine) {
		r.GET("/echo-id", func(c *gin.Context) { c.String(http.StatusOK, RequestID(c.Request.Context())) })
	})
	tests := []struct {
		name     string
		incoming string
		keep     bool
	}{
		{"none given", "", false},
		{"uuid kept", "6f1c2d7e-3b4a-4c5d-8e9f-0a1b2c3d4e5f", true},
		{"trace id kept", "trace:web.01_abc-42", true},
		{"spaces refused", "a b", false},
		{"markup refused", "<script>", false},
		{"too long refused", strings.Repeat("a", 129), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := map[string]string{}
			if tc.incoming != "" {
				h[HeaderRequestID] = tc.incoming
			}
			resp, body := send(t, srv, http.MethodGet, "/echo-id", h, "")
			got := resp.Header.Get(HeaderRequestID)
			if string(body) != got {
				t.Errorf("context id %q differs from header %q", body, got)
			}
			if tc.keep && got != tc.incoming {
				t.Errorf("id %q, want the caller's %q", got, tc.incoming)
			}
			if !tc.keep {
				if _, err := uuid.Parse(got); err != nil || got == tc.incoming {
					t.Errorf("id %q, want a new UUID", got)
				}
			}
		})
	}
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantLevel                string
	}{
		{"ok", http.MethodGet, "/health?api_key=s3cr3t", "", http.StatusOK, "INFO"},
		{"body never logged", http.MethodPost, "/api/enrich/costco.com", `{"force":true,"note":"s3cr3t"}`, http.StatusBadRequest, "INFO"},
		{"not found", http.MethodGet, "/nowhere", "", http.StatusNotFound, "INFO"},
		{"panic", http.MethodGet, "/boom", "", http.StatusInternalServerError, "ERROR"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs lockedBuffer
			srv := newTestServer(t, Deps{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Enrich: &fakeRequester{}},
				func(r *gin.Engine) { r.GET("/boom", func(*gin.Context) { panic("s3cr3t state") }) })
			resp, _ := send(t, srv, tc.method, tc.path, map[string]string{"Authorization": "Bearer s3cr3t", "Content-Type": "application/json"}, tc.body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			var line map[string]any
			for l := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
				var m map[string]any
				if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "http request" {
					line = m
				}
			}
			if line == nil {
				t.Fatalf("no access log line in %s", logs.String())
			}
			path, _, _ := strings.Cut(tc.path, "?")
			want := map[string]any{"level": tc.wantLevel, "request_id": resp.Header.Get(HeaderRequestID),
				"method": tc.method, "path": path, "status": float64(tc.wantStatus)}
			for k, v := range want {
				if line[k] != v {
					t.Errorf("%s = %v, want %v", k, line[k], v)
				}
			}
			if _, ok := line["latency"]; !ok {
				t.Error("no latency")
			}
			if l := logs.String(); strings.Contains(l, "s3cr3t") && tc.name != "panic" {
				t.Errorf("log leaks a secret: %s", l)
			}
		})
	}
}

func TestRecoverer(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Deps{}, func(r *gin.Engine) {
		r.GET("/boom", func(*gin.Context) { panic("broken invariant") })
		r.GET("/boom-after-write", func(c *gin.Context) {
			c.Header("Content-Type", "application/json")
			_, _ = c.Writer.WriteString(`{"partial":`)
			panic("broken invariant")
		})
	})
	for _, path := range []string{"/boom", "/boom-after-write"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			resp, body := send(t, srv, http.MethodGet, path, nil, "")
			var e ErrorBody
			if resp.StatusCode != http.StatusInternalServerError || json.Unmarshal(body, &e) != nil || e.Error.Code != CodeInternal {
				t.Fatalf("status %d body %s, want 500 %s", resp.StatusCode, body, CodeInternal)
			}
			if strings.Contains(string(body), "invariant") || resp.Header.Get(HeaderRequestID) == "" {
				t.Errorf("leaks the panic or lacks a request id: %s", body)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Deps{Enrich: &fakeRequester{}}, nil)
	big := `{"force":true,"pad":"` + strings.Repeat("x", int(MaxBodyBytes)) + `"}`
	tests := []struct {
		name       string
		body       io.Reader
		wantStatus int
	}{
		{"small body", strings.NewReader(`{"force":true}`), http.StatusAccepted},
		{"declared oversize", strings.NewReader(big), http.StatusRequestEntityTooLarge},
		// Without a length the limit trips while the handler reads.
		{"streamed oversize", io.MultiReader(strings.NewReader(big)), http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/api/enrich/costco.com", tc.body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e ErrorBody
			_ = json.NewDecoder(resp.Body).Decode(&e)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if tc.wantStatus == http.StatusRequestEntityTooLarge && e.Error.Code != CodePayloadTooLarge {
				t.Errorf("code %q, want %s", e.Error.Code, CodePayloadTooLarge)
			}
		})
	}
}
