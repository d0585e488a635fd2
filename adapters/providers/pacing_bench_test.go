package providers_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/domain"
)

// BenchmarkProviderRateWait measures what pacing adds to each provider call:
// one Wait at a rate so high that it never holds a call back, so the figure
// is the bookkeeping alone. The baseline in the same run is the in-process
// token bucket of a single instance; the shared budgets pay a round trip to
// PostgreSQL (one GCRA row update) or Redis (one script) on top of it.
//
//	go test -run '^$' -bench ProviderRateWait -benchtime 2000x ./adapters/providers
func BenchmarkProviderRateWait(b *testing.B) {
	huge := providers.Rate{PerSecond: 1e9, Burst: 1 << 30}
	waiters := map[string]func(b *testing.B) providers.Waiter{
		"local": func(*testing.B) providers.Waiter {
			return rate.NewLimiter(rate.Limit(huge.PerSecond), huge.Burst)
		},
	}
	for name, budgets := range sharedBudgets() {
		waiters[name] = func(b *testing.B) providers.Waiter {
			return providers.NewSharedRate(budgets(b)[0], domain.ProviderBuiltWith, huge, nil)
		}
	}
	per := map[string]time.Duration{}
	for _, name := range []string{"local", "postgres", "redis"} {
		b.Run(name, func(b *testing.B) {
			w := waiters[name](b)
			ctx := context.Background()
			for range 10 { // warm the connection
				if err := w.Wait(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				if err := w.Wait(ctx); err != nil {
					b.Fatal(err)
				}
			}
			per[name] = time.Since(start) / time.Duration(b.N)
		})
	}
	if base := per["local"]; base > 0 {
		fmt.Fprintf(os.Stdout, "\nprovider rate wait per call: local %s", base.Round(time.Nanosecond))
		for _, name := range []string{"postgres", "redis"} {
			if d, ok := per[name]; ok {
				fmt.Fprintf(os.Stdout, ", %s %s (×%.0f)", name, d.Round(time.Microsecond), float64(d)/float64(base))
			}
		}
		fmt.Fprintln(os.Stdout)
	}
}
