package wakeup

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// horizonWatch holds the positions announced but perhaps not yet readable.
// A follower reads only events below the visibility horizon (no older
// transaction is still open: docs/event-store.md); waking it for an event
// still above the horizon would find nothing, and it would then rest until
// its fallback poll. So events wake followers once the horizon has passed
// them.
type horizonWatch struct {
	kick chan struct{}

	mu        sync.Mutex
	pending   bool
	low, high int64 // the lowest and highest position announced, not yet passed
}

func (h *horizonWatch) await(position int64) {
	h.mu.Lock()
	if !h.pending {
		h.pending, h.low, h.high = true, position, position
	} else {
		h.low, h.high = min(h.low, position), max(h.high, position)
	}
	h.mu.Unlock()
	kick(h.kick)
}

// Between two horizon checks while an older transaction holds the horizon
// below an announced event: the first check is immediate, the next ones
// back off so that a long transaction costs little.
const (
	minHorizonDelay = 2 * time.Millisecond
	maxHorizonDelay = 50 * time.Millisecond
)

// watchHorizon wakes the events' followers each time the horizon passes an
// announced position, until it has passed them all.
func (w *Wakeups) watchHorizon(ctx context.Context) {
	h := &w.horizon
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.kick:
		}
		delay := minHorizonDelay
		for ctx.Err() == nil {
			h.mu.Lock()
			pending, low := h.pending, h.low
			h.mu.Unlock()
			if !pending {
				break
			}
			horizon, err := w.readHorizon(ctx)
			if err != nil {
				if ctx.Err() == nil {
					w.log.Warn("read the visibility horizon; waking followers anyway", slog.Any("error", err))
				}
				horizon = 1<<63 - 1 // a hint either way; followers' polls find out
			}
			if horizon > low {
				w.fire(EventsChannel)
				h.mu.Lock()
				if h.high < horizon {
					h.pending = false
				} else {
					// What remains lies at or above the horizon just read.
					h.low = max(h.low, horizon)
				}
				h.mu.Unlock()
				delay = minHorizonDelay
				continue
			}
			sleep(ctx, delay)
			delay = min(delay*2, maxHorizonDelay)
		}
	}
}

// readHorizon returns the lowest position a transaction still open may
// write: every event below it is readable (positions are the writing
// transaction's id shifted left by 20 bits; sql/migrations/00001).
func (w *Wakeups) readHorizon(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var horizon int64
	if err := w.pool.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 20`).Scan(&horizon); err != nil {
		return 0, fmt.Errorf("visibility horizon: %w", err)
	}
	return horizon, nil
}
