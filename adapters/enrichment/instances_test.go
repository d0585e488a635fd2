package enrichment

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/partnerforge/partnerforge/adapters/providers/fixtures"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

// These tests run the pipeline as several instances would: pipelines with
// pools of their own on one database, in front of fixture providers whose
// requests a gate can hold, so a fetch lasts exactly as long as the test
// needs, with no timing guess.

// gate holds provider requests about the domains it is told to hold until
// released, and counts every request by domain.
type gate struct {
	mu        sync.Mutex
	hold      map[string]bool
	calls     map[string]int
	inFlight  map[string]int
	cancelled int
	open      chan struct{}
	once      sync.Once
}

func newGate(hold ...string) *gate {
	g := &gate{hold: map[string]bool{}, calls: map[string]int{}, inFlight: map[string]int{}, open: make(chan struct{})}
	for _, d := range hold {
		g.hold[d] = true
	}
	return g
}

// requestDomain is the site a provider request is about: BuiltWith's
// LOOKUP, SimilarWeb's /website/{domain}/ path segment.
func requestDomain(r *http.Request) string {
	if d := r.URL.Query().Get("LOOKUP"); d != "" {
		return strings.ToLower(d)
	}
	if _, rest, ok := strings.Cut(r.URL.Path, "/website/"); ok {
		d, _, _ := strings.Cut(rest, "/")
		return strings.ToLower(d)
	}
	return ""
}

func (g *gate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := requestDomain(r)
		g.mu.Lock()
		g.calls[d]++
		held := g.hold[d]
		g.inFlight[d]++
		g.mu.Unlock()
		defer func() {
			g.mu.Lock()
			g.inFlight[d]--
			g.mu.Unlock()
		}()
		if held {
			select {
			case <-g.open:
			case <-r.Context().Done():
				g.mu.Lock()
				g.cancelled++
				g.mu.Unlock()
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

// state reads the gate under its lock.
func (g *gate) state(f func(g *gate) bool) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return f(g)
}

// busy counts the domains with a request in flight.
func (g *gate) busy() int {
	n := 0
	for _, c := range g.inFlight {
		if c > 0 {
			n++
		}
	}
	return n
}

// gatedFixtures serves the fixture providers behind g, answering for any
// domain.
func gatedFixtures(t *testing.T, g *gate) *fixtures.Servers {
	t.Helper()
	f := fixtures.New(fixtures.Options{Synthesize: true})
	s := &fixtures.Servers{
		Fixtures:   f,
		BuiltWith:  httptest.NewServer(g.wrap(f.BuiltWithHandler())),
		SimilarWeb: httptest.NewServer(g.wrap(f.SimilarWebHandler())),
		Yahoo:      httptest.NewServer(g.wrap(f.YahooHandler())),
	}
	t.Cleanup(func() { g.release(); s.Close() })
	return s
}

// waitFor polls cond every 10 ms until it holds; the deadline only bounds a
// hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// patient gives held requests all the time they need: an attempt timing
// out would be retried, and count as a call of its own.
func patient() harnessOpts {
	res := defaultResilience()
	res.AttemptTimeout = 5 * time.Minute
	return harnessOpts{resilience: res, fetchTimeout: 10 * time.Minute}
}

// A worker whose lease ran out while it fetched (paused, starved) comes
// back after another instance took the task over and finished the job: its
// outcome is not recorded, the job keeps one outcome per provider and ends
// once, and the instance counts the lost lease.
func TestStaleWorkerRecordsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	staleOpts := patient()
	staleOpts.noRun = true
	stale := newHarness(t, staleOpts)
	acc := stale.enrich("costco.com", false, domain.ProviderBuiltWith)
	if err := stale.pipeline.handlers()[0].Handle(ctx, stale.stream(domain.JobStream(acc.JobID))[0]); err != nil {
		t.Fatal(err)
	}
	claimed, err := stale.queue.Claim(ctx, 1, 50*time.Millisecond)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claimed %d tasks (%v), want 1", len(claimed), err)
	}

	otherOpts := patient()
	otherOpts.db, otherOpts.fx, otherOpts.ownPool = stale.db, stale.fx, true
	other := newHarness(t, otherOpts)
	job := other.waitJob(acc.JobID)
	if job.Status() != domain.JobCompleted {
		t.Fatalf("the instance that took over ended the job %s", job.Status())
	}
	before := other.types(domain.JobStream(acc.JobID))

	stale.pipeline.work(ctx, claimed[0]) // it wakes up and finishes its fetch
	after := other.types(domain.JobStream(acc.JobID))
	if len(after) != len(before) {
		t.Fatalf("the stale worker appended to the ended job: %v → %v", before, after)
	}
	if n := count(after, domain.TypeProviderFetched); n != 1 {
		t.Fatalf("job stream %v: want one outcome", after)
	}
	if n := count(after, domain.TypeEnrichmentCompleted); n != 1 {
		t.Fatalf("job stream %v: want one completion", after)
	}
	if lost := counterValue(t, stale.pipeline.deps.Metrics.leasesLost); lost != 1 {
		t.Fatalf("the stale instance counted %v lost leases, want 1", lost)
	}
	if calls := stale.fx.Requests(domain.ProviderBuiltWith, "costco.com"); calls != 2 {
		t.Fatalf("builtwith asked %d times, want 2 (each worker once)", calls)
	}
}

