package projections_test

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections"
	"github.com/partnerforge/partnerforge/projections/projectiontest"
	"github.com/partnerforge/partnerforge/projections/readmodel"
	"github.com/partnerforge/partnerforge/sql/migrations"
)

// uniqueDomain keeps parallel tests on the shared database apart.
func uniqueDomain(prefix string) string { return prefix + "-" + uuid.NewString()[:8] + ".com" }

func getTarget(t *testing.T, d string) (readmodel.Target, error) {
	t.Helper()
	return postgres.NewReadModels(db.Pool).GetTarget(context.Background(), d)
}

func TestTargetsImportAndRevert(t *testing.T) {
	t.Parallel()
	s := store(db)
	batch, other := uuid.New(), uuid.New()
	kept, reverted, foreign := uniqueDomain("kept"), uniqueDomain("reverted"), uniqueDomain("foreign")
	p := projectiontest.Profile(kept, "Kept Co", "Fashion", "US", 72)
	growth, share := 12.5, 0.38
	p.TrafficGrowth, p.SWSearchTrafficPct = &growth, &share
	p.Emails = []byte(`["info@kept.com"]`)
	projectiontest.Import(t, s, batch, p,
		projectiontest.Profile(reverted, "Reverted Co", "Fashion", "US", 50),
		projectiontest.Profile(foreign, "Foreign Co", "Fashion", "DE", 30))
	projectiontest.Revert(t, s, batch, reverted)
	projectiontest.Revert(t, s, other, foreign) // another batch cannot withdraw it
	catchUp(t, newRunner(t, db))

	got, err := getTarget(t, kept)
	if err != nil {
		t.Fatal(err)
	}
	if *got.CompanyName != "Kept Co" || *got.ICPScore != 72 || *got.ICPTier != 2 || *got.TrafficGrowth != 12.5 ||
		*got.SWSearchTrafficPct != 0.38 || string(got.Emails) != `["info@kept.com"]` || *got.Country != "US" {
		t.Errorf("imported row = %s", mustJSON(t, got))
	}
	if got.ImportBatchID == nil || *got.ImportBatchID != batch || got.ScoreModelVersion != nil || got.City != nil {
		t.Errorf("batch %v, model %v, city %v", got.ImportBatchID, got.ScoreModelVersion, got.City)
	}
	if _, err := getTarget(t, reverted); !errors.Is(err, readmodel.ErrNotFound) {
		t.Errorf("reverted target: err = %v, want not found", err)
	}
	if _, err := getTarget(t, foreign); err != nil {
		t.Errorf("target reverted by another batch: %v", err)
	}
}

