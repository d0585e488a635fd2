package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/ratelimit"
	"github.com/partnerforge/partnerforge/adapters/ratelimit/redistest"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

// key is a test caller: a key id of a tier, owned by owner.
type key struct {
	tier  domain.Tier
	id    uuid.UUID
	owner string
	raw   string
}

// newKey makes a key of tier with an owner of its own, accepted by every
// server withTestAuth built.
func newKey(tier domain.Tier) key {
	owner := uuid.NewString() + "@example.com"
	raw := testKey(owner, tier)
	return key{tier: tier, id: testKeyTable.idOf(raw), owner: owner, raw: raw}
}

func (k key) header() map[string]string { return map[string]string{HeaderAPIKey: k.raw} }

// jsonHeader is header with the JSON content type a request body needs.
func (k key) jsonHeader() map[string]string {
	return map[string]string{HeaderAPIKey: k.raw, "Content-Type": "application/json"}
}

// limitedServer serves the API with test authentication, the limiter given
// and /api/test/echo, which answers 200 to any method.
func limitedServer(t *testing.T, d Deps) *httptest.Server {
	t.Helper()
	d = withTestAuth(d)
	if d.Logger == nil {
		d.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return newTestServer(t, d, func(r *gin.Engine) {
		echo := func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"ok": true}) }
		r.Any("/api/test/echo", echo)
		r.Any("/outside", echo)
	})
}

// frozenLimiter is an in-process limiter whose clock never moves, so a
// budget never refills during a test: counts are exact. The Redis limiter's
// counts are proved by the adapter's contract test.
func frozenLimiter() ratelimit.Limiter {
	at := time.Now()
	return ratelimit.NewMemoryWithClock(func() time.Time { return at })
}

// wantHeaders checks the rate-limit headers of a response.
func wantHeaders(t *testing.T, resp *http.Response, limit, remaining int, start time.Time, within time.Duration) {
	t.Helper()
	h := resp.Header
	if got := h.Get(HeaderRateLimitLimit); got != strconv.Itoa(limit) {
		t.Fatalf("%s %q, want %d", HeaderRateLimitLimit, got, limit)
	}
	if got := h.Get(HeaderRateLimitRemaining); got != strconv.Itoa(remaining) {
		t.Fatalf("%s %q, want %d", HeaderRateLimitRemaining, got, remaining)
	}
	// The reset is at most one window after the answer; measured against
	// the clock when the answer arrived, not when the burst began, since a
	// busy machine may spend seconds on the burst.
	reset, err := strconv.ParseInt(h.Get(HeaderRateLimitReset), 10, 64)
	if err != nil || reset < start.Unix() || reset > time.Now().Add(within).Unix()+1 {
		t.Fatalf("%s %q, want Unix seconds within %v of %d", HeaderRateLimitReset, h.Get(HeaderRateLimitReset), within, start.Unix())
	}
}

// wantRateLimited checks a 429 RATE_LIMITED answer naming budget.
func wantRateLimited(t *testing.T, resp *http.Response, body []byte, budget string, maxWait int) {
	t.Helper()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status %d (%s), want 429", resp.StatusCode, body)
	}
	wait, err := strconv.Atoi(resp.Header.Get(HeaderRetryAfter))
	if err != nil || wait < 1 || wait > maxWait {
		t.Fatalf("Retry-After %q, want 1–%d seconds", resp.Header.Get(HeaderRetryAfter), maxWait)
	}
	if resp.Request.Method == http.MethodHead {
		return
	}
	var e ErrorBody
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if e.Error.Code != CodeRateLimited || e.Error.Details["budget"] != budget {
		t.Fatalf("error %+v, want %s naming budget %q", e.Error, CodeRateLimited, budget)
	}
}

