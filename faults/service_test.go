//go:build faults

package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerforge/partnerforge/adapters/providers/fixtures"
	"github.com/partnerforge/partnerforge/domain"
)

// Deadlines bound a hung process or a lost job; they measure nothing.
const (
	startDeadline = 90 * time.Second
	// jobTTL is ENRICH_JOB_TTL in the suite: a job nobody finishes fails as
	// expired after it, so waiting jobTTL plus the sweeper's period and some
	// slack is waiting long enough to know a job was left unfinished.
	jobTTL       = 3 * time.Minute
	jobsDeadline = jobTTL + 90*time.Second
)

// env is the configuration every serve of the suite shares: fixture
// providers, a short provider timeout (so a hung provider is given up on in
// seconds and a dead worker's lease, attempts × (timeout + 5 s) + 30 s, runs
// out in under a minute), and rate limits that do not throttle 200 jobs.
func env(dbURL string, p *fixtures.Servers) map[string]string {
	return map[string]string{
		"DATABASE_URL": dbURL, "ENVIRONMENT": "test", "LOG_LEVEL": "info",
		"API_KEY_SALT": "fault suite salt, long enough", "MIGRATE_ON_START": "false",
		"DB_MIN_CONNS": "2", "DB_MAX_CONNS": "12", "SHUTDOWN_TIMEOUT": "20s",
		"BUILTWITH_BASE_URL": p.BuiltWith.URL, "BUILTWITH_API_KEY": "fault-key",
		"SIMILARWEB_BASE_URL": p.SimilarWeb.URL, "SIMILARWEB_API_KEY": "fault-key",
		"YAHOO_BASE_URL": p.Yahoo.URL, "YAHOO_COOKIE_URL": p.YahooCookieURL(),
		"PROVIDER_TIMEOUT": "2s", "PROVIDER_MAX_ATTEMPTS": "2",
		"BUILTWITH_RATE": "500", "SIMILARWEB_RATE": "2000", "YAHOO_RATE": "1000",
		"ENRICH_MAX_JOBS_PER_REQUESTER": "1000", "ENRICH_JOB_TTL": jobTTL.String(),
	}
}

