package ratelimit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partnerforge/partnerforge/adapters/ratelimit"
	"github.com/partnerforge/partnerforge/adapters/ratelimit/redistest"
)

// countingReserver counts the round trips Leasing makes to Redis.
type countingReserver struct {
	next  ratelimit.Reserver
	calls atomic.Int64
}

func (c *countingReserver) Reserve(ctx context.Context, key string, perMinute, n int) (int, ratelimit.Result, error) {
	c.calls.Add(1)
	return c.next.Reserve(ctx, key, perMinute, n)
}

// Two instances sharing one Redis, each with more concurrent callers than
// the budget: together they let exactly the budget through, never more.
func TestLeasingInstancesShareOneBudget(t *testing.T) {
	t.Parallel()
	client, _ := redistest.Client(t)
	prefix := redistest.Prefix()
	for _, budget := range []int{1, 10, 40} {
		instances := []*ratelimit.Leasing{
			ratelimit.NewLeasing(ratelimit.NewRedis(client, prefix)),
			ratelimit.NewLeasing(ratelimit.NewRedis(client, prefix)),
		}
		key := "shared-" + time.Now().Format("150405.000000")
		var allowed atomic.Int64
		var wg sync.WaitGroup
		for _, l := range instances {
			for range 4 {
				wg.Go(func() {
					for range budget {
						res, err := l.Allow(context.Background(), key, budget)
						if err != nil {
							t.Error(err)
							return
						}
						if res.Allowed {
							allowed.Add(1)
						} else if res.RetryAfter <= 0 || res.Remaining != 0 {
							t.Errorf("refusal %+v; want a wait and nothing remaining", res)
						}
					}
				})
			}
		}
		wg.Wait()
		for _, l := range instances {
			l.Close()
		}
		if got := allowed.Load(); got != int64(budget) {
			t.Fatalf("budget %d: two instances allowed %d of %d requests together; want exactly the budget",
				budget, got, 2*4*budget)
		}
	}
}

// A quiet key, one request now and then, is decided by Redis request by
// request: what a plain Redis limiter on the same budget sees is exact
// after each one, and Remaining is Redis's own count.
func TestLeasingQuietKeyIsExact(t *testing.T) {
	t.Parallel()
	client, _ := redistest.Client(t)
	prefix := redistest.Prefix()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	counter := &countingReserver{next: ratelimit.NewRedis(client, prefix)}
	l := ratelimit.NewLeasingWithClock(counter, func() time.Time {
		clock.Lock()
		defer clock.Unlock()
		return now
	})
	t.Cleanup(l.Close)
	plain := ratelimit.NewRedis(client, prefix)
	const budget = 100
	for i := range 5 {
		res, err := l.Allow(context.Background(), "quiet", budget)
		if err != nil {
			t.Fatal(err)
		}
		// Each leased request and each plain check spends one.
		if want := budget - 1 - 2*i; !res.Allowed || res.Remaining != want {
			t.Fatalf("quiet request %d: %+v; want allowed with %d remaining", i+1, res, want)
		}
		check, err := plain.Allow(context.Background(), "quiet", budget)
		if err != nil {
			t.Fatal(err)
		}
		if want := budget - 2 - 2*i; check.Remaining != want {
			t.Fatalf("after quiet request %d Redis has %d left, want %d: the instance holds a reservation", i+1, check.Remaining, want)
		}
		clock.Lock()
		now = now.Add(5 * time.Second) // longer than a key stays hot
		clock.Unlock()
	}
	if got := counter.calls.Load(); got != 5 {
		t.Fatalf("%d round trips for 5 quiet requests, want one each", got)
	}
}

// A busy key costs far fewer round trips than requests, and is still
// refused once its budget is spent, with a wait.
func TestLeasingBusyKeyBatches(t *testing.T) {
	t.Parallel()
	client, _ := redistest.Client(t)
	counter := &countingReserver{next: ratelimit.NewRedis(client, redistest.Prefix())}
	l := ratelimit.NewLeasing(counter)
	t.Cleanup(l.Close)
	const budget = 100
	allowed := 0
	for range budget + 5 {
		res, err := l.Allow(context.Background(), "busy", budget)
		if err != nil {
			t.Fatal(err)
		}
		if res.Allowed {
			allowed++
			continue
		}
		if res.RetryAfter <= 0 || res.RetryAfter > ratelimit.Period/budget || res.Remaining != 0 {
			t.Fatalf("refusal %+v; want a wait of at most one interval", res)
		}
	}
	l.Close()
	if allowed != budget {
		t.Fatalf("%d allowed, want the budget %d", allowed, budget)
	}
	if calls := counter.calls.Load(); calls > budget/3 {
		t.Fatalf("%d round trips for %d requests; want batches", calls, budget+5)
	}
}

// Reservations an instance has not spent lapse: after quiet seconds the
// instance asks Redis again instead of spending what it held.
func TestLeasingReservationsLapse(t *testing.T) {
	t.Parallel()
	client, _ := redistest.Client(t)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	counter := &countingReserver{next: ratelimit.NewRedis(client, redistest.Prefix())}
	l := ratelimit.NewLeasingWithClock(counter, func() time.Time {
		clock.Lock()
		defer clock.Unlock()
		return now
	})
	t.Cleanup(l.Close)
	for range 20 {
		if _, err := l.Allow(context.Background(), "k", 100); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	if l.Held("k") == 0 {
		t.Fatal("20 requests at once left no reservation held; want a batch")
	}
	before := counter.calls.Load()
	clock.Lock()
	now = now.Add(3 * time.Second) // longer than a reservation is held
	clock.Unlock()
	if l.Held("k") != 0 {
		t.Fatal("a reservation is still held after it lapsed")
	}
	if _, err := l.Allow(context.Background(), "k", 100); err != nil {
		t.Fatal(err)
	}
	if got := counter.calls.Load(); got != before+1 {
		t.Fatalf("%d round trips after the reservation lapsed, want 1", got-before)
	}
}

// A key busy at a steady rate loses nothing to lapsed reservations while it
// stays busy: what Redis has handed out is what was spent plus what the
// instance still holds.
func TestLeasingSteadyKeyLosesNothing(t *testing.T) {
	t.Parallel()
	client, _ := redistest.Client(t)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	l := ratelimit.NewLeasingWithClock(ratelimit.NewRedis(client, redistest.Prefix()), func() time.Time {
		clock.Lock()
		defer clock.Unlock()
		return now
	})
	t.Cleanup(l.Close)
	const budget = 1000
	var last ratelimit.Result
	began := time.Now()
	for i := range 200 { // 20 s at 10 a second
		res, err := l.Allow(context.Background(), "steady", budget)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Allowed {
			t.Fatalf("request %d refused: %+v", i+1, res)
		}
		last = res
		l.Close() // let a reservation ahead land before the clock moves
		clock.Lock()
		now = now.Add(100 * time.Millisecond)
		clock.Unlock()
	}
	// Redis's clock moved only as far as the test ran, refilling one request
	// per Period/budget of it: a lost reservation would show as fewer
	// remaining than the budget less the 200 spent.
	want := budget - 200
	refilled := int(time.Since(began) / (ratelimit.Period / budget))
	if last.Remaining < want-1 || last.Remaining > want+refilled {
		t.Fatalf("after 200 requests %d remaining, want %d: reservations were lost", last.Remaining, want)
	}
}
