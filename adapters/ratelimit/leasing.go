package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Tuning of Leasing. A batch is what the key spent on this instance in the
// last demandWindow, at most maxBatch, and at most half of what Redis last
// said was left, so batches shrink to one request near the limit; a key with
// fewer than minDemand requests in the last demandWindow is quiet and
// reserves one at a time. Reserved requests not spent within leaseTTL of the
// last reservation are dropped, so an instance never sits for long on budget
// another instance could use; an instance holds at most two batches, about
// two demandWindows of a steady key's requests, so leaseTTL is two windows:
// while a key stays busy at a steady rate nothing it reserved lapses.
const (
	demandWindow = time.Second
	leaseTTL     = 2 * demandWindow
	maxBatch     = 50
	minDemand    = 4
	// reserveTimeout bounds a reservation made ahead of need, which has no
	// caller's context to follow.
	reserveTimeout = time.Second
)

// Reserver takes up to n requests of a budget in one decision; Redis is one.
type Reserver interface {
	Reserve(ctx context.Context, key string, perMinute, n int) (granted int, res Result, err error)
}

// Leasing spends budgets kept in a shared Reserver (Redis) with fewer round
// trips: for a key this instance serves often it reserves a small batch of
// requests at once and spends them in process, and it reserves the next
// batch in the background before the last one runs out, so a busy key's
// requests seldom wait for Redis. A quiet key (fewer than four requests a
// second on this instance) and a key near its limit reserve one request at a
// time, so their answers are exact.
//
// Every request it allows was reserved in Redis first, so all instances
// together never let more than a budget through. The price is that a
// reservation one instance has not spent yet is not available to another:
// at most two batches per instance and key, for at most leaseTTL, after
// which they are dropped (they refill in Redis like any spent request).
//
// Result.Remaining for a request spent in process is what Redis said was
// left after this instance's last reservation plus what this instance still
// holds: it does not see what other instances spent since, nor what refilled
// since (at most leaseTTL's worth), so it is approximate for hot keys and
// exact for quiet ones. A refusal is always Redis's own answer.
type Leasing struct {
	shared Reserver
	now    func() time.Time

	mu         sync.Mutex
	leases     map[string]*lease
	lastSweep  time.Time
	background sync.WaitGroup
}

// lease is what one instance knows and holds of one budget.
type lease struct {
	perMinute int
	// tokens are requests reserved in Redis and not yet spent; they are
	// dropped at expires.
	tokens  int
	expires time.Time
	// remaining and resetAt are what Redis said after the last reservation.
	remaining int
	resetAt   time.Time
	lastBatch int
	lastSeen  time.Time
	// count is the requests in the window that started at windowStart
	// (demandWindow long), prevCount those of the window before: the key's
	// recent demand on this instance.
	windowStart      time.Time
	count, prevCount int
	// fetching is set while a reservation is in flight (at most one per
	// key); done is closed when it ends.
	fetching bool
	done     chan struct{}
}

// NewLeasing spends budgets kept in shared.
func NewLeasing(shared Reserver) *Leasing { return NewLeasingWithClock(shared, time.Now) }

// NewLeasingWithClock reads the time that decides which keys are hot and
// when reservations lapse from now; the budgets themselves stay on the
// shared limiter's clock.
func NewLeasingWithClock(shared Reserver, now func() time.Time) *Leasing {
	if shared == nil || now == nil {
		panic("ratelimit.NewLeasing: nil dependency")
	}
	return &Leasing{shared: shared, now: now, leases: map[string]*lease{}, lastSweep: now()}
}

// Allow spends one request of key's budget: from this instance's
// reservation when it holds one, otherwise from Redis.
func (l *Leasing) Allow(ctx context.Context, key string, perMinute int) (Result, error) {
	if perMinute < 1 {
		return Result{}, fmt.Errorf("rate limit %s: budget %d per minute, want at least 1", key, perMinute)
	}
	l.mu.Lock()
	now := l.now()
	l.sweep(now)
	l.leaseOf(key, perMinute, now).seen(now)
	for {
		now := l.now()
		ls := l.leaseOf(key, perMinute, now)
		if ls.tokens > 0 {
			res := ls.spend(now)
			l.reserveAhead(key, ls)
			l.mu.Unlock()
			return res, nil
		}
		if ls.fetching {
			// Another request is asking Redis for this key: what it
			// reserves may cover this one too.
			done := ls.done
			l.mu.Unlock()
			select {
			case <-done:
			case <-ctx.Done():
				return Result{}, fmt.Errorf("rate limit %s: %w", key, ctx.Err())
			}
			l.mu.Lock()
			continue
		}
		n := ls.batch()
		ls.startFetch(n)
		l.mu.Unlock()
		return l.reserveNow(ctx, key, ls, n)
	}
}

