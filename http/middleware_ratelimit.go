package httpapi

import (
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/partnerforge/partnerforge/adapters/ratelimit"
	"github.com/partnerforge/partnerforge/domain"
)

// Rate-limit response headers: the budget the request spent, what is left
// of it, and when it is whole again (Unix seconds).
const (
	HeaderRateLimitLimit     = "X-RateLimit-Limit"
	HeaderRateLimitRemaining = "X-RateLimit-Remaining"
	HeaderRateLimitReset     = "X-RateLimit-Reset"
	HeaderRetryAfter         = "Retry-After"
)

// Budget names, as the RATE_LIMITED error's details.budget gives them.
const (
	BudgetReads       = "reads"
	BudgetWrites      = "writes"
	BudgetEnrichments = "enrichments"
)

// budgetOf says which per-minute budget a request spends and how large it
// is for the tier: GET and HEAD read, every other method writes.
func budgetOf(method string, limits domain.Limits) (name string, perMinute int) {
	if method == http.MethodGet || method == http.MethodHead {
		return BudgetReads, limits.ReadsPerMinute
	}
	return BudgetWrites, limits.WritesPerMinute
}

// rateLimit spends one request of the caller's read or write budget per
// /api request, per key id, and refuses with 429 RATE_LIMITED once it is
// spent. It runs right after authentication: a request without a principal
// was not authenticated (routes outside /api, or before keys exist) and
// passes untouched. Admin keys are unlimited and get no rate-limit headers.
//
// When the limiter itself fails (serve wraps Redis in ratelimit.Fallback,
// so that takes more than Redis being down) the request is let through and
// the failure logged: an error in the limiter must not take the API down.
func rateLimit(l ratelimit.Limiter, log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, ok := principalOf(c)
		if !ok || !strings.HasPrefix(c.Request.URL.Path, "/api/") {
			c.Next()
			return
		}
		budget, perMinute := budgetOf(c.Request.Method, p.Tier.Limits())
		if perMinute == domain.Unlimited {
			c.Next()
			return
		}
		if perMinute < 1 {
			// A tier without this budget may not spend it at all.
			refuseRateLimited(c, budget, ratelimit.Result{RetryAfter: ratelimit.Period, ResetAfter: ratelimit.Period}, time.Now())
			return
		}
		now := time.Now()
		res, err := l.Allow(c.Request.Context(), budget+":"+p.KeyID.String(), perMinute)
		if err != nil {
			log.LogAttrs(c.Request.Context(), slog.LevelWarn, "rate limit not checked; request let through",
				slog.String("request_id", RequestID(c.Request.Context())), slog.String("key_id", p.KeyID.String()),
				slog.String("budget", budget), slog.String("error", err.Error()))
			c.Next()
			return
		}
		if !res.Allowed {
			refuseRateLimited(c, budget, res, now)
			return
		}
		setRateLimitHeaders(c, res.Limit, res.Remaining, now.Add(res.ResetAfter))
		c.Next()
	}
}

// setRateLimitHeaders describes a budget: its size, what is left, and when
// it is whole again, rounded up to the second so a client that waits until
// then finds it whole.
func setRateLimitHeaders(c *gin.Context, limit, remaining int, reset time.Time) {
	h := c.Writer.Header()
	h.Set(HeaderRateLimitLimit, strconv.Itoa(limit))
	h.Set(HeaderRateLimitRemaining, strconv.Itoa(max(remaining, 0)))
	h.Set(HeaderRateLimitReset, strconv.FormatInt(ceilUnix(reset), 10))
}

// refuseRateLimited answers 429 RATE_LIMITED for a spent per-minute budget.
func refuseRateLimited(c *gin.Context, budget string, res ratelimit.Result, now time.Time) {
	setRateLimitHeaders(c, res.Limit, 0, now.Add(res.ResetAfter))
	wait := retryAfterSeconds(res.RetryAfter)
	c.Header(HeaderRetryAfter, strconv.Itoa(wait))
	abortWithError(c, http.StatusTooManyRequests, CodeRateLimited,
		"the "+budget+" budget of this API key is spent; retry in "+strconv.Itoa(wait)+" s",
		map[string]any{"budget": budget, "limit": res.Limit, "period": "minute", "retry_after_seconds": wait})
}

// refuseDailyEnrichments answers 429 RATE_LIMITED for a spent daily
// enrichment budget: it is whole again at the next UTC midnight.
func refuseDailyEnrichments(c *gin.Context, e *domain.DailyLimitError, now time.Time) {
	setRateLimitHeaders(c, e.Limit, 0, e.ResetAt)
	wait := retryAfterSeconds(e.ResetAt.Sub(now))
	c.Header(HeaderRetryAfter, strconv.Itoa(wait))
	abortWithError(c, http.StatusTooManyRequests, CodeRateLimited,
		"this API key's owner has opened "+strconv.Itoa(e.Used)+" enrichment jobs today (UTC), the daily budget; it is whole again at midnight UTC",
		map[string]any{"budget": BudgetEnrichments, "limit": e.Limit, "period": "day", "retry_after_seconds": wait,
			"reset_at": e.ResetAt.UTC().Format(time.RFC3339)})
}

// retryAfterSeconds rounds a wait up to whole seconds, at least one, as
// Retry-After carries it.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}
