package main

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/partnerforge/partnerforge/adapters/ratelimit"
)

// redisKeyPrefix starts the service's rate-limit keys in a shared Redis.
const redisKeyPrefix = "partnerforge:"

// newRateLimiter keeps the per-minute budgets in Redis when REDIS_URL is
// set, with the in-process limiter answering while Redis cannot, and in
// process otherwise. close releases the Redis client.
func newRateLimiter(cfg Config, reg prometheus.Registerer, log *slog.Logger) (limiter ratelimit.Limiter, close func(), err error) {
	if cfg.RedisURL == "" {
		log.Info("rate limits kept in process (REDIS_URL unset): budgets are per instance")
		return ratelimit.NewMemory(), func() {}, nil
	}
	client, err := ratelimit.NewRedisClient(cfg.RedisURL)
	if err != nil {
		return nil, nil, err
	}
	log.Info("rate limits kept in redis, shared by every instance")
	fallback := ratelimit.NewFallback(ratelimit.NewRedis(client, redisKeyPrefix), ratelimit.NewMemory(),
		log.With(slog.String("component", "ratelimit")), reg)
	return fallback, func() { _ = client.Close() }, nil
}
