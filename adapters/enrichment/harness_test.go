package enrichment

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/partnerforge/partnerforge/adapters/messaging"
	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/adapters/providers/builtwith"
	"github.com/partnerforge/partnerforge/adapters/providers/fixtures"
	"github.com/partnerforge/partnerforge/adapters/providers/providerset"
	"github.com/partnerforge/partnerforge/adapters/providers/similarweb"
	"github.com/partnerforge/partnerforge/adapters/providers/yahoo"
	"github.com/partnerforge/partnerforge/adapters/wakeup"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

// harness runs the whole pipeline — real PostgreSQL (a database of its own),
// real fixture provider servers over loopback HTTP, real watermill
// subscribers — the way serve wires it.
type harness struct {
	t        testing.TB
	db       *pgtest.Database
	store    *postgres.EventStore
	queue    *postgres.WorkQueue
	fx       *fixtures.Servers
	pipeline *Pipeline
	request  *commands.RequestEnrichmentHandler
	stop     func()
	// providerMetrics is this instance's provider series.
	providerMetrics *prometheus.Registry
}

type harnessOpts struct {
	resilience providers.Config
	limits     map[domain.Provider]providerset.Limit
	quota      map[domain.Provider]int
	// noRun builds the pipeline without starting workers and handlers.
	noRun bool
	// slowPathOnly leaves new jobs to the dispatcher's subscription alone.
	slowPathOnly bool
	// synthesize makes the fixture providers answer for any domain.
	synthesize bool
	// poll is the subscribers' and workers' poll interval (default 10 ms; a
	// negative value takes the production default).
	poll time.Duration
	// lease is the task lease (default 30 s).
	lease time.Duration
	// fetchTimeout bounds a fetch (default: the pipeline's).
	fetchTimeout time.Duration
	// workers is the instance's concurrent fetches (default: the pipeline's).
	workers int
	// ownPool gives the instance a pool of its own on db, as another process
	// would have.
	ownPool bool
	// budget, when set, keeps the call rates of limits where every
	// instance spends them.
	budget providers.CallBudget
	// wake wakes workers and subscribers with LISTEN/NOTIFY, as serve
	// does by default; they then rest between wake-ups, polling every
	// rest (default messaging.DefaultRest).
	wake bool
	rest time.Duration
	// db reuses a database (a restart); nil creates one.
	db *pgtest.Database
	fx *fixtures.Servers
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func defaultResilience() providers.Config {
	return providers.Config{
		AttemptTimeout: 2 * time.Second, MaxAttempts: 3,
		BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond, MaxJitter: 5 * time.Millisecond,
		BreakerFailures: 5, BreakerRecovery: time.Minute,
	}
}

func newHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, db: o.db, fx: o.fx}
	if h.db == nil {
		h.db = pgtest.NewDB(t)
	}
	if h.fx == nil {
		fx, err := fixtures.Start(context.Background(), fixtures.Options{Synthesize: o.synthesize}) // outlives a harness restart
		if err != nil {
			t.Fatal(err)
		}
		h.fx = fx
		t.Cleanup(fx.Close)
	}
	switch {
	case o.poll == 0:
		o.poll = 10 * time.Millisecond
	case o.poll < 0:
		o.poll = 0
	}
	if o.lease == 0 {
		o.lease = 30 * time.Second
	}
	if o.resilience.MaxAttempts == 0 {
		o.resilience = defaultResilience()
	}
	pool := h.db.Pool
	if o.ownPool {
		var err error
		if pool, err = pgxpool.New(context.Background(), h.db.URL); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
	}
	h.providerMetrics = prometheus.NewRegistry()
	pm, err := providers.NewMetrics(h.providerMetrics)
	if err != nil {
		t.Fatal(err)
	}
	var quota providers.Quota
	if o.quota != nil {
		quota = postgres.NewQuota(pool, o.quota, time.Now)
	}
	fetchers, err := providerset.New(providerset.Config{
		BuiltWith:  builtwith.Config{BaseURL: h.fx.BuiltWith.URL, APIKey: "fixture-key"},
		SimilarWeb: similarweb.Config{BaseURL: h.fx.SimilarWeb.URL, APIKey: "fixture-key"},
		Yahoo:      yahoo.Config{BaseURL: h.fx.Yahoo.URL, CookieURL: fixtures.YahooCookiePath},
		Resilience: o.resilience, Limits: o.limits, Budget: o.budget, Quota: quota, Metrics: pm, Logger: quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.store = postgres.NewEventStore(pool)
	h.queue = postgres.NewWorkQueue(pool)
	var wake Waker
	if o.wake {
		w, err := wakeup.New(pool, wakeup.Config{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		h.store.OnAppend(w.Appended)
		h.queue.OnEnqueue(w.Work)
		wake = w
		wctx, wcancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = w.Run(wctx); close(done) }()
		t.Cleanup(func() { wcancel(); <-done })
	}
	metrics, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	h.pipeline, err = New(Deps{
		Pool: pool, Store: h.store, Queue: h.queue, Jobs: commands.NewJobHandler(time.Now),
		Fetchers: fetchers, Metrics: metrics, Logger: quiet, Now: time.Now, Wake: wake,
	}, Config{PollInterval: o.poll, Rest: o.rest, Workers: o.workers, // default workers, as in production
		Lease: o.lease, FetchTimeout: o.fetchTimeout, SweepInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	h.request = commands.NewRequestEnrichmentHandler(h.store, domain.DefaultEnrichmentPolicy, 5, time.Now)
	if !o.noRun && !o.slowPathOnly {
		h.request.Observe(h.pipeline)
	}

	var wg sync.WaitGroup
	h.stop = func() { cancel(); wg.Wait() }
	t.Cleanup(h.stop)
	if o.noRun {
		return h
	}
	wlog := watermill.NewSlogLogger(quiet)
	router, err := messaging.NewRouter(pool, wlog)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.pipeline.AddHandlers(router, wlog); err != nil {
		t.Fatal(err)
	}
	wg.Add(2)
	go func() { defer wg.Done(); _ = router.Run(ctx) }()
	go func() { defer wg.Done(); _ = h.pipeline.Run(ctx) }()
	return h
}

// enrich requests a job as rep and returns its id.
func (h *harness) enrich(d string, force bool, providersList ...domain.Provider) commands.EnrichmentAccepted {
	h.t.Helper()
	acc, err := h.request.Handle(context.Background(), commands.RequestEnrichment{
		// The harness's domains are not imported: each request adds its
		// domain as a target (a no-op once it is one).
		Domain: domain.MustParseDomain(d), Force: force, Providers: providersList, Add: true, RequestedBy: "rep@example.com",
	})
	if err != nil {
		h.t.Fatalf("request enrichment of %s: %v", d, err)
	}
	return acc
}

// waitJob polls the job stream every 25 ms until the job has ended and
// returns it.
func (h *harness) waitJob(id uuid.UUID) *domain.Job {
	h.t.Helper()
	return h.waitJobEvery(id, 25*time.Millisecond)
}

// waitJobEvery polls the job stream every period until the job has ended.
func (h *harness) waitJobEvery(id uuid.UUID, period time.Duration) *domain.Job {
	h.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		evs, err := h.store.ReadStream(context.Background(), domain.JobStream(id), 0, 1000)
		if err != nil {
			h.t.Fatal(err)
		}
		job, err := domain.LoadJob(evs)
		if err != nil && !errors.Is(err, domain.ErrNoJob) {
			h.t.Fatal(err)
		}
		if job != nil && job.Status().Finished() {
			return job
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("job %s did not end; last status %v", id, job)
		}
		time.Sleep(period)
	}
}

func (h *harness) stream(name string) []domain.RecordedEvent {
	h.t.Helper()
	evs, err := h.store.ReadStream(context.Background(), name, 0, 10000)
	if err != nil {
		h.t.Fatal(err)
	}
	return evs
}

func (h *harness) types(name string) []string {
	var out []string
	for _, e := range h.stream(name) {
		out = append(out, e.Type)
	}
	return out
}

func count(types []string, t string) int {
	n := 0
	for _, x := range types {
		if x == t {
			n++
		}
	}
	return n
}