// A fetch that outlasts its lease keeps the task: the worker renews the
// lease while it runs, so another instance polling for work never takes it
// over and the provider is asked once.
func TestRenewedLeaseOutlivesLongFetch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := newGate("nike.com")
	const lease = 3 * time.Second
	aOpts := patient()
	aOpts.fx, aOpts.lease = gatedFixtures(t, g), lease
	a := newHarness(t, aOpts)
	bOpts := patient()
	bOpts.db, bOpts.fx, bOpts.lease, bOpts.ownPool = a.db, a.fx, lease, true
	b := newHarness(t, bOpts)

	acc := a.enrich("nike.com", false, domain.ProviderBuiltWith)
	waitFor(t, "the fetch to reach the provider", func() bool {
		return g.state(func(g *gate) bool { return g.calls["nike.com"] == 1 })
	})
	first := leaseUntil(t, a, acc.JobID)
	// Until the task's lease has been renewed well past where it first
	// ended: the other instance looked for work all along.
	waitFor(t, "the lease to be renewed past twice its length", func() bool {
		return leaseUntil(t, a, acc.JobID).After(first.Add(2 * lease))
	})
	var leases int
	if err := a.db.Pool.QueryRow(ctx, `SELECT leases FROM fetch_tasks WHERE job_id = $1`, acc.JobID).Scan(&leases); err != nil || leases != 1 {
		t.Fatalf("task leased %d times (%v), want once", leases, err)
	}
	g.release()
	job := b.waitJob(acc.JobID)
	if o := outcome(t, job, domain.ProviderBuiltWith); o.Fetched == nil {
		t.Fatalf("builtwith failed: %+v", o.Failed)
	}
	if calls := g.state(func(g *gate) bool { return g.calls["nike.com"] == 1 }); !calls {
		t.Fatal("builtwith was asked more than once")
	}
}

