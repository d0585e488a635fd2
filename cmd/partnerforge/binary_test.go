//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/adapters/providers/fixtures"
	httpapi "github.com/partnerforge/partnerforge/http"
)

// The deadlines below are generous on purpose: they bound a hung process, they
// do not measure speed, and the test must pass on a loaded two-core machine.
const (
	buildTimeout   = 5 * time.Minute
	startDeadline  = 60 * time.Second
	commandTimeout = 60 * time.Second
	exitDeadline   = 60 * time.Second
)

// TestBinary builds the real partnerforge binary once and runs it as an
// operator would: its exit codes, its messages, and a serve that starts,
// answers, and stops cleanly on SIGTERM.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)

	t.Run("help", func(t *testing.T) {
		t.Parallel()
		res := runBinary(t, bin, nil, "help")
		if res.code != 0 {
			t.Fatalf("help exited %d; stderr:\n%s", res.code, res.stderr)
		}
		for _, d := range envDocs {
			if !strings.Contains(res.stdout, d.name) {
				t.Errorf("help does not list %s:\n%s", d.name, res.stdout)
			}
		}
	})

	t.Run("invalid config", func(t *testing.T) {
		t.Parallel()
		res := runBinary(t, bin, map[string]string{"LOG_LEVEL": "loud"}, "serve")
		if res.code == 0 {
			t.Fatalf("serve with LOG_LEVEL=loud exited 0; stderr:\n%s", res.stderr)
		}
		if !strings.Contains(res.stderr, `LOG_LEVEL="loud"`) {
			t.Errorf("stderr does not name LOG_LEVEL:\n%s", res.stderr)
		}
	})

	t.Run("usage errors", func(t *testing.T) {
		t.Parallel()
		for _, args := range [][]string{{}, {"frobnicate"}, {"migrate"}, {"migrate", "up", "down"}} {
			res := runBinary(t, bin, nil, args...)
			if res.code != 2 {
				t.Errorf("partnerforge %s exited %d, want 2; stderr:\n%s", strings.Join(args, " "), res.code, res.stderr)
			}
		}
	})

	t.Run("second instance refused before any work", func(t *testing.T) {
		t.Parallel()
		taken, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer taken.Close()
		// Nothing answers on the database's port: had serve gone to the
		// database before the port, the error would be about that.
		res := runBinary(t, bin, map[string]string{
			"HTTP_ADDR": taken.Addr().String(), "DATABASE_URL": "postgres://postgres@127.0.0.1:1/none?sslmode=disable",
			"BUILTWITH_API_KEY": "k", "SIMILARWEB_API_KEY": "k",
		}, "serve")
		if res.code != 1 || !strings.Contains(res.stderr, "cannot listen on "+taken.Addr().String()+" (HTTP_ADDR)") {
			t.Errorf("serve on a taken port exited %d, want 1 naming the port; stderr:\n%s", res.code, res.stderr)
		}
	})

	t.Run("serve", func(t *testing.T) {
		t.Parallel()
		testServe(t, bin)
	})
}