func TestTargetsEnrichment(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	fetchedOnly := func(ps ...domain.Provider) map[domain.Provider]domain.ProviderData {
		all, out := projectiontest.AllFetched(), map[domain.Provider]domain.ProviderData{}
		for _, p := range ps {
			out[p] = all[p]
		}
		return out
	}
	tests := []struct {
		name      string
		imported  bool
		fetched   map[domain.Provider]domain.ProviderData
		failed    map[domain.Provider]domain.FailureCode
		wantLevel string // "" when the job fails and the row keeps its level
	}{
		{"all three deliver", true, projectiontest.AllFetched(), nil, domain.LevelFull},
		{"finance fails", true, fetchedOnly(domain.ProviderBuiltWith, domain.ProviderSimilarWeb),
			map[domain.Provider]domain.FailureCode{domain.ProviderYahooFinance: domain.FailureNoTicker}, domain.LevelStandard},
		// The level says what is known: the profile's search vendor counts.
		{"traffic only", true, fetchedOnly(domain.ProviderSimilarWeb), nil, domain.LevelStandard},
		{"traffic only, never imported", false, fetchedOnly(domain.ProviderSimilarWeb), nil, domain.LevelBasic},
		{"never imported", false, projectiontest.AllFetched(), nil, domain.LevelFull},
		{"everything fails", true, nil, map[domain.Provider]domain.FailureCode{
			domain.ProviderBuiltWith: domain.FailureTimeout, domain.ProviderSimilarWeb: domain.FailureRateLimited,
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := store(db)
			d := uniqueDomain("enrich")
			profile := projectiontest.Profile(d, "Enriched Co", "Fashion", "US", 20)
			var prof *domain.TargetProfile
			if tt.imported {
				projectiontest.Import(t, s, uuid.New(), profile)
				prof = &profile
			}
			job := projectiontest.RunJob(t, s, projectiontest.Job{Domain: d, At: at, Fetched: tt.fetched, Failed: tt.failed, Profile: prof})
			catchUp(t, newRunner(t, db))

			got, err := getTarget(t, d)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantLevel == "" {
				if got.LastEnriched != nil || *got.EnrichmentLevel != "basic" || got.LastJobID != nil || *got.ICPScore != 20 {
					t.Errorf("failed job changed the target: %s", mustJSON(t, got))
				}
				return
			}
			if got.EnrichmentLevel == nil || *got.EnrichmentLevel != tt.wantLevel {
				t.Errorf("enrichment level %v, want %s", got.EnrichmentLevel, tt.wantLevel)
			}
			if got.LastEnriched == nil || !got.LastEnriched.Equal(at.Add(time.Minute)) {
				t.Errorf("last enriched %v, want %v", got.LastEnriched, at.Add(time.Minute))
			}
			if got.LastJobID == nil || *got.LastJobID != job || got.ScoreModelVersion == nil || *got.ScoreModelVersion != domain.ScoringModelVersion {
				t.Errorf("job %v model %v", got.LastJobID, got.ScoreModelVersion)
			}
			if got.ICPScore == nil || got.ICPTier == nil || len(got.ScoreBreakdown) == 0 || string(got.ScoreReasons) == "null" {
				t.Errorf("score not projected: %s", mustJSON(t, got))
			}
			if got.ImportBatchID == nil != !tt.imported {
				t.Errorf("import batch %v for imported=%v", got.ImportBatchID, tt.imported)
			}
			if _, ok := tt.fetched[domain.ProviderSimilarWeb]; ok {
				tr := projectiontest.Traffic.Traffic
				if *got.SWMonthlyVisits != tr.MonthlyVisits || *got.SWBounceRate != tr.BounceRate ||
					*got.SWAvgDuration != 246 || *got.SWSearchTrafficPct != tr.SearchTrafficShare ||
					*got.SWRankGlobal != tr.GlobalRank || *got.TrafficGrowth != 12.3 {
					t.Errorf("traffic not projected: %s", mustJSON(t, got))
				}
			}
			if _, ok := tt.fetched[domain.ProviderBuiltWith]; ok {
				if *got.CurrentSearch != "Klevu" || len(got.TechStackJSON) == 0 {
					t.Errorf("tech not projected: %s", mustJSON(t, got))
				}
			}
			if _, ok := tt.fetched[domain.ProviderYahooFinance]; ok {
				if *got.Revenue != 1.8e9 || *got.GrossMargin != 0.42 || *got.Ticker != "NWO" || !*got.IsPublic || len(got.FinancialsJSON) == 0 {
					t.Errorf("financials not projected: %s", mustJSON(t, got))
				}
			}
		})
	}
}

// A re-import replaces the profile, score included: the row then shows what
// the newer legacy snapshot says, not a blend.
func TestTargetsReimportReplacesProfile(t *testing.T) {
	t.Parallel()
	s := store(db)
	d := uniqueDomain("reimport")
	first := projectiontest.Profile(d, "First Name", "Fashion", "US", 20)
	projectiontest.Import(t, s, uuid.New(), first)
	projectiontest.RunJob(t, s, projectiontest.Job{Domain: d, At: time.Now(), Fetched: projectiontest.AllFetched(), Profile: &first})
	second := projectiontest.Profile(d, "Second Name", "Home", "GB", 65)
	projectiontest.Import(t, s, uuid.New(), second)
	catchUp(t, newRunner(t, db))

	got, err := getTarget(t, d)
	if err != nil {
		t.Fatal(err)
	}
	if *got.CompanyName != "Second Name" || *got.ICPScore != 65 || got.ScoreModelVersion != nil || got.Revenue != nil || got.LastJobID == nil {
		t.Errorf("re-imported row = %s", mustJSON(t, got))
	}
}

