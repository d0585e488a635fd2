package commands_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/memstore"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

// These decision tests run the enrichment commands on the in-memory store:
// given the events a target has, when a request or a job's outcomes come in,
// then these events (or this error) follow. No database, no providers.

var (
	costcoTech = domain.ProviderData{Tech: &domain.TechStack{
		Technologies: []string{"Adobe Commerce", "Coveo"}, SearchVendor: "Coveo", PartnerTech: []string{"Adobe Commerce"}, Source: "builtwith",
	}}
	costcoTraffic = domain.ProviderData{Traffic: &domain.Traffic{
		MonthlyVisits: 180_000_000, BounceRate: 0.32, PagesPerVisit: 7.1, AvgDurationSeconds: 410,
		SearchTrafficShare: 0.28, GlobalRank: 240, TrafficGrowth: 0.04,
	}}
	costcoFinancials = domain.ProviderData{Financials: &domain.Financials{
		Ticker: "COST", Revenue: 254e9, GrossMargin: 0.126, Currency: "USD",
	}}
	costcoData = map[domain.Provider]domain.ProviderData{
		domain.ProviderBuiltWith: costcoTech, domain.ProviderSimilarWeb: costcoTraffic, domain.ProviderYahooFinance: costcoFinancials,
	}
)

// world is one in-memory event log with the enrichment commands over it and
// a clock the test moves.
type world struct {
	t       *testing.T
	store   *memstore.Store
	now     time.Time
	request *commands.RequestEnrichmentHandler
	jobs    *commands.JobHandler
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return w.now }
	w.store = memstore.New(clock)
	w.request = commands.NewRequestEnrichmentHandler(w.store, domain.DefaultEnrichmentPolicy, 5, clock)
	w.jobs = commands.NewJobHandler(clock)
	return w
}

// importTarget appends a TargetImported for d with a profile that knows the
// legacy search vendor, traffic and revenue.
func (w *world) importTarget(d string) domain.TargetProfile {
	w.t.Helper()
	visits, revenue, margin := int64(150_000_000), 240e9, 0.12
	p := domain.TargetProfile{
		Domain: d, CompanyName: "Costco", Vertical: "Retail", Country: "US", PartnerTech: "Adobe Commerce",
		CurrentSearch: "Solr", SWMonthlyVisits: &visits, Revenue: &revenue, GrossMargin: &margin, EnrichmentLevel: "full",
	}
	ev, err := domain.Encode(domain.TargetImported{Domain: domain.MustParseDomain(d), BatchID: uuid.New(), Profile: p}, domain.Metadata{Actor: "import"})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.store.Append(context.Background(), domain.TargetStream(domain.MustParseDomain(d)), domain.AnyVersion, ev); err != nil {
		w.t.Fatal(err)
	}
	return p
}

func (w *world) ask(cmd commands.RequestEnrichment) (commands.EnrichmentAccepted, error) {
	if cmd.RequestedBy == "" {
		cmd.RequestedBy = "rep@example.com"
	}
	return w.request.Handle(context.Background(), cmd)
}

// run opens a job for d asking for providers (nil: the default), lets each
// requested provider answer with data, or fail where failed names a code,
// and ends the job. It returns the job.
func (w *world) run(d string, force bool, providers []domain.Provider, failed map[domain.Provider]domain.FailureCode) *domain.Job {
	w.t.Helper()
	acc, err := w.ask(commands.RequestEnrichment{Domain: domain.MustParseDomain(d), Force: force, Providers: providers})
	if err != nil {
		w.t.Fatalf("request %s: %v", d, err)
	}
	if acc.Reused != domain.NewJob {
		w.t.Fatalf("request %s reused job %s (%s), want a new one", d, acc.JobID, acc.Reused)
	}
	job := w.job(acc.JobID)
	dom := domain.MustParseDomain(d)
	for _, p := range job.Request().Providers {
		w.now = w.now.Add(time.Second)
		var o domain.ProviderOutcome
		if code, ok := failed[p]; ok {
			o.Failed = &domain.ProviderFailed{JobID: job.ID(), Domain: dom, Provider: p, Code: code, Attempts: 3, Message: "refused"}
		} else {
			o.Fetched = &domain.ProviderFetched{JobID: job.ID(), Domain: dom, Provider: p, Data: costcoData[p], Attempts: 1, HTTPStatus: 200}
		}
		if err := w.jobs.RecordOutcome(context.Background(), w.store, o, domain.Metadata{}); err != nil {
			w.t.Fatal(err)
		}
	}
	if _, err := w.jobs.FinishJob(context.Background(), w.store, job.ID(), domain.Metadata{}); err != nil {
		w.t.Fatal(err)
	}
	return w.job(acc.JobID)
}

