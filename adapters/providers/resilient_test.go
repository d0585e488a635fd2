package providers_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"golang.org/x/time/rate"

	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/adapters/providers/builtwith"
	"github.com/partnerforge/partnerforge/adapters/providers/fixtures"
	"github.com/partnerforge/partnerforge/adapters/providers/similarweb"
	"github.com/partnerforge/partnerforge/domain"
)

// memQuota is an in-memory daily quota.
type memQuota struct {
	mu   sync.Mutex
	left int64
}

func (q *memQuota) Take(_ context.Context, _ domain.Provider) (int64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.left <= 0 {
		return 0, providers.ErrQuotaExhausted
	}
	q.left--
	return q.left, nil
}

func start(t *testing.T) *fixtures.Servers {
	t.Helper()
	s, err := fixtures.Start(context.Background(), fixtures.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func bwClient(t *testing.T, baseURL string) *builtwith.Client {
	t.Helper()
	c, err := builtwith.New(builtwith.Config{BaseURL: baseURL, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fast keeps back-off short so tests do not wait; behaviour, not speed, is
// what they check.
func fast(cfg providers.Config) providers.Config {
	cfg.BaseDelay = time.Millisecond
	cfg.MaxJitter = -1
	if cfg.MaxDelay == 0 {
		cfg.MaxDelay = 10 * time.Millisecond
	}
	if cfg.AttemptTimeout == 0 {
		cfg.AttemptTimeout = 5 * time.Second
	}
	return cfg
}

func fetch(t *testing.T, f providers.Fetcher, d string) (domain.ProviderData, providers.Meta, *providers.Error) {
	t.Helper()
	data, meta, err := f.Fetch(context.Background(), providers.Request{Domain: d})
	return data, meta, providers.AsError(err)
}

func TestRetrySucceedsAfterTransientFailure(t *testing.T) {
	t.Parallel()
	s := start(t)
	r := providers.NewResilient(bwClient(t, s.BuiltWith.URL), fast(providers.Config{MaxAttempts: 3}))
	data, meta, e := fetch(t, r, fixtures.DomainFlaky)
	if e != nil {
		t.Fatal(e)
	}
	if data.Tech == nil || meta.Attempts != 2 || meta.HTTPStatus != 200 {
		t.Errorf("meta = %+v", meta)
	}
}

func TestRetriesExhausted(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	r := providers.NewResilient(bwClient(t, srv.URL), fast(providers.Config{MaxAttempts: 4}))
	_, meta, e := fetch(t, r, "costco.com")
	if e == nil || e.Code != domain.FailureUpstreamError || e.HTTPStatus != 500 || e.Attempts != 4 || meta.Attempts != 4 {
		t.Fatalf("err = %+v, meta = %+v", e, meta)
	}
	if hits.Load() != 4 {
		t.Errorf("server saw %d requests", hits.Load())
	}
}

func TestPermanentFailuresAreNotRetried(t *testing.T) {
	t.Parallel()
	s := start(t)
	sw, err := similarweb.New(similarweb.Config{BaseURL: s.SimilarWeb.URL, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		f      providers.Fetcher
		domain string
		code   domain.FailureCode
		status int
	}{
		{sw, "unknown-shop.com", domain.FailureNotFound, 401},
		{bwClient(t, s.BuiltWith.URL), fixtures.DomainQuota, domain.FailureQuotaExhausted, 403},
		{bwClient(t, s.BuiltWith.URL), fixtures.DomainMalformed, domain.FailureBadResponse, 200},
	}
	for _, tt := range tests {
		t.Run(string(tt.code), func(t *testing.T) {
			r := providers.NewResilient(tt.f, fast(providers.Config{MaxAttempts: 3}))
			_, _, e := fetch(t, r, tt.domain)
			if e == nil || e.Code != tt.code || e.HTTPStatus != tt.status || e.Attempts != 1 {
				t.Fatalf("err = %+v", e)
			}
			if n := s.Requests(tt.f.Provider(), tt.domain); n != 1 {
				t.Errorf("requests = %d, want 1", n)
			}
		})
	}
}

func TestRetryAfterLongerThanMaxDelayIsNotWaitedFor(t *testing.T) {
	t.Parallel()
	s := start(t)
	// The fixture asks for 1s; MaxDelay is 10ms: give up now, report when.
	r := providers.NewResilient(bwClient(t, s.BuiltWith.URL), fast(providers.Config{MaxAttempts: 3}))
	_, _, e := fetch(t, r, fixtures.DomainRateLimited)
	if e == nil || e.Code != domain.FailureRateLimited || e.HTTPStatus != 429 || e.RetryAfter != time.Second || e.Attempts != 1 {
		t.Fatalf("err = %+v", e)
	}
}

func TestAttemptTimeoutIsRetried(t *testing.T) {
	t.Parallel()
	s := start(t)
	r := providers.NewResilient(bwClient(t, s.BuiltWith.URL), fast(providers.Config{MaxAttempts: 2, AttemptTimeout: 30 * time.Millisecond}))
	_, _, e := fetch(t, r, fixtures.DomainHang)
	if e == nil || e.Code != domain.FailureTimeout || e.Attempts != 2 {
		t.Fatalf("err = %+v", e)
	}
}

func TestCircuitOpensAndRecovers(t *testing.T) {
	t.Parallel()
	s := start(t)
	reg := prometheus.NewRegistry()
	metrics, err := providers.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	r := providers.NewResilient(bwClient(t, s.BuiltWith.URL), fast(providers.Config{
		MaxAttempts: 1, AttemptTimeout: 30 * time.Millisecond,
		BreakerFailures: 2, BreakerRecovery: 50 * time.Millisecond, Metrics: metrics,
	}))

	for range 2 {
		if _, _, e := fetch(t, r, fixtures.DomainHang); e == nil || e.Code != domain.FailureTimeout {
			t.Fatalf("err = %+v", e)
		}
	}
	_, meta, e := fetch(t, r, "costco.com")
	if e == nil || e.Code != domain.FailureCircuitOpen || meta.Attempts != 0 {
		t.Fatalf("err = %+v", e)
	}
	if n := s.Requests(domain.ProviderBuiltWith, "costco.com"); n != 0 {
		t.Errorf("open circuit let %d requests through", n)
	}
	if v := gauge(t, reg, "partnerforge_provider_circuit_state"); v != 2 {
		t.Errorf("circuit gauge = %v, want 2 (open)", v)
	}

	// After the recovery time one probe goes through and closes the circuit.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, _, e = fetch(t, r, "costco.com")
		if e == nil {
			break
		}
		if e.Code != domain.FailureCircuitOpen || time.Now().After(deadline) {
			t.Fatalf("circuit did not recover: %+v", e)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := s.Requests(domain.ProviderBuiltWith, "costco.com"); n != 1 {
		t.Errorf("probe requests = %d, want 1", n)
	}
	if v := gauge(t, reg, "partnerforge_provider_circuit_state"); v != 0 {
		t.Errorf("circuit gauge = %v, want 0 (closed)", v)
	}
	if v := counter(t, reg, "partnerforge_provider_requests_total", "circuit_open"); v < 1 {
		t.Errorf("circuit_open outcomes = %v", v)
	}
}

func TestHealthyRefusalsDoNotOpenTheCircuit(t *testing.T) {
	t.Parallel()
	s := start(t)
	r := providers.NewResilient(bwClient(t, s.BuiltWith.URL), fast(providers.Config{BreakerFailures: 2}))
	for range 3 {
		if _, _, e := fetch(t, r, "unknown-shop.com"); e == nil || e.Code != domain.FailureNotFound {
			t.Fatalf("err = %+v", e)
		}
	}
	if _, _, e := fetch(t, r, "costco.com"); e != nil {
		t.Fatalf("circuit opened on not_found: %+v", e)
	}
}

func TestRateLimiterIsWaitedOn(t *testing.T) {
	t.Parallel()
	s := start(t)
	// One token, refilled hourly: the second fetch must wait far longer than
	// its deadline allows, so the limiter refuses without calling BuiltWith.
	lim := rate.NewLimiter(rate.Every(time.Hour), 1)
	r := providers.NewResilient(bwClient(t, s.BuiltWith.URL), fast(providers.Config{Limiter: lim}))
	if _, _, e := fetch(t, r, "costco.com"); e != nil {
		t.Fatal(e)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, meta, err := r.Fetch(ctx, providers.Request{Domain: "nike.com"})
	e := providers.AsError(err)
	if e == nil || e.Code != domain.FailureRateLimited || !errors.Is(err, providers.ErrRateLimitWait) || meta.Attempts != 0 {
		t.Fatalf("err = %v, meta = %+v", err, meta)
	}
	if n := s.Requests(domain.ProviderBuiltWith, "nike.com"); n != 0 {
		t.Errorf("limiter let %d requests through", n)
	}
}

func TestQuotaExhaustedSkipsTheProvider(t *testing.T) {
	t.Parallel()
	s := start(t)
	reg := prometheus.NewRegistry()
	metrics, err := providers.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	r := providers.NewResilient(bwClient(t, s.BuiltWith.URL), fast(providers.Config{Quota: &memQuota{left: 1}, Metrics: metrics, BreakerFailures: 1}))
	if _, _, e := fetch(t, r, "costco.com"); e != nil {
		t.Fatal(e)
	}
	if v := gauge(t, reg, "partnerforge_provider_quota_remaining"); v != 0 {
		t.Errorf("quota gauge = %v", v)
	}
	for range 2 { // twice: a spent quota must not open the circuit either
		_, _, e := fetch(t, r, "nike.com")
		if e == nil || e.Code != domain.FailureQuotaExhausted || e.Attempts != 0 || !errors.Is(e, providers.ErrQuotaExhausted) {
			t.Fatalf("err = %+v", e)
		}
	}
	if n := s.Requests(domain.ProviderBuiltWith, "nike.com"); n != 0 {
		t.Errorf("quota let %d requests through", n)
	}
	if v := counter(t, reg, "partnerforge_provider_requests_total", "ok"); v != 1 {
		t.Errorf("ok outcomes = %v", v)
	}
}

func TestFallbackToSimilarWebTechnologies(t *testing.T) {
	t.Parallel()
	s := start(t)
	sw, err := similarweb.New(similarweb.Config{BaseURL: s.SimilarWeb.URL, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	f := providers.NewFallback(
		providers.NewResilient(bwClient(t, s.BuiltWith.URL), fast(providers.Config{})),
		providers.NewResilient(sw.Technologies(), fast(providers.Config{})),
		"technologies",
	)
	if f.Provider() != domain.ProviderBuiltWith {
		t.Errorf("provider = %s", f.Provider())
	}

	data, meta, e := fetch(t, f, fixtures.DomainBuiltWithRefused)
	if e != nil {
		t.Fatal(e)
	}
	if data.Tech.Source != "similarweb" || data.Tech.SearchVendor != "Coveo" {
		t.Errorf("stack = %+v", data.Tech)
	}
	if meta.Note != "builtwith refused (403); technologies from similarweb" || meta.Attempts != 2 {
		t.Errorf("meta = %+v", meta)
	}

	// No fallback for an answer that is not a refusal.
	if _, _, e := fetch(t, f, "unknown-shop.com"); e == nil || e.Code != domain.FailureNotFound {
		t.Errorf("err = %+v", e)
	}
	if n := s.Requests(domain.ProviderSimilarWeb, "unknown-shop.com"); n != 0 {
		t.Errorf("fallback asked similarweb about a not-found domain")
	}

	// Both refuse: the caller gets BuiltWith's failure.
	_, _, e = fetch(t, f, fixtures.DomainRateLimited)
	if e == nil || e.Code != domain.FailureRateLimited || e.HTTPStatus != 429 {
		t.Errorf("err = %+v", e)
	}
	if n := s.Requests(domain.ProviderSimilarWeb, fixtures.DomainRateLimited); n != 1 {
		t.Errorf("similarweb requests = %d, want 1", n)
	}
}

func TestNewMetricsRejectsDoubleRegistration(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	if _, err := providers.NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := providers.NewMetrics(reg); err == nil {
		t.Error("second registration accepted")
	}
}

// gauge reads the builtwith series of a gauge.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	m := find(t, reg, name, "")
	return m.GetGauge().GetValue()
}

// counter reads the builtwith series of a counter with the given outcome.
func counter(t *testing.T, reg *prometheus.Registry, name, outcome string) float64 {
	t.Helper()
	m := find(t, reg, name, outcome)
	return m.GetCounter().GetValue()
}

func find(t *testing.T, reg *prometheus.Registry, name, outcome string) *dto.Metric {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["provider"] == "builtwith" && (outcome == "" || labels["outcome"] == outcome) {
				return m
			}
		}
	}
	t.Fatalf("no %s series for builtwith %s", name, outcome)
	return nil
}

func TestCreditsGaugeFollowsBuiltWith(t *testing.T) {
	t.Parallel()
	s := start(t)
	reg := prometheus.NewRegistry()
	metrics, err := providers.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	r := providers.NewResilient(bwClient(t, s.BuiltWith.URL), fast(providers.Config{MaxAttempts: 1, Metrics: metrics}))
	tests := []struct {
		domain string
		ok     bool
	}{
		{domain: "costco.com", ok: true},
		// A refusal carries the header too.
		{domain: "unknown-shop.com"},
	}
	for i, tt := range tests {
		if _, _, e := fetch(t, r, tt.domain); (e == nil) != tt.ok {
			t.Fatalf("%s: err = %+v", tt.domain, e)
		}
		want := float64(fixtures.BuiltWithCredits - (i + 1))
		if v := gauge(t, reg, "partnerforge_provider_credits_remaining"); v != want {
			t.Errorf("after %s: credits gauge = %v, want %v", tt.domain, v, want)
		}
	}
}

// TestMisbehavingAnswersFailInWords: an answer cut mid-body, a 200 with an
// HTML page and a 2 GiB body each end as a failure with a code and a message
// a user can read; only the cut connection is worth another try, and the
// huge body is abandoned at the cap rather than read.
func TestMisbehavingAnswersFailInWords(t *testing.T) {
	t.Parallel()
	s := start(t)
	tests := []struct {
		domain   string
		code     domain.FailureCode
		attempts int
		says     string
	}{
		{fixtures.DomainBuiltWithCutsBody, domain.FailureUpstreamError, 3, "unexpected EOF"},
		{fixtures.DomainBuiltWithHTML, domain.FailureBadResponse, 1, "invalid character '<'"},
		{fixtures.DomainBuiltWithHuge, domain.FailureBadResponse, 1, "goes on past the cap; at most 8 MiB is read"},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			r := providers.NewResilient(bwClient(t, s.BuiltWith.URL), fast(providers.Config{MaxAttempts: 3}))
			_, _, e := fetch(t, r, tt.domain)
			if e == nil || e.Code != tt.code || e.Attempts != tt.attempts {
				t.Fatalf("err = %+v, want %s after %d attempts", e, tt.code, tt.attempts)
			}
			if e.Error() == string(tt.code) || !strings.Contains(e.Error(), tt.says) {
				t.Errorf("error %q does not say what went wrong (want %q)", e.Error(), tt.says)
			}
			if strings.Contains(e.Error(), "KEY=") {
				t.Errorf("error %q carries the query string", e.Error())
			}
			if n := s.Requests(domain.ProviderBuiltWith, tt.domain); n != tt.attempts {
				t.Errorf("requests = %d, want %d", n, tt.attempts)
			}
		})
	}
	if sent := s.HugeBytesSent(); sent >= fixtures.HugeBodyBytes {
		t.Errorf("the whole %d-byte body was sent: nothing stopped reading it", sent)
	}
}
