package ratelimit

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
)

// flaky fails while down is set and counts its calls.
type flaky struct {
	down  bool
	calls int
}

func (f *flaky) Allow(context.Context, string, int) (Result, error) {
	f.calls++
	if f.down {
		return Result{}, errors.New("connection refused")
	}
	return Result{Allowed: true, Limit: 1, Remaining: 42}, nil
}

// While the primary is down it is tried once per cooldown, not per request,
// and it takes over again as soon as it answers.
func TestFallbackRetriesThePrimaryAfterTheCooldown(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	primary := &flaky{down: true}
	f := NewFallback(primary, NewMemory(), slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	f.now = func() time.Time { return now }
	ctx := context.Background()

	for range 10 {
		if _, err := f.Allow(ctx, "k", 100); err != nil {
			t.Fatal(err)
		}
	}
	if primary.calls != 1 {
		t.Fatalf("primary tried %d times within the cooldown, want 1", primary.calls)
	}
	primary.down = false
	now = now.Add(fallbackCooldown)
	res, err := f.Allow(ctx, "k", 100)
	if err != nil || res.Remaining != 42 || primary.calls != 2 {
		t.Fatalf("after the cooldown: %+v, %v, %d calls; want the primary's answer", res, err, primary.calls)
	}
	if got := f.Fallbacks(); got != 10 {
		t.Fatalf("fallback counter %v, want 10", got)
	}
}
