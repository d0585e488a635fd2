//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/adapters/providers/fixtures"
	"github.com/partnerforge/partnerforge/domain"
)

// TestPausedInstanceLosesItsLease runs two real serve processes on one
// fresh database. The one fetching a job's BuiltWith data is paused with
// SIGSTOP past its lease while the provider holds its request; the other
// takes the task over and finishes the job; then the first resumes. The
// provider is asked at most twice for that task, the job records one
// outcome and ends once, and the resumed instance says it lost the lease.
// Nothing here is timed: every step waits for a state, with deadlines that
// only bound a hang.
func TestPausedInstanceLosesItsLease(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := buildBinary(t)
	db := pgtest.NewDB(t) // its pool stays open: the test reads the job's stream

	const site = "costco.com"
	held := newHeldLookups(site)
	f := fixtures.New(fixtures.Options{})
	builtWith := httptest.NewServer(held.wrap(f.BuiltWithHandler()))
	similarWeb := httptest.NewServer(f.SimilarWebHandler())
	yahoo := httptest.NewServer(f.YahooHandler())
	t.Cleanup(func() { held.release(); f.Close(); builtWith.Close(); similarWeb.Close(); yahoo.Close() })

	vars := map[string]string{
		"DATABASE_URL": db.URL, "ENVIRONMENT": "test", "DB_MIN_CONNS": "1", "DB_MAX_CONNS": "4",
		"SHUTDOWN_TIMEOUT": "30s", "API_KEY_SALT": "binary test salt, long enough",
		"BUILTWITH_API_KEY": "test-key", "SIMILARWEB_API_KEY": "test-key",
		"BUILTWITH_BASE_URL": builtWith.URL, "SIMILARWEB_BASE_URL": similarWeb.URL,
		"YAHOO_BASE_URL": yahoo.URL, "YAHOO_COOKIE_URL": fixtures.YahooCookiePath,
		// A short lease, so the takeover comes soon after the pause; an
		// attempt timeout far longer than the test, so no attempt of the
		// paused instance times out and is retried while it is stopped.
		"ENRICH_LEASE": "2s", "PROVIDER_TIMEOUT": "5m",
	}
	first := startServe(t, bin, vars)
	key := runBinary(t, bin, vars, "keys", "create", "--email", "ops@example.com", "--tier", "admin", "--json")
	var admin struct{ Key string }
	if err := json.Unmarshal([]byte(key.stdout), &admin); key.code != 0 || err != nil {
		t.Fatalf("keys create exited %d: %v; stderr %s", key.code, err, key.stderr)
	}
	jobID := openJob(t, first.base, admin.Key, site)

	held.waitCalls(t, 1) // the first instance is fetching
	second := startServe(t, bin, vars)
	if err := first.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := true
	t.Cleanup(func() {
		if stopped {
			_ = first.cmd.Process.Signal(syscall.SIGCONT)
		}
	})
	held.waitCalls(t, 2) // the second took the task over once the lease ran out
	held.release()

	stream := "job-" + jobID
	waitUntil(t, "the job to end", func() bool { return endings(t, db, stream) > 0 })
	if err := first.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	stopped = false
	waitUntil(t, "the resumed instance to notice its lost lease", func() bool {
		return slices.ContainsFunc(logMessages(t, first.stderr.String()), func(m string) bool { return strings.HasPrefix(m, "lease lost") })
	})

	if n := held.calls(); n > 2 {
		t.Errorf("builtwith asked %d times for one task, want at most 2", n)
	}
	var outcomes int
	if err := db.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM events WHERE stream_id = $1 AND event_type IN ('ProviderFetched', 'ProviderFailed') AND data->>'provider' = 'builtwith'`,
		stream).Scan(&outcomes); err != nil {
		t.Fatal(err)
	}
	if outcomes != 1 {
		t.Errorf("%d builtwith outcomes in %s, want 1", outcomes, stream)
	}
	if n := endings(t, db, stream); n != 1 {
		t.Errorf("the job ended %d times, want once", n)
	}
	for name, s := range map[string]*serveProcess{"first": first, "second": second} {
		if err := s.stop(); err != nil {
			t.Errorf("%s instance: %v", name, err)
		}
	}
}

// TestRolesSplitTheWork runs the API and the workers as separate
// processes on one database: the API process needs no provider keys and
// opens the job, the worker process (which serves no API) runs it to its
// end.
func TestRolesSplitTheWork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := buildBinary(t)
	db := pgtest.NewDB(t)
	if res := runBinary(t, bin, nil, "serve", "--role", "everything"); res.code != 2 || !strings.Contains(res.stderr, "--role") {
		t.Errorf("serve --role everything exited %d, want 2 naming the flag; stderr:\n%s", res.code, res.stderr)
	}

	fx, err := fixtures.Start(context.Background(), fixtures.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fx.Close)
	common := map[string]string{
		"DATABASE_URL": db.URL, "ENVIRONMENT": "test", "DB_MIN_CONNS": "1", "DB_MAX_CONNS": "4",
		"SHUTDOWN_TIMEOUT": "30s", "API_KEY_SALT": "binary test salt, long enough",
	}
	api := startServe(t, bin, common, "--role", "api") // no provider keys: it calls none
	workerVars := map[string]string{
		"BUILTWITH_API_KEY": "test-key", "SIMILARWEB_API_KEY": "test-key",
		"BUILTWITH_BASE_URL": fx.BuiltWith.URL, "SIMILARWEB_BASE_URL": fx.SimilarWeb.URL,
		"YAHOO_BASE_URL": fx.Yahoo.URL, "YAHOO_COOKIE_URL": fx.YahooCookieURL(),
	}
	for k, v := range common {
		workerVars[k] = v
	}
	worker := startServe(t, bin, workerVars, "--role", "worker")

	key := runBinary(t, bin, common, "keys", "create", "--email", "ops@example.com", "--tier", "admin", "--json")
	var admin struct{ Key string }
	if err := json.Unmarshal([]byte(key.stdout), &admin); key.code != 0 || err != nil {
		t.Fatalf("keys create exited %d: %v; stderr %s", key.code, err, key.stderr)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	if code, body := getWithKey(t, client, worker.base+"/api/stats", admin.Key); code != http.StatusNotFound {
		t.Errorf("the worker answered GET /api/stats with %d %s, want 404: it serves no API", code, body)
	}
	if code, _ := getWithKey(t, client, worker.base+"/metrics", admin.Key); code != http.StatusOK {
		t.Errorf("the worker answered GET /metrics with %d, want 200", code)
	}
	jobID := openJob(t, api.base, admin.Key, "costco.com")
	waitUntil(t, "the worker to end the job", func() bool { return endings(t, db, "job-"+jobID) > 0 })
	if n := endings(t, db, "job-"+jobID); n != 1 {
		t.Errorf("the job ended %d times, want once", n)
	}
	if n := fx.Requests(domain.ProviderBuiltWith, "costco.com"); n != 1 {
		t.Errorf("builtwith asked %d times, want once", n)
	}
	for name, s := range map[string]*serveProcess{"api": api, "worker": worker} {
		if err := s.stop(); err != nil {
			t.Errorf("%s process: %v", name, err)
		}
	}
}

// endings counts the events that end a job in stream.
func endings(t *testing.T, db *pgtest.Database, stream string) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM events WHERE stream_id = $1 AND event_type IN ('EnrichmentCompleted', 'EnrichmentPartial', 'EnrichmentFailed')`,
		stream).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// openJob asks the instance at base to enrich site from BuiltWith and