func (w *world) job(id uuid.UUID) *domain.Job {
	w.t.Helper()
	evs, err := w.store.ReadStream(context.Background(), domain.JobStream(id), 0, 1000)
	if err != nil {
		w.t.Fatal(err)
	}
	j, err := domain.LoadJob(evs)
	if err != nil {
		w.t.Fatal(err)
	}
	return j
}

// lastScore is the newest ScoreComputed on d's stream.
func (w *world) lastScore(d string) (domain.ScoreComputed, bool) {
	w.t.Helper()
	evs, err := w.store.ReadStream(context.Background(), domain.TargetStream(domain.MustParseDomain(d)), 0, 10_000)
	if err != nil {
		w.t.Fatal(err)
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == domain.TypeScoreComputed {
			e, err := domain.Decode(evs[i])
			if err != nil {
				w.t.Fatal(err)
			}
			return e.(domain.ScoreComputed), true
		}
	}
	return domain.ScoreComputed{}, false
}

func (w *world) types(stream string) []string {
	w.t.Helper()
	evs, err := w.store.ReadStream(context.Background(), stream, 0, 10_000)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func TestPartialRefreshKeepsWhatIsKnown(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.importTarget("costco.com")
	full := w.run("costco.com", false, nil, nil)
	before, _ := w.lastScore("costco.com")
	if before.Score.TierName != "Hot" || before.Level() != domain.LevelFull {
		t.Fatalf("full refresh scored %d %s from %v, want Hot and full", before.Score.Value, before.Score.TierName, before.Sources)
	}

	// The docs' example: a forced SimilarWeb-only refresh, same figures.
	w.now = w.now.Add(time.Hour)
	partial := w.run("costco.com", true, []domain.Provider{domain.ProviderSimilarWeb}, nil)
	after, _ := w.lastScore("costco.com")
	if after.Score.Value != before.Score.Value || after.Score.TierName != before.Score.TierName {
		t.Fatalf("SimilarWeb-only refresh took the score from %d %s to %d %s", before.Score.Value, before.Score.TierName, after.Score.Value, after.Score.TierName)
	}
	if got := after.Level(); got != domain.LevelFull {
		t.Errorf("level after a partial refresh %s, want full", got)
	}
	for _, f := range after.Score.Breakdown {
		if f.Factor == domain.FactorDisplacement && !strings.Contains(f.Detail, "Coveo") {
			t.Errorf("displacement scored %q, want the vendor BuiltWith found (Coveo), not the import's Solr", f.Detail)
		}
	}
	// Each group names the event it is from, the job that fetched it and
	// its age.
	wantFrom := map[domain.InputGroup]uuid.UUID{
		domain.GroupTech: full.ID(), domain.GroupTraffic: partial.ID(), domain.GroupFinancials: full.ID(),
	}
	for g, job := range wantFrom {
		src := after.Sources[g]
		if src.JobID != job || src.EventID == uuid.Nil || src.Source != string(g.Provider()) {
			t.Errorf("%s source %+v, want provider %s of job %s", g, src, g.Provider(), job)
		}
	}
	if age := after.Sources[domain.GroupTech].AgeSeconds; age < 3600 {
		t.Errorf("tech data age %d s, want at least the hour between the jobs", age)
	}
	if age := after.Sources[domain.GroupTraffic].AgeSeconds; age > 60 {
		t.Errorf("traffic data age %d s, want this job's fetch", age)
	}
}

// For any sequence of full and partial refreshes with unchanged provider
// data — some providers left out, some failing for a while — the score after
// each job equals the score of a full refresh.
func TestScoreOfAnyRefreshSequenceEqualsFullRefresh(t *testing.T) {
	t.Parallel()
	transient := []domain.FailureCode{domain.FailureTimeout, domain.FailureRateLimited, domain.FailureUpstreamError, domain.FailureCircuitOpen}
	for seed := range uint64(200) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 7))
			w := newWorld(t)
			w.importTarget("costco.com")
			w.run("costco.com", false, nil, nil)
			want, _ := w.lastScore("costco.com")
			for step := range 1 + rng.IntN(8) {
				w.now = w.now.Add(time.Duration(1+rng.IntN(72)) * time.Hour)
				var asked []domain.Provider
				for _, p := range domain.AllProviders {
					if rng.IntN(2) == 0 {
						asked = append(asked, p)
					}
				}
				if len(asked) == 0 {
					asked = []domain.Provider{domain.AllProviders[rng.IntN(3)]}
				}
				failed := map[domain.Provider]domain.FailureCode{}
				for _, p := range asked[:len(asked)-1] { // at least one answers
					if rng.IntN(3) == 0 {
						failed[p] = transient[rng.IntN(len(transient))]
					}
				}
				job := w.run("costco.com", true, asked, failed)
				got, _ := w.lastScore("costco.com")
				if got.JobID != job.ID() {
					t.Fatalf("step %d: job %s (%s) was not scored", step, job.ID(), job.Status())
				}
				if got.Score.Value != want.Score.Value || fmt.Sprint(got.Score.Breakdown) != fmt.Sprint(want.Score.Breakdown) {
					t.Fatalf("step %d asked %v failed %v: score %d %v, want %d %v", step, asked, failed,
						got.Score.Value, got.Score.Breakdown, want.Score.Value, want.Score.Breakdown)
				}
				if lvl := got.Level(); lvl != domain.LevelFull {
					t.Fatalf("step %d: level %s, want full", step, lvl)
				}
			}
		})
	}
}

