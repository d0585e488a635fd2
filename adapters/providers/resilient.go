package providers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/avast/retry-go/v4"
	"github.com/sony/gobreaker/v2"

	"github.com/partnerforge/partnerforge/domain"
)

// Config tunes a Resilient fetcher. Zero fields take the defaults below.
type Config struct {
	// AttemptTimeout bounds one attempt (default 10s).
	AttemptTimeout time.Duration
	// MaxAttempts is the number of attempts per Fetch, first one included
	// (default 3).
	MaxAttempts uint
	// BaseDelay is the first back-off delay, doubled for each retry
	// (default 200ms).
	BaseDelay time.Duration
	// MaxDelay caps one back-off delay (default 5s). A provider that asks us
	// (Retry-After) to wait longer than this is not retried within the Fetch:
	// the error carries RetryAfter so the job can be rescheduled instead.
	MaxDelay time.Duration
	// MaxJitter is the largest random delay added to each back-off
	// (default 100ms; negative disables jitter).
	MaxJitter time.Duration
	// BreakerFailures is how many consecutive unhealthy fetches (timeouts,
	// 5xx, 429 — after their retries) open the circuit (default 5).
	BreakerFailures uint32
	// BreakerRecovery is how long the circuit stays open before one probe
	// fetch is let through (default 30s).
	BreakerRecovery time.Duration

	// Limiter, when set, is waited on before every attempt: a
	// *rate.Limiter paces this instance, a SharedRate every instance.
	Limiter Waiter
	// Quota, when set, is charged once per Fetch before calling the provider.
	Quota Quota
	// Metrics, when set, records every Fetch.
	Metrics *Metrics
	// Logger receives retries and breaker transitions (default: discard).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.AttemptTimeout <= 0 {
		c.AttemptTimeout = 10 * time.Second
	}
	if c.MaxAttempts == 0 {
		// retry-go treats 0 as "until it succeeds": never what we want.
		c.MaxAttempts = 3
	}
	if c.BaseDelay <= 0 {
		c.BaseDelay = 200 * time.Millisecond
	}
	if c.MaxDelay <= 0 {
		c.MaxDelay = 5 * time.Second
	}
	if c.MaxJitter == 0 {
		c.MaxJitter = 100 * time.Millisecond
	}
	if c.BreakerFailures == 0 {
		c.BreakerFailures = 5
	}
	if c.BreakerRecovery <= 0 {
		c.BreakerRecovery = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Resilient decorates a Fetcher with, from the outside in: a circuit breaker
// (one observation per Fetch, after the retries), a daily quota, retries with
// exponential back-off and jitter, a rate limiter and a per-attempt timeout.
// It is safe for concurrent use; build one per provider and share it.
type Resilient struct {
	inner   Fetcher
	cfg     Config
	breaker *gobreaker.CircuitBreaker[fetched]
}

type fetched struct {
	data domain.ProviderData
	meta Meta
}

// errQuotaCheck marks a failure of the quota store itself, which says nothing
// about the provider's health.
var errQuotaCheck = errors.New("check daily quota")

// NewResilient wraps inner. It panics on a nil inner, a programming error.
func NewResilient(inner Fetcher, cfg Config) *Resilient {
	if inner == nil {
		panic("providers.NewResilient: nil Fetcher")
	}
	cfg = cfg.withDefaults()
	p := inner.Provider()
	r := &Resilient{inner: inner, cfg: cfg}
	r.breaker = gobreaker.NewCircuitBreaker[fetched](gobreaker.Settings{
		Name:        string(p),
		MaxRequests: 1, // one probe while half-open
		Timeout:     cfg.BreakerRecovery,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= cfg.BreakerFailures
		},
		OnStateChange: func(_ string, from, to gobreaker.State) {
			cfg.Metrics.setCircuit(p, to)
			cfg.Logger.Warn("provider circuit breaker changed state",
				slog.String("provider", string(p)),
				slog.String("from", from.String()), slog.String("to", to.String()))
		},
		// A provider that answered — even "not found" or "bad key" — is
		// healthy; only timeouts, 5xx and 429 count against it.
		IsSuccessful: func(err error) bool {
			return err == nil || !AsError(err).unhealthy()
		},
		// Failures that never reached the provider neither open nor close
		// the circuit.
		IsExcluded: func(err error) bool {
			return errors.Is(err, ErrQuotaExhausted) || errors.Is(err, errQuotaCheck) ||
				errors.Is(err, ErrRateLimitWait) || errors.Is(err, context.Canceled)
		},
	})
	cfg.Metrics.setCircuit(p, gobreaker.StateClosed)
	return r
}

// Provider names the wrapped provider.
func (r *Resilient) Provider() domain.Provider { return r.inner.Provider() }

// Fetch runs the wrapped fetch under the resilience policies. On failure the
// error is always an *Error with Attempts set; Meta.Attempts is the same count.
func (r *Resilient) Fetch(ctx context.Context, req Request) (domain.ProviderData, Meta, error) {
	start := time.Now()
	p := r.Provider()
	attempts := 0
	res, err := r.breaker.Execute(func() (fetched, error) {
		if err := r.takeQuota(ctx); err != nil {
			return fetched{}, err
		}
		return r.retry(ctx, req, &attempts)
	})
	latency := time.Since(start)
	if err != nil {
		e := r.failure(err, attempts)
		r.cfg.Metrics.observe(p, string(e.Code), latency)
		r.cfg.Logger.Info("provider fetch failed",
			slog.String("provider", string(p)), slog.String("domain", req.Domain),
			slog.String("code", string(e.Code)), slog.Int("http_status", e.HTTPStatus),
			slog.Int("attempts", attempts), slog.Duration("latency", latency))
		return domain.ProviderData{}, Meta{HTTPStatus: e.HTTPStatus, Attempts: attempts, Latency: latency}, e
	}
	res.meta.Attempts = attempts
	res.meta.Latency = latency
	r.cfg.Metrics.observe(p, "ok", latency)
	return res.data, res.meta, nil
}

