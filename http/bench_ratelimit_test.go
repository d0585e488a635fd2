package httpapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/ratelimit"
	"github.com/partnerforge/partnerforge/adapters/ratelimit/redistest"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections"
)

// timedLimiter records how long each decision of the limiter it wraps took.
type timedLimiter struct {
	next ratelimit.Limiter
	mu   sync.Mutex
	took []time.Duration
}

func (l *timedLimiter) Allow(ctx context.Context, key string, perMinute int) (ratelimit.Result, error) {
	start := time.Now()
	res, err := l.next.Allow(ctx, key, perMinute)
	d := time.Since(start)
	l.mu.Lock()
	l.took = append(l.took, d)
	l.mu.Unlock()
	return res, err
}

// benchKeys stands in for authentication in the benchmark: it gives each
// request a standard key, moving to the next key every 90 requests so that
// no key spends its 100 reads a minute and every request does the whole
// work of an allowed one.
func benchKeys(n int) *rotatingKeys {
	r := &rotatingKeys{keys: make([]string, n)}
	for i := range r.keys {
		r.keys[i] = testKey("bench-"+strconv.Itoa(i)+"@example.com", domain.TierStandard)
	}
	return r
}

// rotatingKeys hands out its keys in turn, 90 requests each: under a
// standard key's 100 reads a minute, so the benchmark measures the limiter
// and never its refusals.
type rotatingKeys struct {
	keys  []string
	count atomic.Int64
}

func (r *rotatingKeys) next() string {
	i := r.count.Add(1) - 1
	return r.keys[int(i/90)%len(r.keys)]
}

// BenchmarkRateLimit compares GET /api/targets through the Redis limiter as
// serve wires it (leasing: a standard key per request, budgets in Redis on
// loopback) with the same route and server without authentication or
// limiter, request by request in the same run, and reports the limiter's own
// cost per request. It runs over one PostgreSQL database with the read
// fixture: with the read cache, as serve wires it (a hit answers from
// memory), and without it (every request queries PostgreSQL, as a filter
// nobody asked before does); then, for comparison, with one Redis round trip
// per request and with the in-process limiter.
//
//	make bench   (or: go test -run '^$' -bench RateLimit -benchtime 1x ./http)
func BenchmarkRateLimit(b *testing.B) {
	clients, perClient := 8, 1000
	if v, err := strconv.Atoi(os.Getenv("BENCH_CLIENTS")); err == nil && v > 0 {
		clients = v
	}
	redis, _ := redistest.Client(b)
	var (
		deps    *Deps
		version *postgres.ProjectionVersion
	)
	newReadServer(b, func(rs *readServer, d *Deps) {
		version = postgres.NewProjectionVersion(rs.db.Pool, projections.TargetsName)
		deps = d
	})
	if err := version.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	serve := func(d Deps) string {
		srv := httptest.NewServer(NewRouter(d))
		b.Cleanup(srv.Close)
		return srv.URL
	}
	cached, uncached := *deps, *deps
	cached.TargetsVersion = version

	b.ResetTimer()
	var ratios []float64
	var underLoad []time.Duration
	for _, c := range []struct {
		name    string
		deps    Deps
		limiter ratelimit.Limiter
	}{
		{"read cache on (as serve), leasing Redis limiter", cached, ratelimit.NewLeasing(ratelimit.NewRedis(redis, redistest.Prefix()))},
		{"read cache off, leasing Redis limiter", uncached, ratelimit.NewLeasing(ratelimit.NewRedis(redis, redistest.Prefix()))},
		// Before leasing: one Redis round trip per request.
		{"read cache on, Redis limiter per request", cached, ratelimit.NewRedis(redis, redistest.Prefix())},
		// For comparison: the middleware's own cost without a network hop.
		{"read cache on, in-process limiter", cached, ratelimit.NewMemory()},
	} {
		timed := &timedLimiter{next: c.limiter}
		limited := withTestAuth(c.deps)
		limited.RateLimiter = timed
		baseline := c.deps
		baseline.withoutAuth = true
		keys := benchKeys(clients*(perClient+200)/90 + 1)
		res := pairedRequests(b, clients, perClient, serve(baseline), serve(limited), keys, timed)
		res.print(c.name, clients, perClient)
		ratios = append(ratios, res.ratio())
		underLoad = append(underLoad, durPercentile(res.limiter, 99))
	}
	b.StopTimer()

	// The limiters alone, one caller at a time: Redis's round trip without
	// the HTTP load competing for the CPU.
	var aloneP99 []time.Duration
	for _, a := range []struct {
		name    string
		limiter ratelimit.Limiter
	}{
		{"leasing Redis limiter", ratelimit.NewLeasing(ratelimit.NewRedis(redis, redistest.Prefix()))},
		{"Redis limiter per request", ratelimit.NewRedis(redis, redistest.Prefix())},
	} {
		alone := &timedLimiter{next: a.limiter}
		for i := range 5000 {
			if _, err := alone.Allow(context.Background(), "k"+strconv.Itoa(i/90), 100); err != nil {
				b.Fatal(err)
			}
		}
		p99 := durPercentile(alone.took, 99)
		fmt.Fprintf(os.Stdout, "%s alone, %d sequential calls: p50 %.3f ms  p99 %.3f ms   (goal p99 ≤ 1 ms: %s)\n",
			a.name, len(alone.took), msf(durPercentile(alone.took, 50)), msf(p99), meets(p99 <= time.Millisecond))
		aloneP99 = append(aloneP99, p99)
	}
	fmt.Fprintln(os.Stdout)
	b.ReportMetric(ratios[0], "ratio-cached")
	b.ReportMetric(ratios[1], "ratio-uncached")
	b.ReportMetric(ratios[2], "ratio-cached-per-request")
	b.ReportMetric(ratios[3], "ratio-cached-inprocess")
	b.ReportMetric(msf(underLoad[0]), "limiter-p99-ms")
	b.ReportMetric(msf(aloneP99[0]), "limiter-alone-p99-ms")
	b.ReportMetric(msf(aloneP99[1]), "limiter-alone-per-request-p99-ms")
}

