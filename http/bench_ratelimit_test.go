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

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

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
func benchKeys(n int) gin.HandlerFunc {
	keys := make([]uuid.UUID, n)
	for i := range keys {
		keys[i] = uuid.New()
	}
	var count atomic.Int64
	return func(c *gin.Context) {
		i := count.Add(1) - 1
		setPrincipal(c, Principal{KeyID: keys[int(i/90)%n], Owner: "bench@example.com", Tier: domain.TierStandard})
		c.Next()
	}
}

// BenchmarkRateLimit compares GET /api/targets through the Redis limiter
// (a standard key per request, budgets in Redis on loopback) with the same
// route and server without authentication or limiter, in alternating
// rounds of the same run, and reports the limiter's own cost per request.
// Both servers are wired as serve wires them, read cache included, over one
// PostgreSQL database with the read fixture.
//
//	make bench   (or: go test -run '^$' -bench RateLimit -benchtime 1x ./http)
func BenchmarkRateLimit(b *testing.B) {
	clients, perRound, rounds := 8, 2000, 9
	if v, err := strconv.Atoi(os.Getenv("BENCH_CLIENTS")); err == nil && v > 0 {
		clients = v
	}
	redis, _ := redistest.Client(b)
	var (
		deps    *Deps
		version *postgres.ProjectionVersion
	)
	rs := newReadServer(b, func(rs *readServer, d *Deps) {
		version = postgres.NewProjectionVersion(rs.db.Pool, projections.TargetsName)
		d.TargetsVersion = version
		deps = d
	})
	if err := version.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	timed := &timedLimiter{next: ratelimit.NewRedis(redis, redistest.Prefix())}
	limitedDeps := *deps
	limitedDeps.RateLimiter = timed
	limitedDeps.authenticate = benchKeys(clients * perRound * (rounds + 1) / 90)
	limited := httptest.NewServer(NewRouter(limitedDeps))
	b.Cleanup(limited.Close)

	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	const path = "/api/targets?per_page=25&sort=icp_score"
	round := func(base string) float64 {
		var wg sync.WaitGroup
		start := time.Now()
		for range clients {
			wg.Go(func() {
				for range perRound / clients {
					resp, err := httpc.Get(base + path)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("GET %s: %d", path, resp.StatusCode)
						return
					}
				}
			})
		}
		wg.Wait()
		return float64(perRound/clients*clients) / time.Since(start).Seconds()
	}
	round(rs.url) // warm connections, the cache and the script
	round(limited.URL)
	timed.mu.Lock()
	timed.took = timed.took[:0]
	timed.mu.Unlock()

	b.ResetTimer()
	var without, with []float64
	for range rounds {
		without = append(without, round(rs.url))
		with = append(with, round(limited.URL))
	}
	b.StopTimer()

	// The limiter alone, one caller at a time: Redis's round trip without
	// the HTTP load competing for the CPU.
	alone := &timedLimiter{next: ratelimit.NewRedis(redis, redistest.Prefix())}
	for i := range 5000 {
		if _, err := alone.Allow(context.Background(), "k"+strconv.Itoa(i/90), 100); err != nil {
			b.Fatal(err)
		}
	}

	rateWithout, rateWith := median(without), median(with)
	ratio := rateWith / rateWithout
	p50, p99 := durPercentile(timed.took, 50), durPercentile(timed.took, 99)
	b.ReportMetric(ratio, "ratio")
	b.ReportMetric(float64(p99.Microseconds())/1000, "limiter-p99-ms")
	fmt.Fprintf(os.Stdout, "\nGET %s, %d clients, %d rounds of %d requests each way (median round):\n", path, clients, rounds, perRound)
	fmt.Fprintf(os.Stdout, "  without limiter:          %8.0f req/s   rounds %v\n", rateWithout, rounded(without))
	fmt.Fprintf(os.Stdout, "  with the Redis limiter:   %8.0f req/s   rounds %v\n", rateWith, rounded(with))
	fmt.Fprintf(os.Stdout, "  ratio with ÷ without:     %.2f×   (goal ≥ 0.85×: %s)\n", ratio, meets(ratio >= 0.85))
	fmt.Fprintf(os.Stdout, "  limiter cost under load:  p50 %.3f ms  p99 %.3f ms  max %.3f ms over %d requests   (goal p99 ≤ 1 ms: %s)\n",
		msf(p50), msf(p99), msf(durPercentile(timed.took, 100)), len(timed.took), meets(p99 <= time.Millisecond))
	fmt.Fprintf(os.Stdout, "  limiter cost alone:       p50 %.3f ms  p99 %.3f ms over %d sequential calls\n\n",
		msf(durPercentile(alone.took, 50)), msf(durPercentile(alone.took, 99)), len(alone.took))
}

func msf(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

func meets(ok bool) string {
	if ok {
		return "meets"
	}
	return "BELOW"
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func rounded(xs []float64) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = int(x + 0.5)
	}
	return out
}

func durPercentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}