// Each tier's read and write budgets: the headers count down with every
// request, and the request after the last is refused with 429, Retry-After
// and the budget's name.
func TestRateLimitPerTier(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tier   domain.Tier
		method string
		budget string
		limit  int
	}{
		{domain.TierStandard, http.MethodGet, BudgetReads, 100},
		{domain.TierStandard, http.MethodPost, BudgetWrites, 20},
		{domain.TierStandard, http.MethodDelete, BudgetWrites, 20},
		{domain.TierPower, http.MethodHead, BudgetReads, 500},
		{domain.TierPower, http.MethodPatch, BudgetWrites, 100},
	}
	srv := limitedServer(t, Deps{RateLimiter: frozenLimiter()})
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s", tt.tier, tt.method), func(t *testing.T) {
			t.Parallel()
			k := newKey(tt.tier)
			start := time.Now()
			for i := range tt.limit {
				resp, body := send(t, srv, tt.method, "/api/test/echo", k.header(), "")
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("request %d of %d: status %d (%s)", i+1, tt.limit, resp.StatusCode, body)
				}
				wantHeaders(t, resp, tt.limit, tt.limit-1-i, start, time.Minute)
			}
			resp, body := send(t, srv, tt.method, "/api/test/echo", k.header(), "")
			wantRateLimited(t, resp, body, tt.budget, 60/tt.limit+1)
			wantHeaders(t, resp, tt.limit, 0, start, time.Minute)
		})
	}
}

// Reads and writes are separate budgets, and each key has its own.
func TestRateLimitBudgetsAreSeparate(t *testing.T) {
	t.Parallel()
	srv := limitedServer(t, Deps{RateLimiter: frozenLimiter()})
	k := newKey(domain.TierStandard)
	for range 20 {
		send(t, srv, http.MethodPost, "/api/test/echo", k.header(), "")
	}
	if resp, body := send(t, srv, http.MethodPost, "/api/test/echo", k.header(), ""); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("21st write: %d %s, want 429", resp.StatusCode, body)
	}
	if resp, _ := send(t, srv, http.MethodGet, "/api/test/echo", k.header(), ""); resp.StatusCode != http.StatusOK || resp.Header.Get(HeaderRateLimitRemaining) != "99" {
		t.Fatalf("read after the writes are spent: %d, remaining %q; want 200 with 99 reads left", resp.StatusCode, resp.Header.Get(HeaderRateLimitRemaining))
	}
	other := newKey(domain.TierStandard)
	if resp, _ := send(t, srv, http.MethodPost, "/api/test/echo", other.header(), ""); resp.StatusCode != http.StatusOK || resp.Header.Get(HeaderRateLimitRemaining) != "19" {
		t.Fatalf("another key's write: %d, remaining %q; want 200 with 19 left", resp.StatusCode, resp.Header.Get(HeaderRateLimitRemaining))
	}
}

// Admin keys are unlimited and carry no rate-limit headers; neither do
// requests without a principal, nor routes outside /api.
func TestRateLimitDoesNotApply(t *testing.T) {
	t.Parallel()
	srv := limitedServer(t, Deps{RateLimiter: ratelimit.NewMemory()})
	tests := []struct {
		name   string
		header map[string]string
		method string
		path   string
		n      int
	}{
		{"admin reads", newKey(domain.TierAdmin).header(), http.MethodGet, "/api/test/echo", 600},
		{"admin writes", newKey(domain.TierAdmin).header(), http.MethodPost, "/api/test/echo", 150},
		{"no principal", nil, http.MethodPost, "/api/test/echo", 30},
		{"outside /api", newKey(domain.TierStandard).header(), http.MethodPost, "/outside", 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for i := range tt.n {
				resp, body := send(t, srv, tt.method, tt.path, tt.header, "")
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("request %d: %d %s, want 200", i+1, resp.StatusCode, body)
				}
				for _, h := range []string{HeaderRateLimitLimit, HeaderRateLimitRemaining, HeaderRateLimitReset} {
					if v := resp.Header.Get(h); v != "" {
						t.Fatalf("request %d: %s %q, want none", i+1, h, v)
					}
				}
			}
		})
	}
}