// pairedResult holds the latencies of the requests without and with the
// limiter, and of the limiter's own decisions.
type pairedResult struct {
	without, with, limiter []time.Duration
	elapsed                time.Duration
}

// ratio is the throughput with the limiter over without: with closed-loop
// clients throughput is clients ÷ mean latency, so it is the inverse ratio
// of the mean latencies.
func (r pairedResult) ratio() float64 { return float64(mean(r.without)) / float64(mean(r.with)) }

func (r pairedResult) print(name string, clients, perClient int) {
	fmt.Fprintf(os.Stdout, "\nGET %s, %s: %d clients × %d paired requests (%.1f s)\n", benchPath, name, clients, perClient, r.elapsed.Seconds())
	for _, row := range []struct {
		name string
		ds   []time.Duration
	}{{"without limiter", r.without}, {"with limiter", r.with}} {
		m := mean(row.ds)
		fmt.Fprintf(os.Stdout, "  %-16s mean %.3f ms  p50 %.3f ms  p99 %.3f ms  (%.0f req/s)\n",
			row.name, msf(m), msf(durPercentile(row.ds, 50)), msf(durPercentile(row.ds, 99)), float64(clients)/m.Seconds())
	}
	ratio, p99 := r.ratio(), durPercentile(r.limiter, 99)
	fmt.Fprintf(os.Stdout, "  throughput with ÷ without: %.2f×   (goal ≥ 0.85×: %s)\n", ratio, meets(ratio >= 0.85))
	fmt.Fprintf(os.Stdout, "  limiter under this load: mean %.3f ms  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms   (goal p99 ≤ 1 ms: %s)\n",
		msf(mean(r.limiter)), msf(durPercentile(r.limiter, 50)), msf(durPercentile(r.limiter, 90)), msf(p99),
		msf(durPercentile(r.limiter, 100)), meets(p99 <= time.Millisecond))
}

const benchPath = "/api/targets?per_page=25&sort=icp_score"

// pairedRequests has each client send one request without and one with the
// limiter, in alternating order, so both see the same load on the machine
// at the same moment; a warm-up of 200 pairs per client comes first.
func pairedRequests(b *testing.B, clients, perClient int, baseURL, limitedURL string, keys *rotatingKeys, timed *timedLimiter) pairedResult {
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * clients}}
	get := func(base string) time.Duration {
		req, err := http.NewRequest(http.MethodGet, base+benchPath, nil)
		if err != nil {
			b.Fatal(err)
		}
		if base == limitedURL {
			req.Header.Set(HeaderAPIKey, keys.next())
		}
		start := time.Now()
		resp, err := httpc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d", benchPath, resp.StatusCode)
		}
		return time.Since(start)
	}
	run := func(n int) (without, with []time.Duration) {
		var (
			wg sync.WaitGroup
			mu sync.Mutex
		)
		for range clients {
			wg.Go(func() {
				var wo, wi []time.Duration
				for i := range n {
					if i%2 == 0 {
						wo = append(wo, get(baseURL))
						wi = append(wi, get(limitedURL))
					} else {
						wi = append(wi, get(limitedURL))
						wo = append(wo, get(baseURL))
					}
				}
				mu.Lock()
				without, with = append(without, wo...), append(with, wi...)
				mu.Unlock()
			})
		}
		wg.Wait()
		return without, with
	}
	run(200) // warm connections, the read cache and the script
	timed.mu.Lock()
	timed.took = timed.took[:0]
	timed.mu.Unlock()
	start := time.Now()
	without, with := run(perClient)
	elapsed := time.Since(start)
	timed.mu.Lock()
	defer timed.mu.Unlock()
	return pairedResult{without: without, with: with, limiter: slices.Clone(timed.took), elapsed: elapsed}
}

func msf(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

func meets(ok bool) string {
	if ok {
		return "meets"
	}
	return "BELOW"
}

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

func durPercentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}
