package providers

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/partnerforge/partnerforge/domain"
)

// Waiter holds a caller back until one more call fits a provider's rate:
// *rate.Limiter for one instance, SharedRate for several.
type Waiter interface {
	Wait(ctx context.Context) error
}

// Rate is a provider's call rate: PerSecond calls a second on average,
// Burst at once.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Interval is the time between two calls at the steady rate.
func (r Rate) Interval() time.Duration {
	return time.Duration(float64(time.Second) / r.PerSecond)
}

// CallBudget keeps providers' call rates where every instance spends them
// (PostgreSQL or Redis). TakeCall spends one call of provider's budget — a
// steady call every interval, burst at once — and returns 0 when it did;
// otherwise it spends nothing and returns how long until one call fits.
type CallBudget interface {
	TakeCall(ctx context.Context, provider string, interval time.Duration, burst int) (wait time.Duration, err error)
}

// SharedRate paces one provider's calls by a budget every instance spends,
// so n instances together call it no faster than its rate, not n times as
// fast. An in-process token bucket at the same rate is the first gate: it
// never refuses what the shared budget would allow (one instance alone
// cannot exceed the rate either), but it keeps this instance's waiting
// workers queued in process instead of asking the store in a loop. The
// shared budget decides.
//
// When the store cannot answer, calls go ahead at the in-process rate and
// the limiter says so once in the log: a provider called at most n times its
// rate for a while is better than no enrichment at all while PostgreSQL or
// Redis recovers; its 429s are then handled like any other.
type SharedRate struct {
	budget   CallBudget
	provider domain.Provider
	rate     Rate
	local    *rate.Limiter
	log      *slog.Logger
	degraded atomic.Bool
}

// NewSharedRate paces p's calls at r through budget.
func NewSharedRate(budget CallBudget, p domain.Provider, r Rate, log *slog.Logger) *SharedRate {
	if budget == nil || r.PerSecond <= 0 {
		panic("providers.NewSharedRate: nil budget or rate not above 0")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r.Burst = max(r.Burst, 1)
	return &SharedRate{budget: budget, provider: p, rate: r, local: rate.NewLimiter(rate.Limit(r.PerSecond), r.Burst), log: log}
}

// Wait returns once a call of the shared budget is spent, or with an error
// when ctx ends first or its deadline would pass before a call fits.
func (s *SharedRate) Wait(ctx context.Context) error {
	if err := s.local.Wait(ctx); err != nil {
		return err
	}
	for {
		wait, err := s.budget.TakeCall(ctx, string(s.provider), s.rate.Interval(), s.rate.Burst)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !s.degraded.Swap(true) {
				s.log.Warn("shared provider rate unavailable; pacing this instance alone until it answers",
					slog.String("provider", string(s.provider)), slog.Any("error", err))
			}
			return nil
		}
		if s.degraded.Swap(false) {
			s.log.Info("shared provider rate answers again", slog.String("provider", string(s.provider)))
		}
		if wait <= 0 {
			return nil
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			// As rate.Limiter does: no point waiting for a call that
			// cannot happen in time.
			return fmt.Errorf("%s: next call in %s would exceed the deadline", s.provider, wait.Round(time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
