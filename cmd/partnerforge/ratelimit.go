package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/partnerforge/partnerforge/adapters/ratelimit"
)

// redisKeyPrefix starts the service's rate-limit keys in a shared Redis.
const redisKeyPrefix = "partnerforge:"

// newRateLimiter keeps the per-minute budgets in Redis when REDIS_URL is
// set, reserved in small batches for busy keys (ratelimit.Leasing) so most
// requests do not wait for Redis, with the in-process limiter answering
// while Redis cannot; in process otherwise. close waits for reservations in
// flight and releases the Redis client.
func newRateLimiter(cfg Config, reg prometheus.Registerer, log *slog.Logger) (limiter ratelimit.Limiter, close func(), err error) {
	if cfg.RedisURL == "" {
		log.Info("rate limits kept in process (REDIS_URL unset): budgets are per instance")
		return ratelimit.NewMemory(), func() {}, nil
	}
	client, err := ratelimit.NewRedisClient(cfg.RedisURL)
	if err != nil {
		return nil, nil, err
	}
	redis.SetLogger(redisLog{log.With(slog.String("component", "redis"))})
	log.Info("rate limits kept in redis, shared by every instance")
	leasing := ratelimit.NewLeasing(ratelimit.NewRedis(client, redisKeyPrefix))
	fallback := ratelimit.NewFallback(leasing, ratelimit.NewMemory(),
		log.With(slog.String("component", "ratelimit")), reg)
	return fallback, func() {
		leasing.Close()
		_ = client.Close()
	}, nil
}

// redisLog takes go-redis's own log lines (a failed dial, once per attempt)
// into the structured log at debug level: ratelimit.Fallback already says
// once, as a warning, that Redis is down.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, fmt.Sprintf(format, v...))
}
