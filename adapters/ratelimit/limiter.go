package ratelimit

import (
	"context"
	"time"
)

// Period is the window every budget is counted over.
const Period = time.Minute

// Result is the decision on one request and the state of its budget after it.
type Result struct {
	Allowed bool
	// Limit is the budget per Period.
	Limit int
	// Remaining is how many more requests the budget allows right now.
	Remaining int
	// RetryAfter is how long a refused caller must wait for one request; 0
	// when allowed.
	RetryAfter time.Duration
	// ResetAfter is how long until the budget is whole again.
	ResetAfter time.Duration
}

// Limiter spends one request of the budget named key, which allows
// perMinute requests per Period (perMinute ≥ 1).
type Limiter interface {
	Allow(ctx context.Context, key string, perMinute int) (Result, error)
}
