package enrichment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/providers/fixtures"
	"github.com/partnerforge/partnerforge/adapters/providers/providerset"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

func outcome(t *testing.T, job *domain.Job, p domain.Provider) domain.ProviderOutcome {
	t.Helper()
	o, ok := job.Outcome(p)
	if !ok {
		t.Fatalf("job %s has no %s outcome", job.ID(), p)
	}
	return o
}

func failureCode(t *testing.T, job *domain.Job, p domain.Provider) domain.FailureCode {
	t.Helper()
	o := outcome(t, job, p)
	if o.Failed == nil {
		t.Fatalf("%s fetched %+v, want a failure", p, o.Fetched.Data)
	}
	return o.Failed.Code
}

func TestAllProvidersSucceed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	acc := h.enrich("costco.com", false)
	if acc.Reused != domain.NewJob {
		t.Fatalf("first request reused job (%s)", acc.Reused)
	}
	job := h.waitJob(acc.JobID)
	if job.Status() != domain.JobCompleted {
		t.Fatalf("status %s, want completed", job.Status())
	}
	for _, p := range domain.AllProviders {
		if o := outcome(t, job, p); o.Fetched == nil {
			t.Errorf("%s failed: %+v", p, o.Failed)
		}
	}
	traffic := outcome(t, job, domain.ProviderSimilarWeb).Fetched.Data.Traffic
	if traffic == nil || traffic.MonthlyVisits <= 0 {
		t.Fatalf("similarweb traffic %+v", traffic)
	}
	fin := outcome(t, job, domain.ProviderYahooFinance).Fetched.Data.Financials
	if fin == nil || fin.Ticker != "COST" || fin.Revenue <= 0 {
		t.Fatalf("yahoo financials %+v", fin)
	}

	targetTypes := h.types(domain.TargetStream(domain.MustParseDomain("costco.com")))
	want := []string{domain.TypeTargetAdded, domain.TypeEnrichmentJobOpened, domain.TypeScoreComputed, domain.TypeEnrichmentJobClosed}
	if fmt.Sprint(targetTypes) != fmt.Sprint(want) {
		t.Fatalf("target stream %v, want %v", targetTypes, want)
	}
	scored := h.stream(domain.TargetStream(domain.MustParseDomain("costco.com")))[2]
	ev, err := domain.Decode(scored)
	if err != nil {
		t.Fatal(err)
	}
	sc := ev.(domain.ScoreComputed)
	if sc.Score.ModelVersion != domain.ScoringModelVersion || sc.Score.Tier < 1 || sc.Score.Tier > 4 || sc.Sources[domain.GroupTraffic].Source != "similarweb" {
		t.Fatalf("score %+v sources %v", sc.Score, sc.Sources)
	}
	// The requester's slot is released.
	reqTypes := h.types(domain.RequesterStream("rep@example.com"))
	if fmt.Sprint(reqTypes) != fmt.Sprint([]string{domain.TypeRequesterJobStarted, domain.TypeRequesterJobEnded}) {
		t.Fatalf("requester stream %v", reqTypes)
	}
	// The work queue is empty again.
	if q, l, err := h.queue.Depth(context.Background()); err != nil || q != 0 || l != 0 {
		t.Fatalf("queue depth %d/%d (%v) after the job ended", q, l, err)
	}
}

func TestOneProviderFailsMakesPartial(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	job := h.waitJob(h.enrich("patagonia.com", false).JobID) // private: no ticker
	if job.Status() != domain.JobPartial {
		t.Fatalf("status %s, want partial", job.Status())
	}
	if code := failureCode(t, job, domain.ProviderYahooFinance); code != domain.FailureNoTicker {
		t.Fatalf("yahoo failed with %s, want no_ticker", code)
	}
	evs := h.stream(domain.JobStream(job.ID()))
	last, _ := domain.Decode(evs[len(evs)-1])
	partial, ok := last.(domain.EnrichmentPartial)
	if !ok || partial.Failed[domain.ProviderYahooFinance] != domain.FailureNoTicker || len(partial.Failed) != 1 {
		t.Fatalf("last job event %#v", last)
	}
}

