package enrichment

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/partnerforge/partnerforge/adapters/messaging"
	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections"
)

func totalEvents(t *testing.T, h *harness) int {
	t.Helper()
	var n int
	if err := h.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM events").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Every message delivered a second time — through fresh consumer groups that
// replay the whole log to the same handlers — appends nothing.
func TestRedeliveryAppendsNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	jobs := []*domain.Job{
		h.waitJob(h.enrich("costco.com", false).JobID),
		h.waitJob(h.enrich("patagonia.com", false).JobID),
		h.waitJob(h.enrich("quota-403.example.com", false).JobID),
	}
	before := totalEvents(t, h)
	relevant := 0
	for _, j := range jobs {
		relevant += 1 + len(j.Request().Providers) // one request, one outcome per provider
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wlog := watermill.NewSlogLogger(quiet)
	router, err := messaging.NewRouter(h.db.Pool, wlog)
	if err != nil {
		t.Fatal(err)
	}
	var handled atomic.Int64
	sc := messaging.SubscriberConfig{PollInterval: 10 * time.Millisecond}
	for _, hd := range h.pipeline.handlers() {
		hd.Name += "_replay"
		hd.Observe = func(string, time.Duration) { handled.Add(1) }
		if err := messaging.AddHandler(router, h.db.Pool, hd, sc, wlog); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = router.Run(ctx) }()
	deadline := time.Now().Add(60 * time.Second)
	for handled.Load() < int64(relevant) {
		if time.Now().After(deadline) {
			t.Fatalf("replay handled %d of %d messages", handled.Load(), relevant)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Outcomes recorded a second time, as a refetch after a crash would.
	for _, j := range jobs {
		for _, p := range j.Request().Providers {
			o, _ := j.Outcome(p)
			if err := h.pipeline.deps.Jobs.RecordOutcome(ctx, h.store, o, domain.Metadata{}); err != nil {
				t.Fatalf("re-record %s: %v", p, err)
			}
		}
	}
	cancel()
	<-done

	if after := totalEvents(t, h); after != before {
		t.Fatalf("redelivery appended %d events", after-before)
	}
	if q, _, err := h.queue.Depth(context.Background()); err != nil || q != 0 {
		t.Fatalf("redelivery re-queued %d tasks (%v)", q, err)
	}
}

// A dispatcher that read a job while it was still open, and enqueues only
// after the fast path has fetched, ended it and dropped its work, must not
// bring the work back: that would call every provider a second time.
func TestStaleDispatchAddsNoWork(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	job := h.waitJob(h.enrich("costco.com", false).JobID)
	if !job.Status().Finished() {
		t.Fatalf("job %s", job.Status())
	}
	ctx := context.Background()
	// The job's end is stored before its work is dropped: wait for both.
	deadline := time.Now().Add(30 * time.Second)
	for {
		queued, err := h.queue.Queued(ctx, job.ID())
		if err != nil {
			t.Fatal(err)
		}
		if !queued {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the ended job's work was never dropped")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// What the dispatcher saw before the job moved on: the request alone.
	if err := h.queue.Enqueue(ctx, job.Request(), job.Request().Providers, openedJobVersion); err != nil {
		t.Fatal(err)
	}
	if queued, err := h.queue.Queued(ctx, job.ID()); err != nil || queued {
		t.Fatalf("a stale enqueue re-created the work of an ended job (queued %v, %v)", queued, err)
	}
	if q, _, err := h.queue.Depth(ctx); err != nil || q != 0 {
		t.Fatalf("%d tasks queued for an ended job (%v)", q, err)
	}
}

// A worker dies after leasing its tasks — one of them after it had already
// recorded the outcome. A restarted instance takes the tasks over once their
// leases run out and completes the job with one outcome per provider.
func TestJobResumesAfterWorkerDied(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	crashed := newHarness(t, harnessOpts{noRun: true})
	acc := crashed.enrich("homedepot.com", false)

	// The dispatcher of the crashed instance ran...
	requested := crashed.stream(domain.JobStream(acc.JobID))[0]
	if err := crashed.pipeline.handlers()[0].Handle(ctx, requested); err != nil {
		t.Fatal(err)
	}
	// ...its workers leased every task and died; one had recorded its outcome.
	tasks, err := crashed.queue.Claim(ctx, 10, 200*time.Millisecond)
	if err != nil || len(tasks) != 3 {
		t.Fatalf("claimed %d tasks (%v), want 3", len(tasks), err)
	}
	var bw postgres.FetchTask
	for _, tk := range tasks {
		if tk.Provider == domain.ProviderBuiltWith {
			bw = tk
		}
	}
	o := fetchOutcome(ctx, crashed.pipeline.deps.Fetchers[domain.ProviderBuiltWith], bw)
	if err := crashed.pipeline.deps.Jobs.RecordOutcome(ctx, crashed.store, o, domain.Metadata{}); err != nil {
		t.Fatal(err)
	}
	crashed.stop()

	restarted := newHarness(t, harnessOpts{db: crashed.db, fx: crashed.fx})
	job := restarted.waitJob(acc.JobID)
	if job.Status() != domain.JobCompleted {
		for _, p := range domain.AllProviders {
			if o, _ := job.Outcome(p); o.Failed != nil {
				t.Logf("%s failed: %+v", p, *o.Failed)
			}
		}
		t.Fatalf("resumed job ended %s", job.Status())
	}
	types := restarted.types(domain.JobStream(acc.JobID))
	if n := count(types, domain.TypeProviderFetched); n != 3 {
		t.Fatalf("job stream %v: want exactly one outcome per provider", types)
	}
	if n := count(types, domain.TypeEnrichmentCompleted); n != 1 {
		t.Fatalf("job stream %v: want one completion", types)
	}
}

// A job nobody finishes fails as expired once its lifetime is over.
func TestExpiredJobFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, harnessOpts{noRun: true})
	acc := h.enrich("target.com", false)
	requested := h.stream(domain.JobStream(acc.JobID))[0]
	if err := h.pipeline.handlers()[0].Handle(ctx, requested); err != nil {
		t.Fatal(err)
	}
	// A day later.
	h.pipeline.deps.Now = func() time.Time { return time.Now().Add(25 * time.Hour) }
	h.pipeline.deps.Jobs = commands.NewJobHandler(h.pipeline.deps.Now)
	if err := h.pipeline.SweepOnce(ctx); err != nil {
		t.Fatal(err)
	}
	job := h.waitJob(acc.JobID)
	if job.Status() != domain.JobFailed {
		t.Fatalf("status %s, want failed", job.Status())
	}
	evs := h.stream(domain.JobStream(acc.JobID))
	last, _ := domain.Decode(evs[len(evs)-1])
	if f, ok := last.(domain.EnrichmentFailed); !ok || f.Reason != domain.FailureExpired {
		t.Fatalf("last event %#v, want EnrichmentFailed{expired}", last)
	}
	if q, _, _ := h.queue.Depth(ctx); q != 0 {
		t.Fatalf("%d tasks left for an expired job", q)
	}
	// The target can be enriched again.
	if again := h.enrich("target.com", false); again.Reused != domain.NewJob {
		t.Fatalf("request after expiry reused %s", again.Reused)
	}
}

// A job whose dispatch never ran (its message poisoned) has no work row for
// the sweeper to find; it must still end as expired once its lifetime is
// over, and a job still within its lifetime must be left alone.
func TestJobWithoutWorkExpires(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, harnessOpts{noRun: true})
	overdue := h.enrich("target.com", false).JobID
	runner, err := projections.NewRunner(h.db.Pool, projections.Config{Logger: quiet}, projections.All()...)
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if queued, err := h.queue.Queued(ctx, overdue); err != nil || queued {
		t.Fatalf("the undispatched job has work (queued %v, %v)", queued, err)
	}

	tests := []struct {
		name  string
		later time.Duration
		want  domain.JobStatus
	}{
		{"within its lifetime", time.Hour, domain.JobPending},
		{"past its lifetime", 25 * time.Hour, domain.JobFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.pipeline.deps.Now = func() time.Time { return time.Now().Add(tt.later) }
			h.pipeline.deps.Jobs = commands.NewJobHandler(h.pipeline.deps.Now)
			if err := h.pipeline.SweepOnce(ctx); err != nil {
				t.Fatal(err)
			}
			job, err := domain.LoadJob(h.stream(domain.JobStream(overdue)))
			if err != nil {
				t.Fatal(err)
			}
			if job.Status() != tt.want {
				t.Fatalf("status %s, want %s", job.Status(), tt.want)
			}
		})
	}
	evs := h.stream(domain.JobStream(overdue))
	last, _ := domain.Decode(evs[len(evs)-1])
	if f, ok := last.(domain.EnrichmentFailed); !ok || f.Reason != domain.FailureExpired {
		t.Fatalf("last event %#v, want EnrichmentFailed{expired}", last)
	}
}
