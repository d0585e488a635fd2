package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// ProviderCalls keeps the providers' call rates in Redis, shared by every
// instance using the same server and prefix, with the same GCRA script as
// the API keys' budgets. It implements providers.CallBudget; without Redis,
// PostgreSQL keeps them (postgres.ProviderRates).
type ProviderCalls struct {
	limiter *redis_rate.Limiter
	prefix  string
}

// NewProviderCalls spends provider calls on client under keys starting with
// prefix.
func NewProviderCalls(client *redis.Client, prefix string) *ProviderCalls {
	if client == nil {
		panic("ratelimit.NewProviderCalls: nil client")
	}
	return &ProviderCalls{limiter: redis_rate.NewLimiter(client), prefix: prefix}
}

// TakeCall spends one call of provider's budget (a call every interval,
// burst at once) and returns 0, or spends nothing and returns how long
// until a call fits.
func (c *ProviderCalls) TakeCall(ctx context.Context, provider string, interval time.Duration, burst int) (time.Duration, error) {
	if interval <= 0 || burst < 1 {
		return 0, fmt.Errorf("take %s call: interval %s and burst %d, want both above 0", provider, interval, burst)
	}
	// One call per period of one interval: redis_rate's emission interval
	// is Period/Rate, which keeps fractional rates (0.5 a second) exact.
	// The key names the rate: redis_rate would make a raised rate wait out
	// what the slower one scheduled, so a new rate starts a budget of its
	// own (the old key expires once it would be whole again).
	key := fmt.Sprintf("%sprovider:%s:%d/%d", c.prefix, provider, interval.Microseconds(), burst)
	res, err := c.limiter.Allow(ctx, key, redis_rate.Limit{Rate: 1, Burst: burst, Period: interval})
	if err != nil {
		return 0, fmt.Errorf("take %s call in redis: %w", provider, err)
	}
	if res.Allowed > 0 {
		return 0, nil
	}
	return max(res.RetryAfter, time.Millisecond), nil
}