func TestOnlyTargetsAreEnriched(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	typo := domain.MustParseDomain("costcoo.com")
	_, err := w.ask(commands.RequestEnrichment{Domain: typo})
	if !errors.Is(err, domain.ErrNotATarget) {
		t.Fatalf("enriching a domain that is not a target: %v, want ErrNotATarget", err)
	}
	if types := w.types(domain.TargetStream(typo)); len(types) != 0 {
		t.Fatalf("a refused request appended %v", types)
	}

	acc, err := w.ask(commands.RequestEnrichment{Domain: typo, Add: true})
	if err != nil || acc.Reused != domain.NewJob {
		t.Fatalf("add: %+v, %v", acc, err)
	}
	want := []string{domain.TypeTargetAdded, domain.TypeEnrichmentJobOpened}
	if got := w.types(domain.TargetStream(typo)); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("target stream %v, want %v", got, want)
	}
	// Once added, it is a target: no add needed, and adding again adds
	// nothing.
	again, err := w.ask(commands.RequestEnrichment{Domain: typo, Add: true})
	if err != nil || again.Reused != domain.ReusedInFlight || again.JobID != acc.JobID {
		t.Fatalf("second request: %+v, %v; want the job in flight", again, err)
	}
	if got := w.types(domain.TargetStream(typo)); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("target stream %v after a second add, want %v", got, want)
	}
}