// The read model shows clean values while the events keep what was
// imported: one code per country, each platform once, percentages without
// float noise, whether they came from the file or from a provider.
func TestTargetsCleanValues(t *testing.T) {
	t.Parallel()
	s := store(db)
	noisyShare, noisyGrowth, noisyMargin := 0.45230000000000004, -6.999998, 0.38159999999999994
	cases := []struct {
		name, country, partnerTech string
		wantCountry, wantTech      string
		enrich                     bool
	}{
		{name: "us-name", country: "United States", partnerTech: "Adobe AEM, Adobe AEM", wantCountry: "US", wantTech: "Adobe AEM"},
		{name: "uk-alias", country: "UK", partnerTech: "Adobe AEM,  Shopify Plus", wantCountry: "GB", wantTech: "Adobe AEM, Shopify Plus"},
		{name: "lower-code", country: " de ", partnerTech: "shopify plus, Shopify Plus", wantCountry: "DE", wantTech: "shopify plus"},
		{name: "unknown", country: " Atlantis ", partnerTech: "VTEX", wantCountry: "Atlantis", wantTech: "VTEX"},
		{name: "enriched", country: "USA", partnerTech: "VTEX", wantCountry: "US", wantTech: "VTEX", enrich: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := uniqueDomain("clean-" + tc.name)
			p := projectiontest.Profile(d, "Clean Co", "Retail", tc.country, 60)
			p.PartnerTech = tc.partnerTech
			share, growth, margin := noisyShare, noisyGrowth, noisyMargin
			p.SWSearchTrafficPct, p.TrafficGrowth, p.GrossMargin = &share, &growth, &margin
			projectiontest.Import(t, s, uuid.New(), p)
			if tc.enrich {
				traffic := *projectiontest.Traffic.Traffic
				traffic.TrafficGrowth, traffic.BounceRate = -0.06999998, 0.41000000000000003
				fin := *projectiontest.Financials.Financials
				fin.GrossMargin = 0.4199999999
				projectiontest.RunJob(t, s, projectiontest.Job{Domain: d, At: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC),
					Fetched: map[domain.Provider]domain.ProviderData{
						domain.ProviderSimilarWeb:   {Traffic: &traffic},
						domain.ProviderYahooFinance: {Financials: &fin},
					}, Profile: &p})
			}
			catchUp(t, newRunner(t, db))

			got, err := getTarget(t, d)
			if err != nil {
				t.Fatal(err)
			}
			if *got.Country != tc.wantCountry || *got.PartnerTech != tc.wantTech {
				t.Errorf("country %q, partner_tech %q; want %q, %q", *got.Country, *got.PartnerTech, tc.wantCountry, tc.wantTech)
			}
			wantShare, wantGrowth, wantMargin := 0.4523, -7.0, 0.3816
			if tc.enrich {
				wantShare, wantGrowth, wantMargin = projectiontest.Traffic.Traffic.SearchTrafficShare, -7.0, 0.42
				if *got.SWBounceRate != 0.41 {
					t.Errorf("bounce rate %v, want 0.41", *got.SWBounceRate)
				}
			}
			if *got.SWSearchTrafficPct != wantShare || *got.TrafficGrowth != wantGrowth || *got.GrossMargin != wantMargin {
				t.Errorf("share %v, growth %v, margin %v; want %v, %v, %v",
					*got.SWSearchTrafficPct, *got.TrafficGrowth, *got.GrossMargin, wantShare, wantGrowth, wantMargin)
			}

			// The event keeps what the file said.
			evs, err := s.ReadStream(context.Background(), domain.TargetStream(domain.MustParseDomain(d)), 0, 10)
			if err != nil || len(evs) == 0 {
				t.Fatalf("read stream: %v (%d events)", err, len(evs))
			}
			e, err := domain.Decode(evs[0])
			if err != nil {
				t.Fatal(err)
			}
			imported := e.(domain.TargetImported).Profile
			if imported.Country != tc.country || imported.PartnerTech != tc.partnerTech ||
				*imported.SWSearchTrafficPct != noisyShare || *imported.TrafficGrowth != noisyGrowth {
				t.Errorf("event changed: %s", mustJSON(t, imported))
			}
		})
	}
}

// Migration 00007 changes what the targets read model holds; on upgrade it
// empties the model and moves its checkpoint back, so the rows projected
// before (here: a country as the file spelled it) are replayed into the new
// shape from the events.
func TestCleanValuesMigrationRebuildsTargets(t *testing.T) {
	d := isolated(t)
	ctx := context.Background()
	dom := uniqueDomain("upgrade")
	projectiontest.Import(t, postgres.NewEventStore(d.Pool), uuid.New(),
		projectiontest.Profile(dom, "Upgrade Co", "Retail", "United States", 50))
	catchUp(t, newRunner(t, d))

	m, err := postgres.NewMigrator(d.Pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	// Back to the schema before 00007: later migrations roll back first.
	for range migrationsFrom(t, 7) {
		if err := m.Down(ctx, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatalf("migrate down: %v", err)
		}
	}
	// What the projection wrote before this version.
	if _, err := d.Pool.Exec(ctx, `UPDATE displacement_targets SET country = 'United States' WHERE domain = $1`, dom); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(ctx, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("migrate up: %v", err)
	}
	var rows, position int64
	if err := d.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM displacement_targets),
		(SELECT position FROM projection_checkpoints WHERE name = $1)`, projections.TargetsName).Scan(&rows, &position); err != nil {
		t.Fatal(err)
	}
	if rows != 0 || position != 0 {
		t.Fatalf("after the upgrade: %d rows, checkpoint %d; want an empty model at position 0", rows, position)
	}

	catchUp(t, newRunner(t, d))
	got, err := postgres.NewReadModels(d.Pool).GetTarget(ctx, dom)
	if err != nil {
		t.Fatal(err)
	}
	if got.Country == nil || *got.Country != "US" {
		t.Errorf("country after the rebuild: %v, want US", got.Country)
	}
}

// migrationsFrom lists the migrations numbered from version on.
func migrationsFrom(t *testing.T, version int) []string {
	t.Helper()
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		n, err := strconv.Atoi(strings.SplitN(f, "_", 2)[0])
		if err != nil {
			t.Fatalf("migration %s: %v", f, err)
		}
		if n >= version {
			out = append(out, f)
		}
	}
	return out
}
