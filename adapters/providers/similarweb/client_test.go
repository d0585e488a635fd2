package similarweb_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/adapters/providers/fixtures"
	"github.com/partnerforge/partnerforge/adapters/providers/similarweb"
	"github.com/partnerforge/partnerforge/domain"
)

const key = "sw-test-key-456"

func start(t *testing.T) *fixtures.Servers {
	t.Helper()
	s, err := fixtures.Start(context.Background(), fixtures.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func client(t *testing.T, s *fixtures.Servers, cfg similarweb.Config) *similarweb.Client {
	t.Helper()
	cfg.BaseURL = s.SimilarWeb.URL
	if cfg.APIKey == "" {
		cfg.APIKey = key
	}
	cfg.Clock = func() time.Time { return time.Date(2024, 7, 15, 9, 0, 0, 0, time.UTC) }
	if cfg.CallBackoff == 0 {
		cfg.CallBackoff = time.Millisecond
	}
	c, err := similarweb.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestFetchMapsTraffic(t *testing.T) {
	t.Parallel()
	s := start(t)
	c := client(t, s, similarweb.Config{Months: 6})

	data, meta, err := c.Fetch(context.Background(), providers.Request{Domain: "costco.com"})
	if err != nil {
		t.Fatal(err)
	}
	tr := data.Traffic
	if tr == nil || data.Tech != nil {
		t.Fatalf("want only Traffic, got %+v", data)
	}
	if tr.MonthlyVisits != 128_400_000 || !near(tr.TrafficGrowth, 0.06) {
		t.Errorf("visits=%d growth=%v", tr.MonthlyVisits, tr.TrafficGrowth)
	}
	if !near(tr.BounceRate, 0.372) || !near(tr.PagesPerVisit, 7.41) || !near(tr.AvgDurationSeconds, 431) {
		t.Errorf("engagement = %+v", tr)
	}
	if !near(tr.SearchTrafficShare, 0.354) || tr.GlobalRank != 172 {
		t.Errorf("search share=%v rank=%d", tr.SearchTrafficShare, tr.GlobalRank)
	}
	if !slices.Equal(tr.SimilarSites, []string{"samsclub.com", "walmart.com", "bjs.com"}) {
		t.Errorf("similar = %v", tr.SimilarSites)
	}
	if meta.HTTPStatus != 200 || meta.Note != "" {
		t.Errorf("meta = %+v", meta)
	}
	// Seven endpoints, one request each.
	if n := s.Requests(domain.ProviderSimilarWeb, "costco.com"); n != 7 {
		t.Errorf("requests = %d, want 7", n)
	}
}

func TestCountryRefusedFallsBackToWorld(t *testing.T) {
	t.Parallel()
	s := start(t)
	c := client(t, s, similarweb.Config{Country: "us"})

	data, meta, err := c.Fetch(context.Background(), providers.Request{Domain: fixtures.DomainCountryRefused})
	if err != nil {
		t.Fatal(err)
	}
	if data.Traffic.MonthlyVisits != 2_400_000 {
		t.Errorf("visits = %d", data.Traffic.MonthlyVisits)
	}
	if !strings.Contains(meta.Note, `refused country "us" (403); used world`) {
		t.Errorf("note = %q", meta.Note)
	}
	// One refused request, then the world for all seven.
	if n := s.Requests(domain.ProviderSimilarWeb, fixtures.DomainCountryRefused); n != 8 {
		t.Errorf("requests = %d, want 8", n)
	}
}

func TestFetchFailures(t *testing.T) {
	t.Parallel()
	s := start(t)
	tests := []struct {
		domain     string
		apiKey     string
		timeout    time.Duration
		code       domain.FailureCode
		status     int
		retryAfter time.Duration
	}{
		{domain: fixtures.DomainQuota, code: domain.FailureQuotaExhausted, status: 403},
		{domain: fixtures.DomainRateLimited, code: domain.FailureRateLimited, status: 429, retryAfter: time.Second},
		{domain: fixtures.DomainMalformed, code: domain.FailureBadResponse, status: 200},
		{domain: fixtures.DomainHang, timeout: 50 * time.Millisecond, code: domain.FailureTimeout},
		// SimilarWeb says "data not found" with HTTP 401 and error code 401.
		{domain: "unknown-shop.com", code: domain.FailureNotFound, status: 401},
		// An invalid key and an account out of credits both get HTTP 403.
		{domain: "costco.com", apiKey: "invalid", code: domain.FailureUnauthorized, status: 403},
	}
	for _, tt := range tests {
		t.Run(tt.domain+"/"+string(tt.code), func(t *testing.T) {
			t.Parallel()
			c := client(t, s, similarweb.Config{APIKey: tt.apiKey})
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			_, _, err := c.Fetch(ctx, providers.Request{Domain: tt.domain})
			e := providers.AsError(err)
			if e == nil {
				t.Fatal("want an error")
			}
			if e.Code != tt.code || e.HTTPStatus != tt.status || e.RetryAfter != tt.retryAfter {
				t.Errorf("got code=%s status=%d retryAfter=%v (%v)", e.Code, e.HTTPStatus, e.RetryAfter, err)
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("error leaks the API key: %v", err)
			}
		})
	}
}

func TestTechnologies(t *testing.T) {
	t.Parallel()
	s := start(t)
	tech := client(t, s, similarweb.Config{}).Technologies()
	if tech.Provider() != domain.ProviderSimilarWeb {
		t.Errorf("provider = %s", tech.Provider())
	}
	data, _, err := tech.Fetch(context.Background(), providers.Request{Domain: fixtures.DomainBuiltWithRefused})
	if err != nil {
		t.Fatal(err)
	}
	got := data.Tech
	if got.Source != "similarweb" || got.SearchVendor != "Coveo" || !slices.Equal(got.PartnerTech, []string{"commercetools"}) {
		t.Errorf("stack = %+v", got)
	}
}

func TestEachCallRetriedOnItsOwn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		attempts int
		wantErr  domain.FailureCode
		requests int
	}{
		// Every endpoint answers 500 once: each is asked twice, and the
		// fetch succeeds without being repeated as a whole.
		{name: "retried", attempts: 3, requests: 14},
		{name: "not retried", attempts: 1, wantErr: domain.FailureUpstreamError, requests: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Each case needs its own fixtures: the first answer per path fails.
			s := start(t)
			c := client(t, s, similarweb.Config{CallAttempts: tt.attempts})
			data, _, err := c.Fetch(context.Background(), providers.Request{Domain: fixtures.DomainFlakyEndpoint})
			if tt.wantErr != "" {
				if e := providers.AsError(err); e == nil || e.Code != tt.wantErr || e.HTTPStatus != 500 {
					t.Fatalf("err = %v, want %s", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if data.Traffic.MonthlyVisits != 900_000 || data.Traffic.GlobalRank != 61_000 || len(data.Traffic.SimilarSites) != 1 {
				t.Errorf("traffic = %+v", data.Traffic)
			}
			if n := s.Requests(domain.ProviderSimilarWeb, fixtures.DomainFlakyEndpoint); n != tt.requests {
				t.Errorf("requests = %d, want %d", n, tt.requests)
			}
		})
	}
}

func TestDatesOutOfRangeMovesTheWindowBack(t *testing.T) {
	t.Parallel()
	s := start(t)
	c := client(t, s, similarweb.Config{Months: 3})
	data, meta, err := c.Fetch(context.Background(), providers.Request{Domain: fixtures.DomainDatesOutOfRange})
	if err != nil {
		t.Fatal(err)
	}
	if data.Traffic.MonthlyVisits != 650_000 {
		t.Errorf("visits = %d", data.Traffic.MonthlyVisits)
	}
	if !strings.Contains(meta.Note, "window moved back a month") {
		t.Errorf("note = %q", meta.Note)
	}
	// One refused request, then the earlier window for all seven.
	if n := s.Requests(domain.ProviderSimilarWeb, fixtures.DomainDatesOutOfRange); n != 8 {
		t.Errorf("requests = %d, want 8", n)
	}
}