func testServe(t *testing.T, bin string) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	db.Pool.Close() // the binary opens its own pool

	addr := freeAddr(t)
	vars := map[string]string{
		"DATABASE_URL":     db.URL,
		"HTTP_ADDR":        addr,
		"ENVIRONMENT":      "test",
		"DB_MIN_CONNS":     "1",
		"DB_MAX_CONNS":     "4",
		"SHUTDOWN_TIMEOUT": "30s",
		"API_KEY_SALT":     "binary test salt, long enough",
		// serve refuses to start without provider keys; nothing here asks
		// a provider anything.
		"BUILTWITH_API_KEY":  "test-key",
		"SIMILARWEB_API_KEY": "test-key",
	}

	// pgtest migrated the database; roll every migration back so that serve
	// has to apply them (MIGRATE_ON_START defaults to true).
	for range countState(migrationStates(t, bin, vars), "applied") {
		if res := runBinary(t, bin, vars, "migrate", "down"); res.code != 0 {
			t.Fatalf("migrate down exited %d; stderr:\n%s", res.code, res.stderr)
		}
	}
	before := migrationStates(t, bin, vars)
	if n := countState(before, "applied"); n != 0 || !strings.HasPrefix(before["00001"], "pending") {
		t.Fatalf("after rolling back, migrate status shows %d applied and 00001 as %q", n, before["00001"])
	}
	testUnmigrated(t, bin, vars)

	providers, err := fixtures.Start(ctx, fixtures.Options{})
	if err != nil {
		t.Fatalf("start fixture providers: %v", err)
	}
	t.Cleanup(providers.Close)
	vars["BUILTWITH_BASE_URL"], vars["SIMILARWEB_BASE_URL"] = providers.BuiltWith.URL, providers.SimilarWeb.URL
	vars["YAHOO_BASE_URL"], vars["YAHOO_COOKIE_URL"] = providers.Yahoo.URL, providers.YahooCookieURL()

	var stdout, stderr syncBuffer
	keyFile := filepath.Join(t.TempDir(), "api-key")
	cmd := exec.Command(bin, "serve", "--banner", "--banner-key-file", keyFile)
	cmd.Env = childEnv(vars)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start serve: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Kill()
			// waitHealthy may already have taken the exit.
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
			}
		}
	})

	base := "http://" + addr
	client := &http.Client{Timeout: 10 * time.Second}
	waitHealthy(t, client, base+"/health", exited, &stderr)

	t.Run("live", func(t *testing.T) {
		if code, body := get(t, client, base+"/live"); code != http.StatusOK {
			t.Errorf("GET /live = %d %s", code, body)
		}
	})
	t.Run("ready", func(t *testing.T) {
		code, body := get(t, client, base+"/ready")
		if code != http.StatusOK {
			t.Fatalf("GET /ready = %d %s", code, body)
		}
		var got struct{ Status string }
		if err := json.Unmarshal(body, &got); err != nil || got.Status != "ready" {
			t.Errorf("GET /ready body = %s, want {\"status\":\"ready\"}", body)
		}
	})
	res := runBinary(t, bin, vars, "keys", "create", "--email", "ops@example.com", "--tier", "admin", "--json")
	var admin struct {
		KeyID string `json:"key_id"`
		Key   string `json:"key"`
		Tier  string `json:"tier"`
		Email string `json:"email"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &admin); res.code != 0 || err != nil || admin.Key == "" || admin.Tier != "admin" || admin.Email != "ops@example.com" {
		t.Fatalf("keys create exited %d: %v; stdout %s stderr %s", res.code, err, res.stdout, res.stderr)
	}
	t.Run("metrics", func(t *testing.T) {
		if code, _ := get(t, client, base+"/metrics"); code != http.StatusForbidden {
			t.Errorf("GET /metrics without a key = %d, want 403", code)
		}
		code, body := getWithKey(t, client, base+"/metrics", admin.Key)
		if code != http.StatusOK || !bytes.Contains(body, []byte("go_goroutines")) {
			t.Errorf("GET /metrics = %d, want 200 with Go runtime metrics", code)
		}
		if !regexp.MustCompile(`(?m)^partnerforge_event_horizon_lag_seconds [0-9.e+-]+$`).Match(body) {
			t.Error("GET /metrics has no partnerforge_event_horizon_lag_seconds value")
		}
	})
	t.Run("keys", func(t *testing.T) {
		res := runBinary(t, bin, vars, "keys", "create", "--email", "rep@example.com", "--tier", "standard")
		if res.code != 0 || !strings.Contains(res.stdout, "pf_live_") {
			t.Fatalf("keys create exited %d; stdout %s stderr %s", res.code, res.stdout, res.stderr)
		}
		if code, body := getWithKey(t, client, base+"/api/stats", admin.Key); code != http.StatusOK {
			t.Fatalf("GET /api/stats with the admin key = %d %s", code, body)
		}
		list := runBinary(t, bin, vars, "keys", "list")
		if list.code != 0 || !strings.Contains(list.stdout, admin.KeyID) || !strings.Contains(list.stdout, "rep@example.com") ||
			strings.Contains(list.stdout, admin.Key) {
			t.Fatalf("keys list exited %d; stdout %s stderr %s", list.code, list.stdout, list.stderr)
		}
		if res := runBinary(t, bin, vars, "keys", "set-tier", admin.KeyID, "power"); res.code != 0 {
			t.Fatalf("keys set-tier exited %d: %s", res.code, res.stderr)
		}
		if res := runBinary(t, bin, vars, "keys", "revoke", admin.KeyID, "--reason", "rotated"); res.code != 0 {
			t.Fatalf("keys revoke exited %d: %s", res.code, res.stderr)
		}
		if res := runBinary(t, bin, vars, "keys", "revoke", admin.KeyID); res.code == 0 {
			t.Errorf("revoking twice succeeded")
		}
		deadline := time.Now().Add(2 * time.Second)
		for {
			code, _ := getWithKey(t, client, base+"/api/stats", admin.Key)
			if code == http.StatusForbidden {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a revoked key still answers %d after 2 s", code)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	t.Run("dashboard", func(t *testing.T) {
		// Pages outside the API's paths are the dashboard's: index.html
		// when the binary was built with it, else how to build it.
		for _, path := range []string{"/", "/company/northwind-hardware.com", "/no/such/route"} {
			code, body := get(t, client, base+path)
			if code != http.StatusOK {
				t.Fatalf("GET %s = %d %s, want 200", path, code, body)
			}
			if !bytes.Contains(body, []byte(`<div id="root">`)) && !bytes.Contains(body, []byte("make build")) {
				t.Errorf("GET %s is neither the dashboard nor the page saying how to build it:\n%s", path, body)
			}
		}
	})
	t.Run("unknown route", func(t *testing.T) {
		// Under the API's paths an unknown route stays a JSON 404.
		code, body := get(t, client, base+"/health/no/such/route")
		if code != http.StatusNotFound {
			t.Fatalf("GET /health/no/such/route = %d %s, want 404", code, body)
		}
		var got struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("404 body is not JSON: %v\n%s", err, body)
		}
		if got.Error.Code != "NOT_FOUND" || got.Error.Message == "" {
			t.Errorf("404 body = %s, want {\"error\":{\"code\":\"NOT_FOUND\",\"message\":…}}", body)
		}
	})
	t.Run("banner commands work when pasted", func(t *testing.T) {
		testBanner(t, bin, vars, &stdout, keyFile)
	})
	t.Run("header limit", func(t *testing.T) {
		tests := []struct {
			name  string
			bytes int
			want  int
		}{
			{"within", httpapi.MaxHeaderBytes / 2, http.StatusOK},
			{"over", httpapi.MaxHeaderBytes + 16<<10, http.StatusRequestHeaderFieldsTooLarge},
		}
		for _, tc := range tests {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/live", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Padding", strings.Repeat("p", tc.bytes))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("%s: a %d-byte header got %d, want %d", tc.name, tc.bytes, resp.StatusCode, tc.want)
			}
		}
	})
	t.Run("migrated on start", func(t *testing.T) {
		after := migrationStates(t, bin, vars)
		if !strings.HasPrefix(after["00001"], "applied") {
			t.Errorf("migrate status shows 00001 as %q, want applied", after["00001"])
		}
		if n := countState(after, "applied"); n != len(after) {
			t.Errorf("migrate status shows %d of %d migrations applied: %v", n, len(after), after)
		}
	})

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("send SIGTERM: %v", err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM, want code 0; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(exitDeadline):
		t.Fatalf("serve still running %s after SIGTERM; stderr:\n%s", exitDeadline, stderr.String())
	}

	msgs := logMessages(t, stderr.String())
	for _, want := range []string{"migration applied", "serving", "shutting down", "stopped"} {
		if !slices.Contains(msgs, want) {
			t.Errorf("log has no %q message; messages: %q", want, msgs)
		}
	}
}

func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH: cannot build the binary")
	}
	bin := filepath.Join(t.TempDir(), "partnerforge")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type runResult struct {
	code           int
	stdout, stderr string
}

// runBinary runs the binary to completion with vars set over a clean
// configuration.
func runBinary(t *testing.T, bin string, vars map[string]string, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = childEnv(vars)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("run partnerforge %s: %v", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("partnerforge %s did not finish within %s", strings.Join(args, " "), commandTimeout)
	}
	return runResult{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// childEnv is the test's environment without any PartnerForge variable, plus
// vars, so a developer's own settings cannot change the outcome.
func childEnv(vars map[string]string) []string {
	ours := map[string]bool{}
	for _, d := range envDocs {
		ours[d.name] = true
	}
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !ours[name] {
			out = append(out, kv)
		}
	}
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// migrationStates runs `migrate status` and returns each version's state
// column ("pending" or "applied <time>").
func migrationStates(t *testing.T, bin string, vars map[string]string) map[string]string {
	t.Helper()
	res := runBinary(t, bin, vars, "migrate", "status")
	if res.code != 0 {
		t.Fatalf("migrate status exited %d; stderr:\n%s", res.code, res.stderr)
	}
	states := map[string]string{}
	for line := range strings.Lines(res.stdout) {
		if version, rest, ok := strings.Cut(line, "  "); ok {
			states[version] = strings.TrimSpace(rest)
		}
	}
	if _, ok := states["00001"]; !ok {
		t.Fatalf("migrate status does not list 00001:\n%s", res.stdout)
	}
	return states
}

func countState(states map[string]string, prefix string) int {
	n := 0
	for _, st := range states {
		if strings.HasPrefix(st, prefix) {
			n++
		}
	}
	return n
}

// freeAddr finds a loopback port nobody listens on. Another process could
// take it before serve does; that shows up as a listen error, not a flake
// in what the test checks.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer ln.Close()
	return "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// waitHealthy polls url until it answers 200, failing early if the process
// exits first.
func waitHealthy(t *testing.T, client *http.Client, url string, exited <-chan error, stderr *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(startDeadline)
	for {
		resp, err := client.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s never answered 200 within %s (last error %v); stderr:\n%s", url, startDeadline, err, stderr.String())
		}
		select {
		case err := <-exited:
			t.Fatalf("serve exited before it was healthy: %v; stderr:\n%s", err, stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func get(t *testing.T, client *http.Client, url string) (int, []byte) {
	t.Helper()
	return getWithKey(t, client, url, "")
}

func getWithKey(t *testing.T, client *http.Client, url, key string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return resp.StatusCode, body
}

// logMessages parses the JSON log lines and returns their messages; a line
// that is not JSON fails the test, since production logs must be parseable.
func logMessages(t *testing.T, log string) []string {
	t.Helper()
	var msgs []string
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var rec struct {
			Msg string `json:"msg"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Errorf("log line is not JSON: %s", sc.Text())
			continue
		}
		msgs = append(msgs, rec.Msg)
	}
	return msgs
}

// syncBuffer is a bytes.Buffer safe to read while the child process writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