// returns the job id.
func openJob(t *testing.T, base, key, site string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/api/enrich/"+site, strings.NewReader(`{"providers":["builtwith"],"add":true}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-Key", key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		JobID string `json:"job_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusAccepted || body.JobID == "" {
		t.Fatalf("POST /api/enrich/%s = %d (%v), want 202 with a job id", site, resp.StatusCode, err)
	}
	return body.JobID
}

// serveProcess is a running `partnerforge serve`.
type serveProcess struct {
	cmd    *exec.Cmd
	base   string
	stderr *syncBuffer
	exited chan error
	done   bool
}

// startServe starts serve on a free port with vars and flags and waits
// until it is healthy; it is killed when the test ends unless stopped.
func startServe(t *testing.T, bin string, vars map[string]string, flags ...string) *serveProcess {
	t.Helper()
	addr := freeAddr(t)
	env := map[string]string{"HTTP_ADDR": addr}
	for k, v := range vars {
		env[k] = v
	}
	s := &serveProcess{base: "http://" + addr, stderr: &syncBuffer{}, exited: make(chan error, 1)}
	s.cmd = exec.Command(bin, append([]string{"serve"}, flags...)...)
	s.cmd.Env = childEnv(env)
	s.cmd.Stdout, s.cmd.Stderr = &bytes.Buffer{}, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start serve: %v", err)
	}
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(func() {
		if !s.done {
			_ = s.cmd.Process.Kill()
			select {
			case <-s.exited:
			case <-time.After(10 * time.Second):
			}
		}
	})
	waitHealthy(t, &http.Client{Timeout: 10 * time.Second}, s.base+"/health", s.exited, s.stderr)
	return s
}

// stop sends SIGTERM and waits for a clean exit.
func (s *serveProcess) stop() error {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case err := <-s.exited:
		s.done = true
		if err != nil {
			return fmt.Errorf("exited with %v after SIGTERM; stderr:\n%s", err, s.stderr.String())
		}
		return nil
	case <-time.After(exitDeadline):
		return fmt.Errorf("still running %s after SIGTERM", exitDeadline)
	}
}

// heldLookups holds BuiltWith lookups of one site until released, counting
// them.
type heldLookups struct {
	site string
	mu   sync.Mutex
	n    int
	open chan struct{}
	once sync.Once
}

func newHeldLookups(site string) *heldLookups {
	return &heldLookups{site: site, open: make(chan struct{})}
}

func (h *heldLookups) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.URL.Query().Get("LOOKUP"), h.site) {
			h.mu.Lock()
			h.n++
			h.mu.Unlock()
			select {
			case <-h.open:
			case <-r.Context().Done():
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (h *heldLookups) release() { h.once.Do(func() { close(h.open) }) }

func (h *heldLookups) calls() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

func (h *heldLookups) waitCalls(t *testing.T, n int) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("builtwith lookup %d of %s", n, h.site), func() bool { return h.calls() >= n })
}

// waitUntil polls cond every 20 ms; the deadline only bounds a hang.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
