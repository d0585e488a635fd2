package ratelimit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/partnerforge/partnerforge/adapters/ratelimit"
	"github.com/partnerforge/partnerforge/adapters/ratelimit/redistest"
)

// implementations are every Limiter the contract runs against; each call
// gives a fresh one with budgets no other test touches.
func implementations(t *testing.T) map[string]func(t *testing.T) ratelimit.Limiter {
	return map[string]func(t *testing.T) ratelimit.Limiter{
		"memory": func(*testing.T) ratelimit.Limiter { return ratelimit.NewMemory() },
		"redis": func(t *testing.T) ratelimit.Limiter {
			client, _ := redistest.Client(t)
			return ratelimit.NewRedis(client, redistest.Prefix())
		},
		"leasing": func(t *testing.T) ratelimit.Limiter {
			client, _ := redistest.Client(t)
			l := ratelimit.NewLeasing(ratelimit.NewRedis(client, redistest.Prefix()))
			t.Cleanup(l.Close)
			return l
		},
	}
}

// The contract: a budget of n per minute lets a burst of n through, each
// telling what remains, then refuses with a wait of at most one emission
// interval (a minute / n); budgets of different keys are independent.
func TestLimiterContract(t *testing.T) {
	t.Parallel()
	for name, newLimiter := range implementations(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, n := range []int{1, 5, 20} {
				l := newLimiter(t)
				ctx := context.Background()
				for i := range n {
					res, err := l.Allow(ctx, "key-a", n)
					if err != nil {
						t.Fatal(err)
					}
					if !res.Allowed || res.Limit != n || res.Remaining != n-1-i || res.RetryAfter != 0 {
						t.Fatalf("budget %d, request %d: %+v; want allowed with %d remaining", n, i+1, res, n-1-i)
					}
					if res.ResetAfter <= 0 || res.ResetAfter > ratelimit.Period {
						t.Fatalf("budget %d, request %d: reset after %v, want within a minute", n, i+1, res.ResetAfter)
					}
				}
				res, err := l.Allow(ctx, "key-a", n)
				if err != nil {
					t.Fatal(err)
				}
				emission := ratelimit.Period / time.Duration(n)
				if res.Allowed || res.Remaining != 0 || res.RetryAfter <= 0 || res.RetryAfter > emission || res.ResetAfter <= 0 || res.ResetAfter > ratelimit.Period {
					t.Fatalf("budget %d spent: %+v; want refused, retry within %v", n, res, emission)
				}
				if other, err := l.Allow(ctx, "key-b", n); err != nil || !other.Allowed || other.Remaining != n-1 {
					t.Fatalf("another key: %+v, %v; want its own whole budget", other, err)
				}
			}
		})
	}
}

// The first request of any budget leaves all but one: the count is exact
// for budgets whose interval is no round number of seconds (0.6 s, 0.12 s).
func TestLimiterFirstRequest(t *testing.T) {
	t.Parallel()
	for name, newLimiter := range implementations(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l := newLimiter(t)
			for _, n := range []int{7, 100, 500, 1000, 7000} {
				res, err := l.Allow(context.Background(), fmt.Sprint("first-", n), n)
				if err != nil {
					t.Fatal(err)
				}
				if !res.Allowed || res.Remaining != n-1 {
					t.Errorf("budget %d, first request: %+v; want %d remaining", n, res, n-1)
				}
			}
		})
	}
}

// Concurrent requests on one budget: exactly the budget gets through.
func TestLimiterConcurrent(t *testing.T) {
	t.Parallel()
	for name, newLimiter := range implementations(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l := newLimiter(t)
			const budget, callers = 20, 100
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				allowed int
			)
			for range callers {
				wg.Go(func() {
					res, err := l.Allow(context.Background(), "shared", budget)
					if err != nil {
						t.Error(err)
						return
					}
					if res.Allowed {
						mu.Lock()
						allowed++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if allowed != budget {
				t.Fatalf("%d of %d concurrent requests allowed, want the budget %d", allowed, callers, budget)
			}
		})
	}
}

func TestLimiterRefusesAnEmptyBudget(t *testing.T) {
	t.Parallel()
	for name, newLimiter := range implementations(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := newLimiter(t).Allow(context.Background(), "k", 0); err == nil {
				t.Fatal("a budget of 0 per minute was accepted; want an error")
			}
		})
	}
}

// The in-process limiter on a clock the test moves: the budget refills one
// request per emission interval, is whole after a minute, and a whole
// budget is forgotten.
func TestMemoryRefills(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	l := ratelimit.NewMemoryWithClock(func() time.Time { return now })
	ctx := context.Background()
	allow := func() ratelimit.Result {
		t.Helper()
		res, err := l.Allow(ctx, "k", 6) // one every 10 s
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for range 6 {
		allow()
	}
	if res := allow(); res.Allowed || res.RetryAfter != 10*time.Second || res.ResetAfter != time.Minute {
		t.Fatalf("spent: %+v; want refused, retry after 10s, whole after 1m", res)
	}
	now = now.Add(10 * time.Second)
	if res := allow(); !res.Allowed || res.Remaining != 0 {
		t.Fatalf("after one interval: %+v; want one request, none left", res)
	}
	now = now.Add(2 * time.Minute)
	if res := allow(); !res.Allowed || res.Remaining != 5 {
		t.Fatalf("after a quiet minute: %+v; want a whole budget", res)
	}
	now = now.Add(2 * time.Minute)
	if _, err := l.Allow(ctx, "k2", 6); err != nil { // sweeps: k's budget is whole
		t.Fatal(err)
	}
	if n := l.Len(); n != 1 {
		t.Fatalf("%d budgets held after a sweep, want only the one just spent", n)
	}
}
