package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// sweepEvery is how often Memory forgets budgets that are whole again, so
// keys seen once do not stay in memory for ever.
const sweepEvery = time.Minute

// Memory keeps budgets in process with the same GCRA as the Redis limiter,
// so the headers a client sees mean the same with and without Redis. Per
// budget it stores one time, the theoretical arrival time (TAT): a budget
// whose TAT is in the past is whole, and is forgotten by the next sweep.
type Memory struct {
	now func() time.Time

	mu        sync.Mutex
	tat       map[string]time.Time
	lastSweep time.Time
}

// NewMemory returns an empty in-process limiter on the wall clock.
func NewMemory() *Memory { return NewMemoryWithClock(time.Now) }

// NewMemoryWithClock returns an in-process limiter reading time from now.
func NewMemoryWithClock(now func() time.Time) *Memory {
	return &Memory{now: now, tat: map[string]time.Time{}, lastSweep: now()}
}

// Allow spends one request of key's budget. It mirrors redis_rate's GCRA
// with a burst equal to the rate.
func (m *Memory) Allow(_ context.Context, key string, perMinute int) (Result, error) {
	if perMinute < 1 {
		return Result{}, fmt.Errorf("rate limit %s: budget %d per minute, want at least 1", key, perMinute)
	}
	emission := Period / time.Duration(perMinute)
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.sweep(now)
	tat := m.tat[key]
	if tat.Before(now) {
		tat = now
	}
	newTAT := tat.Add(emission)
	// The request fits if the new TAT is at most one period ahead.
	diff := now.Sub(newTAT.Add(-Period))
	if diff < 0 {
		return Result{Limit: perMinute, RetryAfter: -diff, ResetAfter: tat.Sub(now)}, nil
	}
	m.tat[key] = newTAT
	return Result{Allowed: true, Limit: perMinute, Remaining: int(diff / emission), ResetAfter: newTAT.Sub(now)}, nil
}

func (m *Memory) sweep(now time.Time) {
	if now.Sub(m.lastSweep) < sweepEvery {
		return
	}
	m.lastSweep = now
	for k, tat := range m.tat {
		if !tat.After(now) {
			delete(m.tat, k)
		}
	}
}

// Len is how many budgets are held (not yet whole); for tests and metrics.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tat)
}
