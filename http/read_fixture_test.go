package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections"
	"github.com/partnerforge/partnerforge/projections/projectiontest"
)

// readServer is the real router over a database of its own, whose read
// models hold exactly readFixture's targets and jobs: list totals can then
// be asserted exactly while other tests append to the package database.
type readServer struct {
	db     *pgtest.Database
	store  *postgres.EventStore
	runner *projections.Runner
	url    string
	// jobs are the fixture's job ids, oldest first.
	jobs []uuid.UUID
}

// fixtureTarget is one imported row; nil pointers stay unknown, to
// exercise NULLs-last ordering.
type fixtureTarget struct {
	domain, company, vertical, country, partnerTech string
	score                                           *int64
	visits                                          *int64
	revenue                                         *float64
	enriched                                        *time.Time
}

func i64(v int64) *int64     { return &v }
func f64(v float64) *float64 { return &v }
func at(day int) *time.Time {
	t := time.Date(2024, 6, day, 12, 0, 0, 0, time.UTC)
	return &t
}

// readFixture has ties on every sort column (broken by domain), unknown
// values in each, mixed-case names, a combined partner_tech with a repeated
// platform, countries written as the legacy list wrote them ("UK", "United
// States"), an ampersand and a name with a LIKE wildcard in it.
var readFixture = []fixtureTarget{
	{"alpha-outfitters.com", "Alpha Outfitters", "Fashion", "US", "Shopify Plus", i64(91), i64(5_000_000), f64(2.5e9), at(1)},
	{"bravo-home.com", "bravo home", "Home", "US", "Adobe AEM, Shopify Plus, adobe aem", i64(84), i64(1_200_000), f64(8e8), at(3)},
	{"charlie-sport.de", "Charlie Sport GmbH", "Sport", "DE", "Shopware", i64(84), i64(900_000), nil, at(3)},
	{"delta-beauty.fr", "Delta Beauté", "Beauty", "FR", "Salesforce Commerce Cloud", i64(72), nil, f64(3e8), nil},
	{"echo-electronics.co.uk", "Echo Electronics", "Electronics", "UK", "Magento", i64(65), i64(2_000_000), f64(1.1e9), at(10)},
	{"foxtrot-garden.com", "Foxtrot Home & Garden", "Home", "US", "BigCommerce", i64(58), i64(300_000), f64(3e8), at(2)},
	{"golf-grocers.com", "golf grocers", "Grocery", "US", "Shopify Plus", i64(47), i64(1_200_000), nil, nil},
	{"hotel-kids.de", "Hotel Kids", "Fashion", "DE", "Shopware", i64(41), i64(150_000), f64(5e7), at(7)},
	{"india-pets.com", "India Pets", "Pets", "United States", "Shopify Plus", i64(33), i64(80_000), nil, at(7)},
	{"juliet-books.co.uk", "Juliet Books", "Books", "GB", "Magento", i64(12), nil, nil, nil},
	{"kilo-tools.com", "", "Hardware", "", "", nil, nil, nil, nil},
	{"lima-100pct.com", "Lima 100% Cotton", "Fashion", "US", "Shopify Plus", i64(60), i64(450_000), f64(9e7), at(5)},
}

func (f fixtureTarget) profile() domain.TargetProfile {
	p := domain.TargetProfile{
		Domain: f.domain, CompanyName: f.company, Vertical: f.vertical, Country: f.country, PartnerTech: f.partnerTech,
		ICPScore: f.score, SWMonthlyVisits: f.visits, Revenue: f.revenue, LastEnriched: f.enriched,
	}
	if f.score != nil {
		t, _ := domain.TierFor(int(*f.score))
		tier := int64(t)
		p.ICPTier = &tier
	}
	if f.enriched != nil {
		p.EnrichmentLevel = "standard"
	}
	return p
}

// newReadServer starts the router over the fixture; options adjust its
// dependencies.
func newReadServer(t testing.TB, options ...func(*readServer, *Deps)) *readServer {
	t.Helper()
	ctx := context.Background()
	d := pgtest.NewDB(t)
	rs := &readServer{db: d, store: postgres.NewEventStore(d.Pool)}
	profiles := make([]domain.TargetProfile, len(readFixture))
	for i, f := range readFixture {
		profiles[i] = f.profile()
	}
	projectiontest.Import(t, rs.store, uuid.New(), profiles...)
	base := time.Date(2025, 2, 1, 9, 0, 0, 0, time.UTC)
	for i, who := range []string{"ana@example.com", "ben@example.com", "ana@example.com"} {
		p := profiles[i]
		rs.jobs = append(rs.jobs, projectiontest.RunJob(t, rs.store, projectiontest.Job{
			Domain: p.Domain, RequestedBy: who, At: base.Add(time.Duration(i) * time.Hour), Fetched: projectiontest.AllFetched(), Profile: &p,
		}))
	}
	// A second job for bravo-home.com, in which every provider failed.
	failed := map[domain.Provider]domain.FailureCode{}
	for _, p := range domain.AllProviders {
		failed[p] = domain.FailureUpstreamError
	}
	rs.jobs = append(rs.jobs, projectiontest.RunJob(t, rs.store, projectiontest.Job{
		Domain: profiles[1].Domain, RequestedBy: "cy@example.com", At: base.Add(3 * time.Hour), Failed: failed, Profile: &profiles[1],
	}))
	var err error
	if rs.runner, err = projections.NewRunner(d.Pool, projections.Config{}, projections.All()...); err != nil {
		t.Fatal(err)
	}
	if err := rs.runner.CatchUp(ctx); err != nil {
		t.Fatalf("catch up: %v", err)
	}
	deps := Deps{
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Reads:      postgres.NewReadModels(d.Pool),
		JobStreams: rs.store,
	}
	for _, o := range options {
		o(rs, &deps)
	}
	srv := httptest.NewServer(NewRouter(withTestAuth(deps)))
	t.Cleanup(srv.Close)
	rs.url = srv.URL
	return rs
}

// get fetches path and decodes a JSON body into out (if not nil).
func (rs *readServer) get(t *testing.T, path string, out any) int {
	t.Helper()
	resp, err := http.Get(rs.url + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", path, err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET %s: content type %q", path, ct)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("GET %s: decode %s: %v", path, body, err)
		}
	}
	return resp.StatusCode
}

// wantError checks a 4xx answer's status, code and named parameter.
func (rs *readServer) wantError(t *testing.T, path string, status int, code, param string) {
	t.Helper()
	var e ErrorBody
	if got := rs.get(t, path, &e); got != status {
		t.Fatalf("GET %s: status %d, want %d (%+v)", path, got, status, e)
	}
	if e.Error.Code != code || e.Error.Message == "" {
		t.Errorf("GET %s: error %+v, want code %s", path, e.Error, code)
	}
	if param != "" && e.Error.Details["parameter"] != param {
		t.Errorf("GET %s: details %v, want parameter %q", path, e.Error.Details, param)
	}
}

func targetsPath(params ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		v.Add(params[i], params[i+1])
	}
	return fmt.Sprintf("/api/targets?%s", v.Encode())
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newUnconfiguredServer serves the router without read models.
func newUnconfiguredServer(t *testing.T) *readServer {
	t.Helper()
	srv := httptest.NewServer(NewRouter(withTestAuth(Deps{})))
	t.Cleanup(srv.Close)
	return &readServer{url: srv.URL}
}
