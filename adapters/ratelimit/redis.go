package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Redis keeps budgets in Redis, shared by every instance that uses the same
// server and prefix. The GCRA runs in Redis as one script per request
// (redis_rate's), so concurrent instances never both take the last request.
type Redis struct {
	limiter *redis_rate.Limiter
	prefix  string
}

// NewRedis spends budgets on client; prefix starts every key (redis_rate
// adds its own "rate:" before it), so several deployments or test runs can
// share one server.
func NewRedis(client *redis.Client, prefix string) *Redis {
	if client == nil {
		panic("ratelimit.NewRedis: nil client")
	}
	return &Redis{limiter: redis_rate.NewLimiter(client), prefix: prefix}
}

// Allow spends one request of key's budget.
func (r *Redis) Allow(ctx context.Context, key string, perMinute int) (Result, error) {
	if perMinute < 1 {
		return Result{}, fmt.Errorf("rate limit %s: budget %d per minute, want at least 1", key, perMinute)
	}
	res, err := r.limiter.Allow(ctx, r.prefix+key, redis_rate.PerMinute(perMinute))
	if err != nil {
		return Result{}, fmt.Errorf("rate limit %s in redis: %w", key, err)
	}
	out := Result{Allowed: res.Allowed > 0, Limit: perMinute, ResetAfter: res.ResetAfter}
	if out.Allowed {
		out.Remaining = remaining(perMinute, res.ResetAfter)
	} else {
		out.RetryAfter = res.RetryAfter
	}
	return out, nil
}

// remaining recomputes GCRA's remaining count from the time until the
// budget is whole: (period − reset) / emission interval. redis_rate returns
// the same quotient truncated in floating point, which turns 99 into 98 for
// intervals such as 0.6 s (100 a minute); a microsecond of slack, far below
// any interval, absorbs that error.
func remaining(perMinute int, resetAfter time.Duration) int {
	emission := Period / time.Duration(perMinute)
	return max(0, int((Period-resetAfter+time.Microsecond)/emission))
}

// Timeouts of the Redis client: a limiter that waits seconds for a sick
// server would hold every request; past these, Fallback answers instead.
const (
	redisDialTimeout = 250 * time.Millisecond
	redisIOTimeout   = 100 * time.Millisecond
)

// NewRedisClient connects to url (redis://[user:password@]host:port/db) with
// timeouts short enough for a per-request check. It does not dial: the
// first command does.
func NewRedisClient(url string) (*redis.Client, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		// The parser's message can quote the URL, password included.
		return nil, fmt.Errorf("REDIS_URL is not a redis:// or rediss:// URL")
	}
	opts.DialTimeout = redisDialTimeout
	opts.ReadTimeout = redisIOTimeout
	opts.WriteTimeout = redisIOTimeout
	// One attempt: a retry would multiply the wait before Fallback answers.
	opts.MaxRetries = -1
	opts.DialerRetries = 1
	return redis.NewClient(opts), nil
}

// Reserve takes up to n requests of key's budget in one round trip and says
// how many it got (0 when the budget is spent): Leasing spends them in
// process. The Result describes the budget after the reservation.
func (r *Redis) Reserve(ctx context.Context, key string, perMinute, n int) (int, Result, error) {
	if perMinute < 1 || n < 1 {
		return 0, Result{}, fmt.Errorf("rate limit %s: reserve %d of a budget of %d per minute, want at least 1 of at least 1", key, n, perMinute)
	}
	res, err := r.limiter.AllowAtMost(ctx, r.prefix+key, redis_rate.PerMinute(perMinute), n)
	if err != nil {
		return 0, Result{}, fmt.Errorf("rate limit %s in redis: reserve %d: %w", key, n, err)
	}
	out := Result{Allowed: res.Allowed > 0, Limit: perMinute, ResetAfter: res.ResetAfter}
	if out.Allowed {
		out.Remaining = remaining(perMinute, res.ResetAfter)
	} else {
		out.RetryAfter = res.RetryAfter
	}
	return res.Allowed, out, nil
}