// Two instances with one Redis share one budget: whichever serves a
// request, the key has 20 writes a minute in all, with one round trip per
// request and with reservations leased in batches (as serve wires it).
func TestRateLimitSharedByInstances(t *testing.T) {
	t.Parallel()
	client, _ := redistest.Client(t)
	for impl, newLimiter := range map[string]func(prefix string) ratelimit.Limiter{
		"redis": func(prefix string) ratelimit.Limiter { return ratelimit.NewRedis(client, prefix) },
		"leasing": func(prefix string) ratelimit.Limiter {
			l := ratelimit.NewLeasing(ratelimit.NewRedis(client, prefix))
			t.Cleanup(l.Close)
			return l
		},
	} {
		t.Run(impl, func(t *testing.T) {
			prefix := redistest.Prefix()
			a := limitedServer(t, Deps{RateLimiter: newLimiter(prefix)})
			b := limitedServer(t, Deps{RateLimiter: newLimiter(prefix)})
			k := newKey(domain.TierStandard)
			allowed := map[string]int{}
			for i := range 30 {
				srv, name := a, "a"
				if i%3 == 0 {
					srv, name = b, "b"
				}
				resp, body := send(t, srv, http.MethodPost, "/api/test/echo", k.header(), "")
				switch resp.StatusCode {
				case http.StatusOK:
					allowed[name]++
				case http.StatusTooManyRequests:
					wantRateLimited(t, resp, body, BudgetWrites, 4)
				default:
					t.Fatalf("status %d %s", resp.StatusCode, body)
				}
			}
			if allowed["a"]+allowed["b"] != 20 || allowed["a"] == 0 || allowed["b"] == 0 {
				t.Fatalf("allowed %v, want 20 writes in all, served by both instances", allowed)
			}
		})
	}
}

// With REDIS_URL pointing at a closed port the API still answers, budgets
// are kept per instance, the outage is logged once and counted.
func TestRateLimitWhenRedisIsDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	client, err := ratelimit.NewRedisClient("redis://" + addr + "/0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	limiter := ratelimit.NewFallback(ratelimit.NewRedis(client, "pf:"), ratelimit.NewMemory(), log, prometheus.NewRegistry())
	srv := limitedServer(t, Deps{RateLimiter: limiter, Logger: log})

	k := newKey(domain.TierStandard)
	start := time.Now()
	for i := range 20 {
		resp, body := send(t, srv, http.MethodPost, "/api/test/echo", k.header(), "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("write %d with redis down: %d %s, want 200", i+1, resp.StatusCode, body)
		}
		wantHeaders(t, resp, 20, 19-i, start, time.Minute)
	}
	resp, body := send(t, srv, http.MethodPost, "/api/test/echo", k.header(), "")
	wantRateLimited(t, resp, body, BudgetWrites, 4)
	if got := limiter.Fallbacks(); got != 21 {
		t.Errorf("fallback counter %v, want 21", got)
	}
	if n := strings.Count(logs.String(), "budgets are kept per instance"); n != 1 {
		t.Errorf("outage logged %d times, want once:\n%s", n, logs.String())
	}
}