func TestAllProvidersFail(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	job := h.waitJob(h.enrich(fixtures.DomainQuota, false).JobID)
	if job.Status() != domain.JobFailed {
		t.Fatalf("status %s, want failed", job.Status())
	}
	for _, p := range domain.AllProviders {
		failureCode(t, job, p)
	}
	types := h.types(domain.TargetStream(domain.MustParseDomain(fixtures.DomainQuota)))
	if count(types, domain.TypeScoreComputed) != 0 {
		t.Fatalf("a job with no data scored the target: %v", types)
	}
}

func TestCircuitOpensAfterFailures(t *testing.T) {
	t.Parallel()
	res := defaultResilience()
	res.MaxAttempts, res.BreakerFailures = 1, 2
	h := newHarness(t, harnessOpts{resilience: res})
	// Two jobs against a provider that keeps answering 429 trip the breaker.
	for range 2 {
		job := h.waitJob(h.enrich(fixtures.DomainRateLimited, true, domain.ProviderSimilarWeb).JobID)
		if code := failureCode(t, job, domain.ProviderSimilarWeb); code != domain.FailureRateLimited {
			t.Fatalf("similarweb failed with %s, want rate_limited", code)
		}
	}
	before := h.fx.TotalRequests(domain.ProviderSimilarWeb)
	job := h.waitJob(h.enrich("bestbuy.com", false, domain.ProviderSimilarWeb).JobID)
	if code := failureCode(t, job, domain.ProviderSimilarWeb); code != domain.FailureCircuitOpen {
		t.Fatalf("similarweb failed with %s, want circuit_open", code)
	}
	if after := h.fx.TotalRequests(domain.ProviderSimilarWeb); after != before {
		t.Fatalf("an open circuit still called similarweb (%d → %d requests)", before, after)
	}
}

func TestRateLimiterHoldsCallsBack(t *testing.T) {
	t.Parallel()
	res := defaultResilience()
	res.AttemptTimeout, res.MaxAttempts = 5*time.Second, 1
	// One call now, the next in about a day: the second fetch must wait for a
	// token, and gives up when the fetch's deadline would pass first.
	h := newHarness(t, harnessOpts{resilience: res, fetchTimeout: 10 * time.Second, limits: map[domain.Provider]providerset.Limit{
		domain.ProviderYahooFinance: {Rate: 1.0 / 86400, Burst: 1},
	}})
	first := h.waitJob(h.enrich("costco.com", false, domain.ProviderYahooFinance).JobID)
	if first.Status() != domain.JobCompleted {
		t.Fatalf("first job %s", first.Status())
	}
	before := h.fx.TotalRequests(domain.ProviderYahooFinance)
	second := h.waitJob(h.enrich("nike.com", false, domain.ProviderYahooFinance).JobID)
	if code := failureCode(t, second, domain.ProviderYahooFinance); code != domain.FailureRateLimited {
		t.Fatalf("second fetch failed with %s, want rate_limited", code)
	}
	if after := h.fx.TotalRequests(domain.ProviderYahooFinance); after != before {
		t.Fatalf("the limiter let a call through (%d → %d requests)", before, after)
	}
}

func TestRetrySucceedsAfterTransientFailure(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	job := h.waitJob(h.enrich(fixtures.DomainFlaky, false, domain.ProviderBuiltWith).JobID)
	o := outcome(t, job, domain.ProviderBuiltWith)
	if o.Fetched == nil {
		t.Fatalf("builtwith failed: %+v", o.Failed)
	}
	if o.Fetched.Attempts != 2 {
		t.Fatalf("fetched after %d attempts, want 2 (a 500, then success)", o.Fetched.Attempts)
	}
}

func TestRetriesExhausted(t *testing.T) {
	t.Parallel()
	res := defaultResilience()
	res.MaxAttempts, res.MaxDelay = 2, 2*time.Second // Retry-After: 1 is honoured
	h := newHarness(t, harnessOpts{resilience: res})
	job := h.waitJob(h.enrich(fixtures.DomainRateLimited, false, domain.ProviderBuiltWith).JobID)
	o := outcome(t, job, domain.ProviderBuiltWith)
	if o.Failed == nil || o.Failed.Code != domain.FailureRateLimited || o.Failed.Attempts != 2 || o.Failed.HTTPStatus != 429 {
		t.Fatalf("outcome %+v, want rate_limited after 2 attempts with status 429", o.Failed)
	}
	if o.Failed.RetryAfterMS != 1000 {
		t.Errorf("retry_after_ms %d, want 1000 from Retry-After: 1", o.Failed.RetryAfterMS)
	}
}