func TestFreshnessIsPerProvider(t *testing.T) {
	t.Parallel()
	day := domain.DefaultEnrichmentPolicy.FreshnessWindow
	tests := []struct {
		name string
		// given: one default job in which these providers failed, then
		// this much time passes
		failed  map[domain.Provider]domain.FailureCode
		elapsed time.Duration
		// when: a request for these providers (nil: the default)
		ask []domain.Provider
		// then: answered fresh, or a new job for these providers
		wantFresh     bool
		wantProviders []domain.Provider
	}{
		{name: "all fresh", elapsed: time.Hour, wantFresh: true},
		{name: "all stale", elapsed: day, wantProviders: domain.AllProviders},
		{name: "transient failure refetches only that provider", elapsed: time.Hour,
			failed:        map[domain.Provider]domain.FailureCode{domain.ProviderYahooFinance: domain.FailureTimeout},
			wantProviders: []domain.Provider{domain.ProviderYahooFinance}},
		{name: "no ticker is an answer", elapsed: time.Hour,
			failed:    map[domain.Provider]domain.FailureCode{domain.ProviderYahooFinance: domain.FailureNoTicker},
			wantFresh: true},
		{name: "asked-for fresh provider", elapsed: time.Hour, ask: []domain.Provider{domain.ProviderSimilarWeb}, wantFresh: true},
		{name: "asked-for providers are all fetched when one is stale", elapsed: time.Hour,
			failed:        map[domain.Provider]domain.FailureCode{domain.ProviderBuiltWith: domain.FailureRateLimited},
			ask:           []domain.Provider{domain.ProviderBuiltWith, domain.ProviderSimilarWeb},
			wantProviders: []domain.Provider{domain.ProviderBuiltWith, domain.ProviderSimilarWeb}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.importTarget("costco.com")
			first := w.run("costco.com", false, nil, tt.failed)
			w.now = w.now.Add(tt.elapsed)
			acc, err := w.ask(commands.RequestEnrichment{Domain: domain.MustParseDomain("costco.com"), Providers: tt.ask})
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantFresh {
				if acc.Reused != domain.ReusedFresh || acc.JobID != first.ID() {
					t.Fatalf("answer %+v, want fresh with job %s", acc, first.ID())
				}
				return
			}
			if acc.Reused != domain.NewJob {
				t.Fatalf("answer %+v, want a new job", acc)
			}
			if got := w.job(acc.JobID).Request().Providers; fmt.Sprint(got) != fmt.Sprint(tt.wantProviders) {
				t.Fatalf("new job fetches %v, want %v", got, tt.wantProviders)
			}
		})
	}
}

func TestTooManyJobsSaysTheLimit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for i := range 5 {
		d := fmt.Sprintf("shop%d.com", i)
		w.importTarget(d)
		if _, err := w.ask(commands.RequestEnrichment{Domain: domain.MustParseDomain(d)}); err != nil {
			t.Fatal(err)
		}
	}
	w.importTarget("shop5.com")
	_, err := w.ask(commands.RequestEnrichment{Domain: domain.MustParseDomain("shop5.com")})
	var tooMany *domain.TooManyJobsError
	if !errors.Is(err, domain.ErrTooManyJobs) || !errors.As(err, &tooMany) || tooMany.Open != 5 || tooMany.Limit != 5 {
		t.Fatalf("sixth job: %v, want 5 open of limit 5", err)
	}
}

