package enrichment

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/providers/fixtures"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

// clientPoll is how often a requester looks at its job, as the dashboard
// polls a job's status. The latency is timed by the events' own clock, so
// the poll only sets the pace of each requester's next request.
const clientPoll = 100 * time.Millisecond

// BenchmarkEndToEnd measures what a rep waits for: from RequestEnrichment
// accepted (EnrichmentRequested stored) to the job ended (its outcome
// stored), timed by the database's clock, through the real pipeline (watermill
// subscribers, leased workers, zero-delay fixture providers over loopback
// HTTP). Eight requesters each run jobs one after another. It runs twice:
// woken by LISTEN/NOTIFY and resting between wake-ups (serve's default), and
// polling at the production interval (EVENT_NOTIFY=false), so the two compare
// in the same run. The baseline in the same run is the least the work can
// take: the three fetches in parallel and the score, called directly.
//
//	make bench   (or: go test -run '^$' -bench EndToEnd -benchtime 1x ./adapters/enrichment)
func BenchmarkEndToEnd(b *testing.B) {
	for _, mode := range []struct {
		name string
		wake bool
	}{{"wakeups", true}, {"polling", false}} {
		b.Run(mode.name, func(b *testing.B) { benchmarkEndToEnd(b, mode.wake) })
	}
}

func benchmarkEndToEnd(b *testing.B, wake bool) {
	requesters, jobsEach := 8, 25
	if v, err := strconv.Atoi(os.Getenv("BENCH_REQUESTERS")); err == nil && v > 0 {
		requesters = v
	}
	poll := -1 * time.Nanosecond // the production default
	if v := os.Getenv("BENCH_POLL_INTERVAL"); v != "" {
		var err error
		if poll, err = time.ParseDuration(v); err != nil {
			b.Fatal(err)
		}
	}
	h := newHarness(b, harnessOpts{lease: time.Minute, poll: poll, wake: wake})
	domains := fixtures.Domains()[:requesters]

	var base []time.Duration
	for range 3 { // warm connections and the Yahoo crumb
		if _, err := h.direct(domains[0]); err != nil {
			b.Fatal(err)
		}
	}
	for range jobsEach {
		for _, d := range domains {
			took, err := h.direct(d)
			if err != nil {
				b.Fatal(err)
			}
			base = append(base, took)
		}
	}

	b.ResetTimer()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		// Hops, from the events' commit times: request → first outcome
		// (dispatch and fetch), → last outcome, last outcome → job ended
		// (completion handler).
		toFirst, toLast, toEnd []time.Duration
		wg                     sync.WaitGroup
	)
	start := time.Now()
	for i, d := range domains {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobsEach {
				acc, err := h.request.Handle(context.Background(), commands.RequestEnrichment{
					Domain: domain.MustParseDomain(d), Force: true, Add: true, RequestedBy: fmt.Sprintf("bench%d", i),
				})
				if err != nil {
					b.Error(err)
					return
				}
				job := h.waitJobEvery(acc.JobID, clientPoll)
				if job.Status() != domain.JobCompleted && job.Status() != domain.JobPartial {
					b.Errorf("job for %s ended %s", d, job.Status())
				}
				// Latency from the events' own commit clock, so how often
				// this loop polls does not enter the figure.
				evs := h.stream(domain.JobStream(acc.JobID))
				first, last := evs[1].RecordedAt, evs[len(evs)-2].RecordedAt
				took := evs[len(evs)-1].RecordedAt.Sub(evs[0].RecordedAt)
				mu.Lock()
				latencies = append(latencies, took)
				toFirst = append(toFirst, first.Sub(evs[0].RecordedAt))
				toLast = append(toLast, last.Sub(evs[0].RecordedAt))
				toEnd = append(toEnd, evs[len(evs)-1].RecordedAt.Sub(last))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()

	p50, p99 := percentile(latencies, 50), percentile(latencies, 99)
	bp50, bp99 := percentile(base, 50), percentile(base, 99)
	rate := float64(len(latencies)) / elapsed.Seconds()
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(rate, "jobs/s")
	how := fmt.Sprintf("handlers poll every %s", h.pipeline.cfg.PollInterval)
	if wake {
		how = fmt.Sprintf("handlers woken by LISTEN/NOTIFY (fallback poll %s)", h.pipeline.cfg.Rest)
	}
	fmt.Fprintf(os.Stdout, "\nenrichment end to end, %d requesters × %d jobs, %s, requesters every %s:\n",
		requesters, jobsEach, how, clientPoll)
	fmt.Fprintf(os.Stdout, "  pipeline: p50 %6.1f ms  p99 %6.1f ms  %6.1f jobs/s   (goal p50 ≤ 100 ms: %s, p99 ≤ 500 ms: %s)\n",
		ms(p50), ms(p99), rate, verdict(p50 <= 100*time.Millisecond), verdict(p99 <= 500*time.Millisecond))
	fmt.Fprintf(os.Stdout, "  hops (p50): requested → first outcome %.1f ms, → last outcome %.1f ms; last outcome → ended %.1f ms\n",
		ms(percentile(toFirst, 50)), ms(percentile(toLast, 50)), ms(percentile(toEnd, 50)))
	fmt.Fprintf(os.Stdout, "  baseline (direct fetches + score, no pipeline): p50 %6.1f ms  p99 %6.1f ms\n", ms(bp50), ms(bp99))
	fmt.Fprintf(os.Stdout, "  ratio pipeline ÷ baseline: p50 %.1f×  p99 %.1f×\n\n", ms(p50)/ms(bp50), ms(p99)/ms(bp99))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func verdict(ok bool) string {
	if ok {
		return "meets"
	}
	return "BELOW"
}

func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

// direct fetches the three providers in parallel and scores, with no
// pipeline in between.
func (h *harness) direct(d string) (time.Duration, error) {
	t0 := time.Now()
	dom := domain.MustParseDomain(d)
	outcomes := make([]domain.ProviderOutcome, len(domain.AllProviders))
	var wg sync.WaitGroup
	for i, p := range domain.AllProviders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outcomes[i] = fetchOutcome(context.Background(), h.pipeline.deps.Fetchers[p], postgres.FetchTask{Domain: dom, Provider: p})
		}()
	}
	wg.Wait()
	fetched := map[domain.InputGroup]domain.Fetch{}
	for _, o := range outcomes {
		if o.Fetched != nil {
			fetched[domain.GroupOf(o.Fetched.Provider)] = domain.Fetch{Data: o.Fetched.Data}
		}
	}
	in, _ := domain.ScoreInputFor(domain.Knowledge{}, fetched, time.Now())
	_ = domain.ComputeScore(in)
	return time.Since(t0), nil
}