// reserveNow asks Redis for n requests on behalf of a waiting caller, who
// takes the first.
func (l *Leasing) reserveNow(ctx context.Context, key string, ls *lease, n int) (Result, error) {
	granted, res, err := l.shared.Reserve(ctx, key, ls.perMinute, n)
	l.mu.Lock()
	defer l.mu.Unlock()
	defer ls.endFetch()
	if err != nil {
		return Result{}, err
	}
	if granted == 0 {
		ls.remaining = 0
		return res, nil
	}
	now := l.now()
	ls.reserved(granted-1, res, now)
	res.Remaining = ls.remaining + ls.tokens
	return res, nil
}

// reserveAhead starts reserving the next batch as soon as the last one is
// being spent, so a busy key's next requests do not wait for Redis: an
// instance holds at most two batches of a key.
// A quiet key, and one Redis said was spent or nearly so, gets no
// reservation ahead: its requests go to Redis one by one. Called with l.mu
// held.
func (l *Leasing) reserveAhead(key string, ls *lease) {
	if ls.fetching || ls.tokens >= ls.lastBatch || ls.remaining < 2 {
		return
	}
	n := ls.batch()
	if n < 2 {
		return
	}
	ls.startFetch(n)
	l.background.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), reserveTimeout)
		defer cancel()
		granted, res, err := l.shared.Reserve(ctx, key, ls.perMinute, n)
		l.mu.Lock()
		defer l.mu.Unlock()
		defer ls.endFetch()
		// A failure is left to the next request that finds nothing held:
		// it asks Redis itself and gets the error to act on.
		if err == nil && granted > 0 {
			ls.reserved(granted, res, l.now())
		}
	})
}

// leaseOf returns key's lease, new when the budget's size changed, with
// lapsed reservations dropped. Called with l.mu held.
func (l *Leasing) leaseOf(key string, perMinute int, now time.Time) *lease {
	ls := l.leases[key]
	if ls == nil || (ls.perMinute != perMinute && !ls.fetching) {
		ls = &lease{perMinute: perMinute, remaining: perMinute}
		l.leases[key] = ls
	}
	if ls.tokens > 0 && !now.Before(ls.expires) {
		ls.tokens = 0
	}
	return ls
}

// sweep forgets the leases of keys quiet for two leaseTTLs (by then nothing
// they held is valid and their demand is forgotten), so keys seen once do
// not stay in memory for ever.
func (l *Leasing) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < sweepEvery {
		return
	}
	l.lastSweep = now
	for k, ls := range l.leases {
		if !ls.fetching && now.Sub(ls.lastSeen) >= 2*leaseTTL {
			delete(l.leases, k)
		}
	}
}

// Close waits for the reservations in flight in the background.
func (l *Leasing) Close() { l.background.Wait() }

// Len is how many keys have a lease; for tests.
func (l *Leasing) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.leases)
}

// Held is how many reserved requests this instance holds for key; for tests.
func (l *Leasing) Held(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ls := l.leases[key]; ls != nil && l.now().Before(ls.expires) {
		return ls.tokens
	}
	return 0
}

// seen counts one request in the key's demand.
func (ls *lease) seen(now time.Time) {
	ls.lastSeen = now
	if elapsed := now.Sub(ls.windowStart); elapsed >= demandWindow {
		ls.prevCount = 0
		if elapsed < 2*demandWindow {
			ls.prevCount = ls.count
		}
		ls.count, ls.windowStart = 0, now
	}
	ls.count++
}

// batch is how many requests to reserve: one for a quiet key, else what the
// key spent on this instance in the last demandWindow, up to maxBatch, and at
// most half of what Redis last said was left; at least one.
func (ls *lease) batch() int {
	demand := max(ls.count, ls.prevCount)
	if demand < minDemand {
		return 1
	}
	return max(1, min(maxBatch, ls.remaining/2, demand))
}

func (ls *lease) startFetch(n int) {
	ls.fetching, ls.done, ls.lastBatch = true, make(chan struct{}), n
}

func (ls *lease) endFetch() {
	ls.fetching = false
	close(ls.done)
}

// reserved adds n requests Redis granted to what ls holds.
func (ls *lease) reserved(n int, res Result, now time.Time) {
	ls.tokens += n
	ls.expires = now.Add(leaseTTL)
	ls.remaining = res.Remaining
	ls.resetAt = now.Add(res.ResetAfter)
}

// spend takes one held request. The budget is whole no sooner than one
// emission interval from now, as this request was just spent.
func (ls *lease) spend(now time.Time) Result {
	ls.tokens--
	emission := Period / time.Duration(ls.perMinute)
	return Result{
		Allowed:    true,
		Limit:      ls.perMinute,
		Remaining:  ls.remaining + ls.tokens,
		ResetAfter: min(Period, max(ls.resetAt.Sub(now), emission)),
	}
}
