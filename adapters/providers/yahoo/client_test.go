package yahoo_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/adapters/providers/fixtures"
	"github.com/partnerforge/partnerforge/adapters/providers/yahoo"
	"github.com/partnerforge/partnerforge/domain"
)

func start(t *testing.T) *fixtures.Servers {
	t.Helper()
	s, err := fixtures.Start(context.Background(), fixtures.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func client(t *testing.T, s *fixtures.Servers, cfg yahoo.Config) *yahoo.Client {
	t.Helper()
	cfg.BaseURL = s.Yahoo.URL
	cfg.CookieURL = fixtures.YahooCookiePath // relative to BaseURL
	c, err := yahoo.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFetchResolvesTickerBySearch(t *testing.T) {
	t.Parallel()
	s := start(t)
	c := client(t, s, yahoo.Config{})

	data, meta, err := c.Fetch(context.Background(), providers.Request{Domain: "costco.com"})
	if err != nil {
		t.Fatal(err)
	}
	want := domain.Financials{
		Ticker: "COST", Revenue: 254.45e9, GrossMargin: 0.126, MarketCap: 410e9, Employees: 333_000,
		Sector: "Consumer Defensive", Industry: "Discount Stores", Currency: "USD", RevenueGrowth: 0.05,
	}
	if data.Financials == nil || *data.Financials != want {
		t.Errorf("financials = %+v, want %+v", data.Financials, want)
	}
	if meta.Note != "ticker COST from search" || meta.HTTPStatus != 200 {
		t.Errorf("meta = %+v", meta)
	}
}

func TestFetchTickerSources(t *testing.T) {
	t.Parallel()
	s := start(t)
	mapFile := filepath.Join(t.TempDir(), "tickers.csv")
	if err := os.WriteFile(mapFile, []byte("domain,ticker\n# demo\nhomedepot.com, hd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := client(t, s, yahoo.Config{TickerMapPath: mapFile})

	data, meta, err := c.Fetch(context.Background(), providers.Request{Domain: "homedepot.com"})
	if err != nil {
		t.Fatal(err)
	}
	if data.Financials.Ticker != "HD" || meta.Note != "ticker HD from ticker map" {
		t.Errorf("ticker=%s note=%q", data.Financials.Ticker, meta.Note)
	}
	// quoteSummary only: the map spared the search.
	if n := s.Requests(domain.ProviderYahooFinance, "homedepot.com"); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}

	data, meta, err = c.Fetch(context.Background(), providers.Request{Domain: "nike.com", Ticker: "nke"})
	if err != nil {
		t.Fatal(err)
	}
	if data.Financials.Ticker != "NKE" || meta.Note != "ticker NKE from request" {
		t.Errorf("ticker=%s note=%q", data.Financials.Ticker, meta.Note)
	}
}

func TestCrumbRefreshAfter401(t *testing.T) {
	t.Parallel()
	s := start(t)
	c := client(t, s, yahoo.Config{})
	ctx := context.Background()
	if _, _, err := c.Fetch(ctx, providers.Request{Domain: "target.com"}); err != nil {
		t.Fatal(err)
	}
	if n := s.Requests(domain.ProviderYahooFinance, ""); n != 2 {
		t.Fatalf("handshake requests = %d, want cookie + crumb", n)
	}
	// The cached crumb is reused...
	if _, _, err := c.Fetch(ctx, providers.Request{Domain: "target.com"}); err != nil {
		t.Fatal(err)
	}
	if n := s.Requests(domain.ProviderYahooFinance, ""); n != 2 {
		t.Fatalf("handshake requests = %d after a cached fetch", n)
	}
	// ...until Yahoo rejects it: one 401, a new handshake, success.
	s.RotateYahooCrumb()
	data, _, err := c.Fetch(ctx, providers.Request{Domain: "target.com"})
	if err != nil {
		t.Fatal(err)
	}
	if data.Financials.Ticker != "TGT" {
		t.Errorf("ticker = %s", data.Financials.Ticker)
	}
	if n := s.Requests(domain.ProviderYahooFinance, ""); n != 4 {
		t.Errorf("handshake requests = %d, want 4", n)
	}
	// search+quote, search+quote, search+quote(401)+quote.
	if n := s.Requests(domain.ProviderYahooFinance, "target.com"); n != 7 {
		t.Errorf("target.com requests = %d, want 7", n)
	}
}

func TestFetchFailures(t *testing.T) {
	t.Parallel()
	s := start(t)
	tests := []struct {
		req        providers.Request
		timeout    time.Duration
		code       domain.FailureCode
		status     int
		retryAfter time.Duration
	}{
		{req: providers.Request{Domain: "patagonia.com"}, code: domain.FailureNoTicker, status: 200},
		{req: providers.Request{Domain: "unknown-shop.com"}, code: domain.FailureNoTicker, status: 200},
		{req: providers.Request{Domain: "unknown-shop.com", Ticker: "ZZZZ"}, code: domain.FailureNotFound, status: 404},
		{req: providers.Request{Domain: fixtures.DomainQuota}, code: domain.FailureQuotaExhausted, status: 403},
		{req: providers.Request{Domain: fixtures.DomainRateLimited}, code: domain.FailureRateLimited, status: 429, retryAfter: time.Second},
		{req: providers.Request{Domain: fixtures.DomainMalformed}, code: domain.FailureBadResponse, status: 200},
		{req: providers.Request{Domain: fixtures.DomainHang}, timeout: 50 * time.Millisecond, code: domain.FailureTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.req.Domain+"/"+string(tt.code), func(t *testing.T) {
			t.Parallel()
			c := client(t, s, yahoo.Config{})
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			_, _, err := c.Fetch(ctx, tt.req)
			e := providers.AsError(err)
			if e == nil {
				t.Fatal("want an error")
			}
			if e.Code != tt.code || e.HTTPStatus != tt.status || e.RetryAfter != tt.retryAfter {
				t.Errorf("got code=%s status=%d retryAfter=%v (%v)", e.Code, e.HTTPStatus, e.RetryAfter, err)
			}
		})
	}
}

func TestLoadTickerMap(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	m, err := yahoo.LoadTickerMap(write("ok.json", `{"Costco.com":"cost","berkshire.com":"BRK-B"}`))
	if err != nil || m["costco.com"] != "COST" || m["berkshire.com"] != "BRK-B" {
		t.Errorf("json map = %v, %v", m, err)
	}
	m, err = yahoo.LoadTickerMap(write("ok.csv", "costco.com,COST\n\n# note\nry.ca,RY.TO\n"))
	if err != nil || len(m) != 2 || m["ry.ca"] != "RY.TO" {
		t.Errorf("csv map = %v, %v", m, err)
	}

	bad := []struct {
		path, want string
	}{
		{write("bad.csv", "costco.com,COST\nnike.com,not a ticker\n"), "line 2"},
		{write("cols.csv", "costco.com\n"), "wrong number of fields"},
		{write("twice.csv", "a.com,A\na.com,B\n"), "mapped twice"},
		{write("bad.json", `["COST"]`), "JSON object"},
		{write("map.txt", "x"), "unsupported extension"},
		{filepath.Join(dir, "missing.csv"), "open ticker map"},
	}
	for _, b := range bad {
		if _, err := yahoo.LoadTickerMap(b.path); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("LoadTickerMap(%s) error = %v, want it to mention %q", filepath.Base(b.path), err, b.want)
		}
	}
}

// closedURL returns a loopback URL nothing listens on, so a request to it is
// refused.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr + "/"
}

func TestHandshakeSurvivesCookieFailures(t *testing.T) {
	t.Parallel()
	s := start(t)
	tests := []struct {
		name      string
		cookieURL string
	}{
		{name: "cookie with 404", cookieURL: fixtures.YahooCookiePath},
		{name: "404 without cookie", cookieURL: fixtures.YahooNoCookiePath},
		{name: "EU consent redirect", cookieURL: fixtures.YahooConsentCookiePath},
		{name: "connection refused", cookieURL: closedURL(t)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := yahoo.New(yahoo.Config{BaseURL: s.Yahoo.URL, CookieURL: tt.cookieURL})
			if err != nil {
				t.Fatal(err)
			}
			data, _, err := c.Fetch(context.Background(), providers.Request{Domain: "costco.com", Ticker: "COST"})
			if err != nil {
				t.Fatal(err)
			}
			if data.Financials == nil || data.Financials.Ticker != "COST" || data.Financials.Employees != 333_000 {
				t.Errorf("financials = %+v", data.Financials)
			}
		})
	}
}

func TestCrumbRateLimitedInPlainText(t *testing.T) {
	t.Parallel()
	s := start(t)
	c := client(t, s, yahoo.Config{})
	s.RateLimitYahooCrumb(1)
	_, _, err := c.Fetch(context.Background(), providers.Request{Domain: "costco.com", Ticker: "COST"})
	if e := providers.AsError(err); e == nil || e.Code != domain.FailureRateLimited || e.HTTPStatus != 200 {
		t.Fatalf("err = %v, want rate_limited with HTTP 200", err)
	}
	// The plain text was not taken for a crumb: the next fetch shakes hands again.
	if _, _, err := c.Fetch(context.Background(), providers.Request{Domain: "costco.com", Ticker: "COST"}); err != nil {
		t.Fatal(err)
	}
}

func TestProfileFromWhicheverModuleAnswers(t *testing.T) {
	t.Parallel()
	s := start(t)
	c := client(t, s, yahoo.Config{})
	tests := []struct {
		ticker   string
		employee int64
		sector   string
	}{
		{ticker: "COST", employee: 333_000, sector: "Consumer Defensive"},
		// HD's summaryProfile is empty: the figures come from assetProfile.
		{ticker: "HD", employee: 470_100, sector: "Consumer Cyclical"},
	}
	for _, tt := range tests {
		data, _, err := c.Fetch(context.Background(), providers.Request{Domain: "x.example", Ticker: tt.ticker})
		if err != nil {
			t.Fatal(err)
		}
		fin := data.Financials
		if fin.Sector != tt.sector || fin.Industry == "" || fin.Employees == 0 {
			t.Errorf("%s: financials = %+v", tt.ticker, fin)
		}
		if tt.employee != 0 && fin.Employees != tt.employee {
			t.Errorf("%s: employees = %d, want %d", tt.ticker, fin.Employees, tt.employee)
		}
	}
}
