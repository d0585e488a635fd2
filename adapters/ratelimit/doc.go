// Package ratelimit keeps the per-minute request budgets of API keys, and
// the providers' call rates in Redis.
//
// Limiter is the port the HTTP layer spends budgets through. Two
// implementations share one algorithm, GCRA (the generic cell rate
// algorithm), so a budget means the same thing whichever one serves it:
//
//   - Redis, over github.com/go-redis/redis_rate, when REDIS_URL is set: one
//     budget shared by every instance of the service;
//   - Memory, in process, for a single instance (the `make run` default).
//
// A budget of n per minute allows a burst of n and then one request every
// minute/n: it never lets more than n through in any sliding minute, and it
// refills smoothly rather than all at once at the top of a minute.
//
// Leasing sits in front of Redis: for a key one instance serves many
// requests for, it reserves small batches in Redis and spends them in
// process, so most requests make no round trip (see leasing.go).
//
// Fallback puts Memory behind Redis when Redis cannot answer: budgets are
// then kept per instance until Redis is back (see docs/api.md).
//
// ProviderCalls, apart from the API keys' budgets, keeps the providers' call
// rates in Redis with the same GCRA script, so every instance together
// calls a provider no faster than its configured rate (see
// providers.SharedRate; without Redis, postgres.ProviderRates keeps them).
package ratelimit