// startFixtures serves the fixture providers for one fault; any domain
// outside the demo set gets a made-up company, so load can use fresh names.
func startFixtures(t *testing.T, delay time.Duration) *fixtures.Servers {
	t.Helper()
	s, err := fixtures.Start(context.Background(), fixtures.Options{Synthesize: true, Delay: delay})
	if err != nil {
		t.Fatalf("start fixture providers: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// cli runs a partnerforge subcommand to completion.
func cli(t *testing.T, vars map[string]string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, suite.bin, args...)
	cmd.Env = childEnv(vars)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("partnerforge %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// childEnv is a minimal environment plus vars, so no setting of the machine
// running the suite changes what it shows.
func childEnv(vars map[string]string) []string {
	var out []string
	for _, name := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(name); ok {
			out = append(out, name+"="+v)
		}
	}
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// prepare creates the fault's database on the private cluster, migrates it
// and issues an admin key (no daily enrichment budget).
func prepare(t *testing.T, name string, p *fixtures.Servers) (map[string]string, *pgxpool.Pool, string) {
	t.Helper()
	ctx := context.Background()
	dbURL, err := suite.cluster.createDB(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	vars := env(dbURL, p)
	cli(t, vars, "migrate", "up")
	var key struct {
		Key string `json:"key"`
	}
	out := cli(t, vars, "keys", "create", "--email", "faults@example.com", "--tier", "admin", "--json")
	if err := json.Unmarshal([]byte(out), &key); err != nil || key.Key == "" {
		t.Fatalf("keys create printed %q: %v", out, err)
	}
	// The suite's own pool reads the log to count events; it may see the
	// server restart and reconnects by itself.
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return vars, pool, key.Key
}

// instance is one running `partnerforge serve`.
type instance struct {
	name   string
	cmd    *exec.Cmd
	base   string
	log    string
	exited chan struct{}
	err    error
}

func startServe(t *testing.T, name string, vars map[string]string) *instance {
	t.Helper()
	addr := freeAddr(t)
	v := maps.Clone(vars)
	v["HTTP_ADDR"] = addr
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	in := &instance{name: name, base: "http://" + addr, log: logPath, exited: make(chan struct{})}
	in.cmd = exec.Command(suite.bin, "serve")
	in.cmd.Env = childEnv(v)
	in.cmd.Stdout, in.cmd.Stderr = logFile, logFile
	if err := in.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { in.err = in.cmd.Wait(); close(in.exited) }()
	t.Cleanup(func() {
		if !in.done() {
			_ = in.cmd.Process.Kill()
			<-in.exited
		}
		if t.Failed() {
			t.Logf("%s log (last 40 lines):\n%s", name, in.logTail(40))
		}
	})
	deadline := time.Now().Add(startDeadline)
	for {
		if code, _, err := httpGet(context.Background(), in.base+"/ready", ""); err == nil && code == http.StatusOK {
			return in
		}
		if in.done() {
			t.Fatalf("%s exited before it was ready: %v\n%s", name, in.err, in.logTail(40))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within %s\n%s", name, startDeadline, in.logTail(40))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (in *instance) done() bool {
	select {
	case <-in.exited:
		return true
	default:
		return false
	}
}

func (in *instance) pid() int { return in.cmd.Process.Pid }

// kill9 ends the process at once: no shutdown, no drain, leases left held.
func (in *instance) kill9(t *testing.T) {
	t.Helper()
	if err := in.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Errorf("kill -9 %s: %v", in.name, err)
		return
	}
	<-in.exited
}

// stop sends SIGTERM and waits for a clean exit.
func (in *instance) stop(t *testing.T) {
	t.Helper()
	if in.done() {
		t.Errorf("%s had exited on its own: %v\n%s", in.name, in.err, in.logTail(40))
		return
	}
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.exited:
		if in.err != nil {
			t.Errorf("%s exited with %v after SIGTERM\n%s", in.name, in.err, in.logTail(40))
		}
	case <-time.After(time.Minute):
		t.Errorf("%s still running a minute after SIGTERM", in.name)
	}
}

func (in *instance) logTail(n int) string {
	b, _ := os.ReadFile(in.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

func httpGet(ctx context.Context, url, key string) (int, []byte, error) {
	return httpDo(ctx, http.MethodGet, url, key, "")
}

func httpDo(ctx context.Context, method, url, key, body string) (int, []byte, error) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return 0, nil, err
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// enrichAnswer is what POST /api/enrich answered.
type enrichAnswer struct {
	code  int
	jobID uuid.UUID
	body  []byte
}

// enrich opens (or joins) a job for d, adding d as a target if needed.
func enrich(ctx context.Context, base, key, d string, force bool) (enrichAnswer, error) {
	code, body, err := httpDo(ctx, http.MethodPost, base+"/api/enrich/"+d, key, fmt.Sprintf(`{"add":true,"force":%t}`, force))
	if err != nil {
		return enrichAnswer{}, err
	}
	a := enrichAnswer{code: code, body: body}
	if code == http.StatusAccepted || code == http.StatusOK {
		var got struct {
			JobID uuid.UUID `json:"job_id"`
		}
		if err := json.Unmarshal(body, &got); err != nil || got.JobID == uuid.Nil {
			return a, fmt.Errorf("POST /api/enrich/%s answered %d without a job id: %s", d, code, body)
		}
		a.jobID = got.JobID
	}
	return a, nil
}

// isJSONError reports whether body is the API's error shape,
// {"error":{"code":…,"message":…}}.
func isJSONError(body []byte) bool {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	return json.Unmarshal(body, &e) == nil && e.Error.Code != "" && e.Error.Message != ""
}

// metric reads one unlabelled gauge from /metrics.
func metric(ctx context.Context, base, key, name string) (float64, error) {
	code, body, err := httpGet(ctx, base+"/metrics", key)
	if err != nil {
		return 0, err
	}
	if code != http.StatusOK {
		return 0, fmt.Errorf("GET /metrics = %d", code)
	}
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return 0, fmt.Errorf("no %s in /metrics", name)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// terminal are the events that end a job.
var terminal = []string{domain.TypeEnrichmentCompleted, domain.TypeEnrichmentPartial, domain.TypeEnrichmentFailed}

// streams names the jobs' streams, each once: two requests may have joined
// one job.
func streams(jobs []uuid.UUID) []string {
	seen := map[uuid.UUID]bool{}
	var out []string
	for _, j := range jobs {
		if !seen[j] {
			seen[j] = true
			out = append(out, domain.JobStream(j))
		}
	}
	return out
}

// waitEnded waits until every job's stream holds an ending event, or until
// jobsDeadline; it returns how many ended.
func waitEnded(t *testing.T, pool *pgxpool.Pool, jobs []uuid.UUID) int {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(jobsDeadline)
	for {
		var ended int
		err := pool.QueryRow(ctx, `SELECT count(DISTINCT stream_id) FROM events WHERE stream_id = ANY($1) AND event_type = ANY($2)`,
			streams(jobs), terminal).Scan(&ended)
		if err == nil && ended == len(streams(jobs)) {
			return ended
		}
		if time.Now().After(deadline) {
			if err != nil {
				t.Fatalf("count ended jobs: %v", err)
			}
			return ended
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// tally is what the log says about a set of accepted jobs.
type tally struct {
	jobs int
	// lost: a requested provider with no outcome in an ended job, or an
	// accepted job whose request is not in the log.
	lost int
	// duplicated: a second outcome for a job and provider, a second ending
	// or a second request in one job's stream.
	duplicated int
	// unfinished: accepted jobs with no ending.
	unfinished int
	// expired: jobs that ended only because their TTL ran out.
	expired  int
	statuses map[string]int
	// failures counts ProviderFailed events by provider and code.
	failures map[string]int
}

// audit reads every accepted job's stream from the events table and counts
// what is missing and what is there twice.
func audit(t *testing.T, pool *pgxpool.Pool, jobs []uuid.UUID) tally {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `
SELECT stream_id, event_type, coalesce(data->>'provider', ''), coalesce(data->>'code', data->>'reason', ''),
       coalesce(data->'providers', '[]'::jsonb)
FROM events WHERE stream_id = ANY($1) ORDER BY position`, streams(jobs))
	if err != nil {
		t.Fatalf("read job streams: %v", err)
	}
	type job struct {
		requested []string
		requests  int
		outcomes  map[string]int
		endings   []string
	}
	byStream := map[string]*job{}
	for rows.Next() {
		var stream, typ, provider, code string
		var requested []string
		if err := rows.Scan(&stream, &typ, &provider, &code, &requested); err != nil {
			t.Fatal(err)
		}
		j := byStream[stream]
		if j == nil {
			j = &job{outcomes: map[string]int{}}
			byStream[stream] = j
		}
		switch typ {
		case domain.TypeEnrichmentRequested:
			j.requests++
			j.requested = requested
		case domain.TypeProviderFetched, domain.TypeProviderFailed:
			j.outcomes[provider]++
		case domain.TypeEnrichmentCompleted, domain.TypeEnrichmentPartial, domain.TypeEnrichmentFailed:
			j.endings = append(j.endings, typ+":"+code)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var failures = map[string]int{}
	frows, err := pool.Query(ctx, `SELECT data->>'provider' || ' ' || (data->>'code'), count(*) FROM events
WHERE stream_id = ANY($1) AND event_type = $2 GROUP BY 1`, streams(jobs), domain.TypeProviderFailed)
	if err != nil {
		t.Fatal(err)
	}
	for frows.Next() {
		var k string
		var n int
		if err := frows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		failures[k] = n
	}
	if err := frows.Err(); err != nil {
		t.Fatal(err)
	}
	tl := tally{jobs: len(streams(jobs)), statuses: map[string]int{}, failures: failures}
	for _, s := range streams(jobs) {
		j := byStream[s]
		if j == nil || j.requests == 0 {
			tl.lost++
			tl.unfinished++
			t.Errorf("%s: accepted, but no EnrichmentRequested in the log", s)
			continue
		}
		tl.duplicated += j.requests - 1
		if len(j.endings) == 0 {
			tl.unfinished++
			t.Errorf("%s: never ended (outcomes %v of %v)", s, j.outcomes, j.requested)
			continue
		}
		tl.duplicated += len(j.endings) - 1
		tl.statuses[endingName(j.endings[0])]++
		if strings.HasSuffix(j.endings[0], ":expired") {
			tl.expired++
		}
		for _, p := range j.requested {
			switch n := j.outcomes[p]; {
			case n == 0:
				tl.lost++
				t.Errorf("%s: ended %s with no outcome for %s", s, j.endings[0], p)
			case n > 1:
				tl.duplicated += n - 1
				t.Errorf("%s: %d outcomes for %s", s, n, p)
			}
		}
		if len(j.endings) > 1 || j.requests > 1 {
			t.Errorf("%s: %d requests and endings %v", s, j.requests, j.endings)
		}
	}
	return tl
}

// procStatus reads a field of /proc/PID/status in kB (VmRSS, VmHWM).
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// openFDs counts the process's open file descriptors (sockets included).
func openFDs(pid int) (int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(ents), err
}

// errorLines returns the distinct error-level log lines of the instance,
// cut to their message and error, at most n of them.
func (in *instance) errorLines(n int) []string {
	b, _ := os.ReadFile(in.log)
	seen := map[string]bool{}
	var out []string
	for line := range strings.Lines(string(b)) {
		var rec struct {
			Level, Msg, Error string
		}
		if json.Unmarshal([]byte(line), &rec) != nil || rec.Level != "ERROR" {
			continue
		}
		k := rec.Msg + ": " + rec.Error
		if !seen[k] && len(out) < n {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// endingName turns "EnrichmentFailed:expired" into "failed (expired)".
func endingName(ending string) string {
	typ, reason, _ := strings.Cut(ending, ":")
	name := strings.ToLower(strings.TrimPrefix(typ, "Enrichment"))
	if reason != "" {
		name += " (" + reason + ")"
	}
	return name
}

// counts prints a tally as "partial ×200, failed (expired) ×1", sorted.
func counts(m map[string]int) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
