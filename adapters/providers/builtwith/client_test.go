package builtwith_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/adapters/providers/builtwith"
	"github.com/partnerforge/partnerforge/adapters/providers/fixtures"
	"github.com/partnerforge/partnerforge/domain"
)

const key = "bw-test-key-123"

func start(t *testing.T) *fixtures.Servers {
	t.Helper()
	s, err := fixtures.Start(context.Background(), fixtures.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func client(t *testing.T, s *fixtures.Servers, cfg builtwith.Config) *builtwith.Client {
	t.Helper()
	cfg.BaseURL = s.BuiltWith.URL
	if cfg.APIKey == "" {
		cfg.APIKey = key
	}
	c, err := builtwith.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFetchMapsDomainAPI(t *testing.T) {
	t.Parallel()
	s := start(t)
	c := client(t, s, builtwith.Config{})

	data, meta, err := c.Fetch(context.Background(), providers.Request{Domain: "costco.com"})
	if err != nil {
		t.Fatal(err)
	}
	got := data.Tech
	if got == nil || data.Traffic != nil || data.Financials != nil {
		t.Fatalf("want only Tech set, got %+v", data)
	}
	want := []string{"Akamai", "Google Tag Manager", "jQuery", "Lucidworks Fusion", "SAP Commerce Cloud"}
	if !slices.Equal(got.Technologies, want) {
		t.Errorf("Technologies = %v, want %v", got.Technologies, want)
	}
	if got.SearchVendor != "Lucidworks" || got.HasAlgolia || got.Source != "builtwith" {
		t.Errorf("vendor=%q algolia=%v source=%q", got.SearchVendor, got.HasAlgolia, got.Source)
	}
	if !slices.Equal(got.PartnerTech, []string{"SAP Commerce Cloud"}) {
		t.Errorf("PartnerTech = %v", got.PartnerTech)
	}
	if meta.HTTPStatus != 200 || meta.Attempts != 1 {
		t.Errorf("meta = %+v", meta)
	}

	data, _, err = c.Fetch(context.Background(), providers.Request{Domain: "lululemon.com"})
	if err != nil {
		t.Fatal(err)
	}
	if !data.Tech.HasAlgolia || data.Tech.SearchVendor != "Algolia" ||
		!slices.Equal(data.Tech.PartnerTech, []string{"Salesforce Commerce Cloud"}) {
		t.Errorf("lululemon stack = %+v", data.Tech)
	}
}

func TestFetchFreeAPI(t *testing.T) {
	t.Parallel()
	s := start(t)
	c := client(t, s, builtwith.Config{API: builtwith.FreeAPI})
	data, meta, err := c.Fetch(context.Background(), providers.Request{Domain: "costco.com"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(data.Tech.Technologies, "site-search") || data.Tech.SearchVendor != "" {
		t.Errorf("free API stack = %+v", data.Tech)
	}
	if !strings.Contains(meta.Note, "free API") {
		t.Errorf("note = %q", meta.Note)
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
		{domain: fixtures.DomainBuiltWithRefused, code: domain.FailureQuotaExhausted, status: 403},
		{domain: fixtures.DomainRateLimited, code: domain.FailureRateLimited, status: 429, retryAfter: time.Second},
		{domain: fixtures.DomainMalformed, code: domain.FailureBadResponse, status: 200},
		{domain: fixtures.DomainHang, timeout: 50 * time.Millisecond, code: domain.FailureTimeout},
		{domain: "unknown-shop.com", code: domain.FailureNotFound, status: 200},
		{domain: "costco.com", apiKey: "invalid", code: domain.FailureUnauthorized, status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.domain+"/"+string(tt.code), func(t *testing.T) {
			t.Parallel()
			c := client(t, s, builtwith.Config{APIKey: tt.apiKey})
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

func TestFetchFlakyFailsOnceThenServes(t *testing.T) {
	t.Parallel()
	s := start(t)
	c := client(t, s, builtwith.Config{})
	_, _, err := c.Fetch(context.Background(), providers.Request{Domain: fixtures.DomainFlaky})
	if e := providers.AsError(err); e == nil || e.Code != domain.FailureUpstreamError || e.HTTPStatus != 500 || !e.Retryable() {
		t.Fatalf("first fetch: %v", err)
	}
	data, _, err := c.Fetch(context.Background(), providers.Request{Domain: fixtures.DomainFlaky})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(data.Tech.PartnerTech, []string{"Shopify Plus"}) || data.Tech.SearchVendor != "Doofinder" {
		t.Errorf("stack = %+v", data.Tech)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	for _, cfg := range []builtwith.Config{
		{},
		{APIKey: "k", BaseURL: "not a url"},
		{APIKey: "k", API: "v7"},
	} {
		if _, err := builtwith.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

func TestDefaultsToV22AndReportsCredits(t *testing.T) {
	t.Parallel()
	f := fixtures.New(fixtures.Options{})
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		f.BuiltWithHandler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(f.Close)

	tests := []struct {
		api, path string
		credits   int64
	}{
		{api: "", path: "/v22/api.json", credits: fixtures.BuiltWithCredits - 1},
		{api: builtwith.DomainAPIv21, path: "/v21/api.json", credits: fixtures.BuiltWithCredits - 2},
	}
	for i, tt := range tests {
		c, err := builtwith.New(builtwith.Config{BaseURL: srv.URL, APIKey: key, API: tt.api})
		if err != nil {
			t.Fatal(err)
		}
		_, meta, err := c.Fetch(context.Background(), providers.Request{Domain: "costco.com"})
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		got := paths[i]
		mu.Unlock()
		if got != tt.path {
			t.Errorf("API %q asked %s, want %s", tt.api, got, tt.path)
		}
		if meta.CreditsRemaining == nil || *meta.CreditsRemaining != tt.credits {
			t.Errorf("API %q: credits = %v, want %d", tt.api, meta.CreditsRemaining, tt.credits)
		}
	}
}