func leaseUntil(t *testing.T, h *harness, jobID uuid.UUID) time.Time {
	t.Helper()
	var until time.Time
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT lease_until FROM fetch_tasks WHERE job_id = $1`, jobID).Scan(&until); err != nil {
		t.Fatalf("read lease of job %s: %v", jobID, err)
	}
	return until
}

// When a renewal finds the task taken over, the worker cancels its fetch
// at once rather than finish a call whose outcome it may not record; the
// task is then fetched again under its next lease and the job ends with one
// outcome.
func TestLostLeaseCancelsFetch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := newGate("target.com")
	opts := patient()
	opts.fx, opts.lease = gatedFixtures(t, g), 600*time.Millisecond
	h := newHarness(t, opts)

	acc := h.enrich("target.com", false, domain.ProviderBuiltWith)
	waitFor(t, "the fetch to reach the provider", func() bool {
		return g.state(func(g *gate) bool { return g.calls["target.com"] == 1 })
	})
	// Another worker's claim, as it would look had the lease run out.
	if _, err := h.db.Pool.Exec(ctx, `UPDATE fetch_tasks SET leases = leases + 1, lease_until = now() + interval '1 hour' WHERE job_id = $1`, acc.JobID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the held request to be cancelled", func() bool {
		return g.state(func(g *gate) bool { return g.cancelled == 1 })
	})
	if lost := counterValue(t, h.pipeline.deps.Metrics.leasesLost); lost != 1 {
		t.Fatalf("%v lost leases counted, want 1", lost)
	}
	if evs := h.types(domain.JobStream(acc.JobID)); count(evs, domain.TypeProviderFetched)+count(evs, domain.TypeProviderFailed) != 0 {
		t.Fatalf("job stream %v: the cancelled fetch recorded an outcome", evs)
	}
	// The "other worker" never finishes: its lease runs out, and the
	// instance fetches again.
	g.release()
	if _, err := h.db.Pool.Exec(ctx, `UPDATE fetch_tasks SET lease_until = now() WHERE job_id = $1`, acc.JobID); err != nil {
		t.Fatal(err)
	}
	job := h.waitJob(acc.JobID)
	if o := outcome(t, job, domain.ProviderBuiltWith); o.Fetched == nil {
		t.Fatalf("builtwith failed: %+v", o.Failed)
	}
	if evs := h.types(domain.JobStream(acc.JobID)); count(evs, domain.TypeProviderFetched) != 1 {
		t.Fatalf("job stream %v: want one outcome", evs)
	}
}

// Two instances on one database split the jobs opened through both: every
// job ends once with one outcome, both instances fetch, and the daily quota
// is one budget: with 5 SimilarWeb calls a day, exactly 5 of 8 fetches call
// SimilarWeb, whichever instance runs them, and 3 fail as quota_exhausted.
func TestTwoInstancesShareWorkAndQuota(t *testing.T) {
	t.Parallel()
	g := newGate(fixtures.Domains()...) // held until both instances fetch
	opts := patient()
	opts.fx, opts.workers, opts.quota = gatedFixtures(t, g), 2, map[domain.Provider]int{domain.ProviderSimilarWeb: 5}
	a := newHarness(t, opts)
	opts.db, opts.ownPool = a.db, true
	b := newHarness(t, opts)

	domains := fixtures.Domains()[:8]
	jobs := make([]uuid.UUID, len(domains))
	for i, d := range domains {
		via := []*harness{a, b}[i%2]
		acc, err := via.request.Handle(context.Background(), commands.RequestEnrichment{
			Domain: domain.MustParseDomain(d), Providers: []domain.Provider{domain.ProviderSimilarWeb}, Add: true,
			RequestedBy: fmt.Sprintf("rep%d@example.com", i),
		})
		if err != nil {
			t.Fatalf("request %s: %v", d, err)
		}
		jobs[i] = acc.JobID
	}
	// Each instance fetches two at a time: three sites in flight at once
	// means both are fetching.
	waitFor(t, "three fetches in flight", func() bool { return g.state(func(g *gate) bool { return g.busy() >= 3 }) })
	g.release()

	var fetched, refused int
	for i, id := range jobs {
		job := a.waitJob(id)
		types := a.types(domain.JobStream(id))
		if n := count(types, domain.TypeProviderFetched) + count(types, domain.TypeProviderFailed); n != 1 {
			t.Errorf("job of %s: %v, want one outcome", domains[i], types)
		}
		if n := ended(types); n != 1 {
			t.Errorf("job of %s: %v, want it ended once", domains[i], types)
		}
		switch o := outcome(t, job, domain.ProviderSimilarWeb); {
		case o.Fetched != nil:
			fetched++
		case o.Failed.Code == domain.FailureQuotaExhausted:
			refused++
		default:
			t.Errorf("job of %s failed %s: %s", domains[i], o.Failed.Code, o.Failed.Message)
		}
	}
	if fetched != 5 || refused != 3 {
		t.Fatalf("%d fetched, %d refused by the quota; want 5 and 3", fetched, refused)
	}
	for name, h := range map[string]*harness{"a": a, "b": b} {
		if n := similarWebFetches(t, h.providerMetrics); n == 0 {
			t.Errorf("instance %s fetched nothing", name)
		}
	}
}

// similarWebFetches sums an instance's SimilarWeb fetches, every outcome.
func similarWebFetches(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, f := range families {
		if f.GetName() != "partnerforge_provider_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "provider" && l.GetValue() == string(domain.ProviderSimilarWeb) {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}

// ended counts the events that end a job.
func ended(types []string) int {
	return count(types, domain.TypeEnrichmentCompleted) + count(types, domain.TypeEnrichmentPartial) + count(types, domain.TypeEnrichmentFailed)
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
