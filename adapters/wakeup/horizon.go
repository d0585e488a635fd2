package wakeup

import "sync"

// horizonWatch holds the positions announced but perhaps not yet readable.
// A follower reads only events below the visibility horizon (no older
// transaction is still open: docs/event-store.md); waking it for an event
// still above the horizon would find nothing, and it would then rest until
// its fallback poll. So events wake followers once the horizon has passed
// them.
type horizonWatch struct {
	mu        sync.Mutex
	pending   bool
	low, high int64 // the lowest and highest position announced, not yet passed
}

func (h *horizonWatch) await(position int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.pending {
		h.pending, h.low, h.high = true, position, position
		return
	}
	h.low, h.high = min(h.low, position), max(h.high, position)
}

// lowest reports the lowest position waiting, if any.
func (h *horizonWatch) lowest() (int64, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.low, h.pending
}

// passed records that the horizon reached horizon: what lay below it is
// readable; what remains lies at or above it.
func (h *horizonWatch) passed(horizon int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.high < horizon {
		h.pending = false
		return
	}
	h.low = max(h.low, horizon)
}

func (h *horizonWatch) clear() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pending = false
}