func TestConcurrentRequestsShareOneJob(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	const reps = 50
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		jobs = map[uuid.UUID]int{}
		errs []error
	)
	start := make(chan struct{})
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			acc, err := h.request.Handle(context.Background(), commands.RequestEnrichment{
				Domain: domain.MustParseDomain("wayfair.com"), Add: true, RequestedBy: fmt.Sprintf("rep%02d@example.com", i),
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			jobs[acc.JobID]++
		}()
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d requests failed, first: %v", len(errs), errs[0])
	}
	if len(jobs) != 1 {
		t.Fatalf("%d concurrent requests made %d jobs, want 1", reps, len(jobs))
	}
	var id uuid.UUID
	for id = range jobs {
	}
	h.waitJob(id)
	if n := count(h.types(domain.TargetStream(domain.MustParseDomain("wayfair.com"))), domain.TypeEnrichmentJobOpened); n != 1 {
		t.Fatalf("target stream has %d opened jobs", n)
	}
}

func TestFreshTargetIsNotFetchedAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	first := h.enrich("ulta.com", false)
	h.waitJob(first.JobID)
	calls := func() int {
		n := 0
		for _, p := range domain.AllProviders {
			n += h.fx.Requests(p, "ulta.com")
		}
		return n
	}
	before := calls()
	again := h.enrich("ulta.com", false)
	if again.Reused != domain.ReusedFresh || again.JobID != first.JobID {
		t.Fatalf("second request %+v, want the fresh job %s", again, first.JobID)
	}
	if calls() != before {
		t.Fatal("a fresh target was fetched again")
	}
	forced := h.enrich("ulta.com", true)
	if forced.Reused != domain.NewJob || forced.JobID == first.JobID {
		t.Fatalf("forced request %+v, want a new job", forced)
	}
	h.waitJob(forced.JobID)
	if calls() == before {
		t.Fatal("a forced request fetched nothing")
	}
}

func TestPerRequesterLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{noRun: true}) // jobs stay in flight
	for i := range 5 {
		if _, err := h.request.Handle(context.Background(), commands.RequestEnrichment{
			Domain: domain.MustParseDomain(fmt.Sprintf("shop%d.example.com", i)), Add: true, RequestedBy: "busy@example.com",
		}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := h.request.Handle(context.Background(), commands.RequestEnrichment{
		Domain: domain.MustParseDomain("shop9.example.com"), Add: true, RequestedBy: "busy@example.com",
	})
	if !errors.Is(err, domain.ErrTooManyJobs) {
		t.Fatalf("sixth job: %v, want ErrTooManyJobs", err)
	}
	if _, err := h.request.Handle(context.Background(), commands.RequestEnrichment{
		Domain: domain.MustParseDomain("shop9.example.com"), Add: true, RequestedBy: "other@example.com",
	}); err != nil {
		t.Fatalf("another requester was refused: %v", err)
	}
}

func TestQuotaExhaustedSurvivesRestart(t *testing.T) {
	t.Parallel()
	quota := map[domain.Provider]int{domain.ProviderSimilarWeb: 1}
	first := newHarness(t, harnessOpts{quota: quota})
	job := first.waitJob(first.enrich("chewy.com", false, domain.ProviderSimilarWeb).JobID)
	if job.Status() != domain.JobCompleted {
		t.Fatalf("first job %s", job.Status())
	}
	first.stop()

	// A new process over the same database and provider servers.
	second := newHarness(t, harnessOpts{quota: quota, db: first.db, fx: first.fx})
	before := second.fx.TotalRequests(domain.ProviderSimilarWeb)
	job = second.waitJob(second.enrich("macys.com", false, domain.ProviderSimilarWeb).JobID)
	if code := failureCode(t, job, domain.ProviderSimilarWeb); code != domain.FailureQuotaExhausted {
		t.Fatalf("after a restart similarweb failed with %s, want quota_exhausted", code)
	}
	if after := second.fx.TotalRequests(domain.ProviderSimilarWeb); after != before {
		t.Fatalf("an exhausted quota still called similarweb (%d → %d)", before, after)
	}
}

// With synthesizing fixtures (as `make run` serves them) any listed target
// enriches: a made-up private company has a stack and traffic but no ticker.
func TestDemoTargetsEnrichAgainstSynthesizingFixtures(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{synthesize: true})
	job := h.waitJob(h.enrich("northwind-outfitters.com", false).JobID)
	if job.Status() != domain.JobPartial {
		t.Fatalf("status %s, want partial (no ticker for a private company)", job.Status())
	}
	tech := outcome(t, job, domain.ProviderBuiltWith).Fetched
	traffic := outcome(t, job, domain.ProviderSimilarWeb).Fetched
	if tech == nil || len(tech.Data.Tech.PartnerTech) == 0 || traffic == nil || traffic.Data.Traffic.MonthlyVisits == 0 {
		t.Fatalf("tech %+v, traffic %+v", tech, traffic)
	}
	if code := failureCode(t, job, domain.ProviderYahooFinance); code != domain.FailureNoTicker {
		t.Fatalf("yahoo failed with %s, want no_ticker", code)
	}
	if unknown := h.waitJob(h.enrich("unknown.example.com", false).JobID); unknown.Status() != domain.JobFailed {
		t.Fatalf("a domain the providers do not know ended %s", unknown.Status())
	}
}

