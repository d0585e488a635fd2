package providers_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/adapters/ratelimit"
	"github.com/partnerforge/partnerforge/adapters/ratelimit/redistest"
	"github.com/partnerforge/partnerforge/domain"
)

// sharedBudgets returns, per store, a function giving two budgets over one
// store as two instances of the service would hold them: each with its own
// connections.
func sharedBudgets() map[string]func(t testing.TB) [2]providers.CallBudget {
	return map[string]func(t testing.TB) [2]providers.CallBudget{
		"postgres": func(t testing.TB) [2]providers.CallBudget {
			d := pgtest.NewDB(t)
			var out [2]providers.CallBudget
			for i := range out {
				pool, err := pgxpool.New(context.Background(), d.URL)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(pool.Close)
				out[i] = postgres.NewProviderRates(pool)
			}
			return out
		},
		"redis": func(t testing.TB) [2]providers.CallBudget {
			prefix := redistest.Prefix()
			first, _ := redistest.Client(t)
			second, _ := redistest.Client(t)
			return [2]providers.CallBudget{ratelimit.NewProviderCalls(first, prefix), ratelimit.NewProviderCalls(second, prefix)}
		},
	}
}

// Two instances taking calls of one provider at once get the burst between
// them and nothing more: at one call an hour after a burst of 3, the count is
// exact whatever the timing. A refusal says when the next call fits, and
// another provider's budget is untouched.
func TestCallBudgetSharedByInstances(t *testing.T) {
	t.Parallel()
	for name, budgets := range sharedBudgets() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := budgets(t)
			var (
				mu      sync.Mutex
				allowed int
				waits   []time.Duration
				wg      sync.WaitGroup
			)
			for i := range 20 {
				wg.Go(func() {
					wait, err := b[i%2].TakeCall(context.Background(), "builtwith", time.Hour, 3)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err != nil:
						t.Error(err)
					case wait == 0:
						allowed++
					default:
						waits = append(waits, wait)
					}
				})
			}
			wg.Wait()
			if allowed != 3 || len(waits) != 17 {
				t.Fatalf("%d calls allowed, %d refused; want 3 and 17", allowed, len(waits))
			}
			for _, w := range waits {
				// The next call fits an hour after the burst began, less
				// the time the calls took.
				if w <= 50*time.Minute || w > time.Hour {
					t.Errorf("a refusal says wait %s, want about an hour", w)
				}
			}
			if wait, err := b[1].TakeCall(context.Background(), "similarweb", time.Hour, 3); err != nil || wait != 0 {
				t.Errorf("another provider's first call: wait %s (%v), want allowed", wait, err)
			}
		})
	}
}

// A refused call fits once the wait it was told has passed: the budget
// refills at its rate, and the hint is not too short.
func TestCallBudgetRefills(t *testing.T) {
	t.Parallel()
	for name, budgets := range sharedBudgets() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := budgets(t)
			ctx := context.Background()
			if wait, err := b[0].TakeCall(ctx, "yahoo_finance", 300*time.Millisecond, 1); err != nil || wait != 0 {
				t.Fatalf("first call: wait %s (%v), want allowed", wait, err)
			}
			wait, err := b[1].TakeCall(ctx, "yahoo_finance", 300*time.Millisecond, 1)
			if err != nil || wait <= 0 || wait > 300*time.Millisecond {
				t.Fatalf("second call at once: wait %s (%v), want a refusal of at most the interval", wait, err)
			}
			time.Sleep(wait)
			if wait, err := b[1].TakeCall(ctx, "yahoo_finance", 300*time.Millisecond, 1); err != nil || wait != 0 {
				t.Fatalf("call after the hinted wait: wait %s (%v), want allowed", wait, err)
			}
		})
	}
}

// A raised rate takes effect at once: the budget a slower rate spent does
// not make the faster one wait out the slower one's schedule.
func TestCallBudgetRateRaised(t *testing.T) {
	t.Parallel()
	for name, budgets := range sharedBudgets() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := budgets(t)
			ctx := context.Background()
			for range 3 { // one an hour, burst 3: spent
				if wait, err := b[0].TakeCall(ctx, "builtwith", time.Hour, 3); err != nil || wait != 0 {
					t.Fatalf("slow rate's burst: wait %s (%v)", wait, err)
				}
			}
			// Five a second, burst 1: allowed at once, then paced at the
			// new interval.
			if wait, err := b[1].TakeCall(ctx, "builtwith", 200*time.Millisecond, 1); err != nil || wait != 0 {
				t.Fatalf("first call at five a second: wait %s (%v), want allowed", wait, err)
			}
			wait, err := b[0].TakeCall(ctx, "builtwith", 200*time.Millisecond, 1)
			if err != nil || wait <= 0 || wait > 200*time.Millisecond {
				t.Fatalf("second call at once: wait %s (%v), want a refusal of at most the new interval", wait, err)
			}
		})
	}
}

// Two instances' limiters over one budget, each with its own in-process
// gate at the full rate, let the burst through between them: the shared
// budget decides, not the sum of the gates. A caller whose deadline comes
// before the next call is refused at once rather than held.
func TestSharedRateAcrossInstances(t *testing.T) {
	t.Parallel()
	for name, budgets := range sharedBudgets() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := budgets(t)
			rate := providers.Rate{PerSecond: 1.0 / 3600, Burst: 3}
			limiters := []*providers.SharedRate{
				providers.NewSharedRate(b[0], domain.ProviderBuiltWith, rate, nil),
				providers.NewSharedRate(b[1], domain.ProviderBuiltWith, rate, nil),
			}
			admitted := 0
			for i := range 10 {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				err := limiters[i%2].Wait(ctx)
				cancel()
				switch {
				case err == nil:
					admitted++
				case errors.Is(err, context.DeadlineExceeded):
					t.Fatalf("wait %d held its caller until the deadline instead of refusing at once", i)
				}
			}
			if admitted != 3 {
				t.Fatalf("two instances admitted %d calls, want the burst of 3", admitted)
			}
		})
	}
}

// failingBudget is a store that cannot answer.
type failingBudget struct{}

func (failingBudget) TakeCall(context.Context, string, time.Duration, int) (time.Duration, error) {
	return 0, errors.New("connection refused")
}

// When the shared store cannot answer, calls still go ahead at the
// in-process rate: the burst, then refusals.
func TestSharedRateFallsBackToInstanceRate(t *testing.T) {
	t.Parallel()
	l := providers.NewSharedRate(failingBudget{}, domain.ProviderYahooFinance, providers.Rate{PerSecond: 1.0 / 3600, Burst: 2}, nil)
	admitted := 0
	for range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if l.Wait(ctx) == nil {
			admitted++
		}
		cancel()
	}
	if admitted != 2 {
		t.Fatalf("admitted %d calls without the shared store, want the in-process burst of 2", admitted)
	}
}
