package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// fallbackCooldown is how long Fallback answers from memory after the
// primary failed before it tries the primary again: while Redis is down,
// one request per cooldown pays for the failed attempt, not every request.
const fallbackCooldown = time.Second

// Fallback spends budgets on a primary limiter (Redis) and, when it fails,
// on a secondary one (Memory) until the primary answers again. A Redis
// outage then neither stops the API (fail closed) nor lifts every limit
// (fail open): each instance keeps the budgets on its own, so a key can
// spend at most its budget on each instance while Redis is down.
//
// It logs one warning when it switches to the secondary and one line when
// the primary is back, and counts every request the secondary decides.
type Fallback struct {
	primary, secondary Limiter
	log                *slog.Logger
	fallbacks          prometheus.Counter
	now                func() time.Time

	mu         sync.Mutex
	down       bool
	retryAfter time.Time // when to try the primary again
}

// NewFallback puts secondary behind primary. reg may be nil (no metric).
func NewFallback(primary, secondary Limiter, log *slog.Logger, reg prometheus.Registerer) *Fallback {
	if primary == nil || secondary == nil || log == nil {
		panic("ratelimit.NewFallback: nil dependency")
	}
	f := &Fallback{
		primary: primary, secondary: secondary, log: log, now: time.Now,
		fallbacks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "partnerforge_ratelimit_fallback_total",
			Help: "Requests whose rate limit was decided in process because the shared limiter (Redis) failed.",
		}),
	}
	if reg != nil {
		reg.MustRegister(f.fallbacks)
	}
	return f
}

// Allow spends one request on the primary, or on the secondary while the
// primary is failing.
func (f *Fallback) Allow(ctx context.Context, key string, perMinute int) (Result, error) {
	if f.tryPrimary() {
		res, err := f.primary.Allow(ctx, key, perMinute)
		if err == nil {
			f.primaryAnswered()
			return res, nil
		}
		if ctx.Err() != nil {
			// The caller went away: not the primary's fault.
			return Result{}, err
		}
		f.primaryFailed(err)
	}
	f.fallbacks.Inc()
	return f.secondary.Allow(ctx, key, perMinute)
}

func (f *Fallback) tryPrimary() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.down || !f.now().Before(f.retryAfter)
}

func (f *Fallback) primaryAnswered() {
	f.mu.Lock()
	wasDown := f.down
	f.down = false
	f.mu.Unlock()
	if wasDown {
		f.log.Info("rate limiter: shared budgets are back in redis")
	}
}

func (f *Fallback) primaryFailed(err error) {
	f.mu.Lock()
	wasDown := f.down
	f.down, f.retryAfter = true, f.now().Add(fallbackCooldown)
	f.mu.Unlock()
	if !wasDown {
		f.log.Warn("rate limiter: redis failed; budgets are kept per instance until it answers",
			slog.String("error", err.Error()))
	}
}

// Fallbacks is how many requests the secondary decided; for tests.
func (f *Fallback) Fallbacks() float64 {
	return counterValue(f.fallbacks)
}