// Every event of a job, from the request through the provider outcomes to
// the score, carries the job's id as its correlation id, names who appended
// it, and names its cause: the HTTP request for the request's events, the
// request event for the outcomes, the outcome for the job's end.
func TestJobEventsShareOneCorrelationID(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	acc, err := h.request.Handle(context.Background(), commands.RequestEnrichment{
		Domain: domain.MustParseDomain("patagonia.com"), Add: true, RequestedBy: "rep@example.com",
		Metadata: domain.Metadata{RequestID: "req-7", CorrelationID: "req-7"},
	})
	if err != nil {
		t.Fatal(err)
	}
	job := h.waitJob(acc.JobID)
	want := acc.JobID.String()
	var events []domain.RecordedEvent
	events = append(events, h.stream(domain.JobStream(acc.JobID))...)
	for _, re := range h.stream(domain.TargetStream(job.Domain())) {
		var of struct {
			JobID uuid.UUID `json:"job_id"`
		}
		if err := json.Unmarshal(re.Data, &of); err != nil {
			t.Fatal(err)
		}
		if of.JobID == acc.JobID {
			events = append(events, re)
		}
	}
	if len(events) < 6 {
		t.Fatalf("%d events of the job, want its request, outcomes, end and the target's side", len(events))
	}
	for _, re := range events {
		m := re.Metadata
		if m.CorrelationID != want || m.Actor == "" || m.CausationID == "" {
			t.Errorf("%s on %s: metadata %+v, want correlation %s, an actor and a cause", re.Type, re.StreamID, m, want)
		}
		switch re.Type {
		case domain.TypeEnrichmentRequested, domain.TypeEnrichmentJobOpened:
			if m.CausationID != "request:req-7" || m.RequestID != "req-7" {
				t.Errorf("%s caused by %q (request %q), want the HTTP request", re.Type, m.CausationID, m.RequestID)
			}
		case domain.TypeProviderFetched, domain.TypeProviderFailed:
			if m.CausationID != domain.RequestEventID(acc.JobID).String() {
				t.Errorf("%s caused by %q, want the request event %s", re.Type, m.CausationID, domain.RequestEventID(acc.JobID))
			}
		}
	}
	if events[0].Type != domain.TypeEnrichmentRequested || events[0].ID != domain.RequestEventID(acc.JobID) {
		t.Errorf("the job's first event %s %s, want EnrichmentRequested %s", events[0].Type, events[0].ID, domain.RequestEventID(acc.JobID))
	}
}