// Given an imported target, when a job's providers answer so, then the job
// ends with this event, the target records these events, and ending it
// again appends nothing.
func TestJobEndings(t *testing.T) {
	t.Parallel()
	all := domain.AllProviders
	tests := []struct {
		name       string
		failed     map[domain.Provider]domain.FailureCode
		wantJob    string
		wantTarget []string
	}{
		{"every provider answers", nil, domain.TypeEnrichmentCompleted,
			[]string{domain.TypeTargetImported, domain.TypeEnrichmentJobOpened, domain.TypeScoreComputed, domain.TypeEnrichmentJobClosed}},
		{"one provider fails", map[domain.Provider]domain.FailureCode{domain.ProviderYahooFinance: domain.FailureTimeout}, domain.TypeEnrichmentPartial,
			[]string{domain.TypeTargetImported, domain.TypeEnrichmentJobOpened, domain.TypeScoreComputed, domain.TypeEnrichmentJobClosed}},
		{"every provider fails", map[domain.Provider]domain.FailureCode{
			domain.ProviderBuiltWith: domain.FailureTimeout, domain.ProviderSimilarWeb: domain.FailureQuotaExhausted, domain.ProviderYahooFinance: domain.FailureUpstreamError,
		}, domain.TypeEnrichmentFailed,
			[]string{domain.TypeTargetImported, domain.TypeEnrichmentJobOpened, domain.TypeEnrichmentJobClosed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.importTarget("costco.com")
			job := w.run("costco.com", true, all, tt.failed)
			jobTypes := w.types(domain.JobStream(job.ID()))
			if last := jobTypes[len(jobTypes)-1]; last != tt.wantJob {
				t.Errorf("job ended with %s, want %s (stream %v)", last, tt.wantJob, jobTypes)
			}
			target := domain.TargetStream(domain.MustParseDomain("costco.com"))
			if got := w.types(target); strings.Join(got, " ") != strings.Join(tt.wantTarget, " ") {
				t.Errorf("target stream %v, want %v", got, tt.wantTarget)
			}
			// Its requester slot is free again.
			if got := w.types(domain.RequesterStream("rep@example.com")); strings.Join(got, " ") != domain.TypeRequesterJobStarted+" "+domain.TypeRequesterJobEnded {
				t.Errorf("requester stream %v", got)
			}
			before, _ := w.store.ReadAll(context.Background(), 0, 1<<20)
			for _, end := range []func(context.Context, commands.EventStore, uuid.UUID, domain.Metadata) (commands.Finished, error){w.jobs.FinishJob, w.jobs.ExpireJob} {
				fin, err := end(context.Background(), w.store, job.ID(), domain.Metadata{})
				if err != nil || !fin.Done || fin.Status != job.Status() {
					t.Errorf("ending again: %+v, %v; want done with status %s", fin, err, job.Status())
				}
			}
			if after, _ := w.store.ReadAll(context.Background(), 0, 1<<20); len(after) != len(before) {
				t.Errorf("ending again appended %d events", len(after)-len(before))
			}
		})
	}
}

// Given a job whose providers never answered, when it is past its expiry,
// then it fails as expired and frees the requester's slot.
func TestExpiredJobFailsAndFreesTheSlot(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.importTarget("costco.com")
	acc, err := w.ask(commands.RequestEnrichment{Domain: domain.MustParseDomain("costco.com"), Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if fin, err := w.jobs.ExpireJob(context.Background(), w.store, acc.JobID, domain.Metadata{}); err != nil || fin.Done {
		t.Fatalf("expire before the expiry time: %+v, %v; want nothing done", fin, err)
	}
	w.now = w.now.Add(domain.DefaultEnrichmentPolicy.JobTTL + time.Minute)
	fin, err := w.jobs.ExpireJob(context.Background(), w.store, acc.JobID, domain.Metadata{})
	if err != nil || fin.Status != domain.JobFailed {
		t.Fatalf("expire: %+v, %v", fin, err)
	}
	evs, err := w.store.ReadStream(context.Background(), domain.JobStream(acc.JobID), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	e, err := domain.Decode(evs[len(evs)-1])
	if err != nil {
		t.Fatal(err)
	}
	failed, ok := e.(domain.EnrichmentFailed)
	if !ok || failed.Reason != domain.FailureExpired {
		t.Fatalf("job ended with %+v, want EnrichmentFailed{expired}", e)
	}
	if got := w.types(domain.RequesterStream("rep@example.com")); len(got) != 2 || got[1] != domain.TypeRequesterJobEnded {
		t.Errorf("requester stream %v", got)
	}
}