// The daily enrichment budget is counted from the event log: after a
// restart (a new command handler, router and limiter on the same database)
// the next new job is refused with the enrichments budget until midnight
// UTC, while joining a job in flight still answers.
func TestDailyEnrichmentBudgetSurvivesARestart(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	midnight := domain.NextUTCDay(now)
	if midnight.Sub(now) < 2*time.Minute {
		t.Skip("too close to midnight UTC: the day's budget would be whole again mid-test")
	}
	store := postgres.NewEventStore(db.Pool)
	serve := func() *httptest.Server {
		h := commands.NewRequestEnrichmentHandler(store, domain.DefaultEnrichmentPolicy, 100, time.Now)
		return limitedServer(t, Deps{RateLimiter: frozenLimiter(), Enrich: h})
	}
	k := newKey(domain.TierStandard)
	perDay := domain.TierStandard.Limits().EnrichmentsPerDay
	domainN := func(i int) string { return fmt.Sprintf("shop%d-%s.example.com", i, k.id.String()[:8]) }

	// The day's first jobs, opened before the restart: all but the last
	// directly, the last through the API.
	first := commands.NewRequestEnrichmentHandler(store, domain.DefaultEnrichmentPolicy, 100, time.Now)
	for i := range perDay - 1 {
		if _, err := first.Handle(context.Background(), commands.RequestEnrichment{
			Domain: domain.MustParseDomain(domainN(i)), Add: true, RequestedBy: k.owner, EnrichmentsPerDay: perDay,
		}); err != nil {
			t.Fatal(err)
		}
	}
	before := serve()
	if resp, body := send(t, before, http.MethodPost, "/api/enrich/"+domainN(perDay-1), k.jsonHeader(), `{"add": true}`); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("last job of the day: %d %s, want 202", resp.StatusCode, body)
	}

	after := serve()
	resp, body := send(t, after, http.MethodPost, "/api/enrich/"+domainN(perDay), k.jsonHeader(), `{"add": true}`)
	wantRateLimited(t, resp, body, BudgetEnrichments, int(midnight.Sub(now).Seconds())+1)
	if wait, _ := strconv.Atoi(resp.Header.Get(HeaderRetryAfter)); time.Duration(wait)*time.Second < midnight.Sub(time.Now())-time.Second {
		t.Errorf("Retry-After %d s, want until midnight UTC (%v)", wait, midnight.Sub(time.Now()))
	}
	if got := resp.Header.Get(HeaderRateLimitReset); got != strconv.FormatInt(midnight.Unix(), 10) {
		t.Errorf("%s %s, want midnight UTC %d", HeaderRateLimitReset, got, midnight.Unix())
	}
	if resp.Header.Get(HeaderRateLimitLimit) != strconv.Itoa(perDay) || resp.Header.Get(HeaderRateLimitRemaining) != "0" {
		t.Errorf("headers %v, want the enrichments budget %d with none left", resp.Header, perDay)
	}
	resp, body = send(t, after, http.MethodPost, "/api/enrich/"+domainN(0), k.header(), "")
	var joined EnrichResponse
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(body, &joined) != nil || joined.Reused != "in_flight" {
		t.Fatalf("joining a job in flight: %d %s, want 202 reused in_flight", resp.StatusCode, body)
	}
	// The refused request and this one are the new instance's writes.
	if resp.Header.Get(HeaderRateLimitLimit) != "20" || resp.Header.Get(HeaderRateLimitRemaining) != "18" {
		t.Errorf("joining spent limit %s remaining %s, want the writes budget 20 with 18 left",
			resp.Header.Get(HeaderRateLimitLimit), resp.Header.Get(HeaderRateLimitRemaining))
	}
}

// The enrich route passes the key tier's daily budget to the command, and
// maps its refusal to 429 RATE_LIMITED naming the enrichments budget.
func TestEnrichPassesTheTiersDailyBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tier domain.Tier
		want int
	}{
		{domain.TierStandard, 50},
		{domain.TierPower, 200},
		{domain.TierAdmin, domain.Unlimited},
	}
	fake := &fakeRequester{}
	srv := limitedServer(t, Deps{RateLimiter: frozenLimiter(), Enrich: fake})
	for _, tt := range tests {
		if resp, body := send(t, srv, http.MethodPost, "/api/enrich/costco.com", newKey(tt.tier).header(), ""); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("status %d %s", resp.StatusCode, body)
		}
		if got := fake.last(t).EnrichmentsPerDay; got != tt.want {
			t.Errorf("tier %q: daily budget %d, want %d", tt.tier, got, tt.want)
		}
	}

	reset := domain.NextUTCDay(time.Now())
	refusing := &fakeRequester{err: fmt.Errorf("request enrichment of costco.com: %w", &domain.DailyLimitError{Used: 50, Limit: 50, ResetAt: reset})}
	srv = limitedServer(t, Deps{RateLimiter: frozenLimiter(), Enrich: refusing})
	resp, body := send(t, srv, http.MethodPost, "/api/enrich/costco.com", newKey(domain.TierStandard).header(), "")
	wantRateLimited(t, resp, body, BudgetEnrichments, 86400)
	var e ErrorBody
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatal(err)
	}
	if e.Error.Details["period"] != "day" || e.Error.Details["limit"] != float64(50) || e.Error.Details["reset_at"] != reset.Format(time.RFC3339) {
		t.Errorf("details %v, want period day, limit 50, reset_at %s", e.Error.Details, reset.Format(time.RFC3339))
	}
	if got := resp.Header.Get(HeaderRateLimitReset); got != strconv.FormatInt(reset.Unix(), 10) {
		t.Errorf("%s %s, want %d", HeaderRateLimitReset, got, reset.Unix())
	}
}