func (r *Resilient) failure(err error, attempts int) *Error {
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return &Error{
			Code:    domain.FailureCircuitOpen,
			Message: fmt.Sprintf("%s circuit breaker is open; provider not called", r.Provider()),
			Err:     err,
		}
	}
	e := *AsError(err)
	e.Attempts = attempts
	return &e
}

func (r *Resilient) takeQuota(ctx context.Context) error {
	if r.cfg.Quota == nil {
		return nil
	}
	p := r.Provider()
	remaining, err := r.cfg.Quota.Take(ctx, p)
	switch {
	case errors.Is(err, ErrQuotaExhausted):
		r.cfg.Metrics.setQuota(p, 0)
		return &Error{Code: domain.FailureQuotaExhausted, Message: fmt.Sprintf("%s daily quota used up; provider not called", p), Err: err}
	case err != nil && ctx.Err() != nil:
		return &Error{Code: domain.FailureTimeout, Message: "checking daily quota", Err: fmt.Errorf("%w: %w", errQuotaCheck, err)}
	case err != nil:
		// The quota store failing is not the provider's fault, but calling a
		// paid API without knowing the budget is worse than failing this fetch.
		return &Error{Code: domain.FailureUpstreamError, Message: "checking daily quota", Err: fmt.Errorf("%w: %w", errQuotaCheck, err)}
	}
	r.cfg.Metrics.setQuota(p, remaining)
	return nil
}

func (r *Resilient) retry(ctx context.Context, req Request, attempts *int) (fetched, error) {
	var last *Error
	res, err := retry.DoWithData(func() (fetched, error) {
		if r.cfg.Limiter != nil {
			if err := r.cfg.Limiter.Wait(ctx); err != nil {
				return fetched{}, retry.Unrecoverable(&Error{
					Code:    domain.FailureRateLimited,
					Message: fmt.Sprintf("%s not called", r.Provider()),
					Err:     fmt.Errorf("%w: %w", ErrRateLimitWait, err),
				})
			}
		}
		*attempts++
		actx, cancel := context.WithTimeout(ctx, r.cfg.AttemptTimeout)
		defer cancel()
		data, meta, err := r.inner.Fetch(actx, req)
		// A refusal carries the credits header as well as a success does.
		r.cfg.Metrics.setCredits(r.Provider(), meta.CreditsRemaining)
		if err != nil {
			last = AsError(err)
			if ctx.Err() != nil {
				// The caller gave up; another attempt would fail the same way.
				return fetched{}, retry.Unrecoverable(last)
			}
			return fetched{}, last
		}
		return fetched{data: data, meta: meta}, nil
	}, r.retryOptions(ctx, req)...)
	if err != nil && last != nil && !errors.As(err, new(*Error)) {
		// The context ended while waiting between attempts: report the
		// timeout, keeping what the provider last said.
		return fetched{}, &Error{
			Code: domain.FailureTimeout, HTTPStatus: last.HTTPStatus,
			Message: "gave up waiting to retry after: " + last.Error(), Err: err,
		}
	}
	return res, err
}

func (r *Resilient) retryOptions(ctx context.Context, req Request) []retry.Option {
	backoff := retry.BackOffDelay
	if r.cfg.MaxJitter > 0 {
		// RandomDelay panics on a zero MaxJitter, hence the guard.
		backoff = retry.CombineDelay(retry.BackOffDelay, retry.RandomDelay)
	}
	opts := []retry.Option{
		retry.Context(ctx),
		retry.Attempts(r.cfg.MaxAttempts),
		retry.Delay(r.cfg.BaseDelay),
		retry.MaxDelay(r.cfg.MaxDelay),
		retry.DelayType(honourRetryAfter(backoff)),
		retry.LastErrorOnly(true),
		retry.RetryIf(r.shouldRetry),
		retry.OnRetry(func(n uint, err error) {
			r.cfg.Logger.Debug("retrying provider fetch",
				slog.String("provider", string(r.Provider())), slog.String("domain", req.Domain),
				slog.Int("attempt", int(n)+1), slog.String("code", string(AsError(err).Code)))
		}),
	}
	if r.cfg.MaxJitter > 0 {
		opts = append(opts, retry.MaxJitter(r.cfg.MaxJitter))
	}
	return opts
}

// shouldRetry must check retry.IsRecoverable itself: a custom RetryIf replaces
// retry-go's default check, and Unrecoverable errors would otherwise be retried.
func (r *Resilient) shouldRetry(err error) bool {
	if !retry.IsRecoverable(err) {
		return false
	}
	e := AsError(err)
	// retry-go caps every delay at MaxDelay; waiting less than the provider
	// asked would only earn another 429.
	return e.Retryable() && e.RetryAfter <= r.cfg.MaxDelay
}

// honourRetryAfter waits at least as long as the provider's Retry-After.
func honourRetryAfter(backoff retry.DelayTypeFunc) retry.DelayTypeFunc {
	return func(n uint, err error, c *retry.Config) time.Duration {
		d := backoff(n, err, c)
		var e *Error
		if errors.As(err, &e) && e.RetryAfter > d {
			d = e.RetryAfter
		}
		return d
	}
}
