package wakeup

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// post queues payload on ch for the other instances; one notification per
// channel and window covers every poke since the last.
func (w *Wakeups) post(ch Channel, payload string) {
	w.outMu.Lock()
	w.outbox[ch] = payload
	w.outMu.Unlock()
	kick(w.kick)
}

// While an older transaction holds the horizon below an announced event,
// the horizon is read again after a delay that grows between these, so a
// long transaction costs little.
const (
	minHorizonDelay = 2 * time.Millisecond
	maxHorizonDelay = 50 * time.Millisecond
)

// pump sends what was posted and wakes this instance's events followers
// once the horizon has passed what was announced. One statement does both,
// in a short transaction of its own on a pooled connection — never the
// writer's: at once when all was quiet, then at most once per coalescing
// window, however many appends and notifications there are.
func (w *Wakeups) pump(ctx context.Context) {
	delay := minHorizonDelay
	for {
		var (
			timer *time.Timer
			retry <-chan time.Time
		)
		if _, waiting := w.horizon.lowest(); waiting {
			timer = time.NewTimer(delay)
			retry = timer.C
		}
		select {
		case <-ctx.Done():
		case <-w.kick:
		case <-retry:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
		w.outMu.Lock()
		out := w.outbox
		w.outbox = make(map[Channel]string, len(out))
		w.outMu.Unlock()
		low, waiting := w.horizon.lowest()
		if waiting && !w.listened(EventsChannel) {
			w.horizon.clear() // nobody here to wake
			waiting = false
		}
		if len(out) == 0 && !waiting {
			continue
		}
		horizon, err := w.exchange(ctx, out)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			// A lost notification: the receivers' fallback poll covers it.
			// Followers here are woken anyway; their polls find out.
			w.log.Warn("send wake-up notifications", slog.Any("error", err))
			if waiting {
				w.horizon.clear()
				w.fire(EventsChannel)
			}
		case waiting && horizon > low:
			w.horizon.passed(horizon)
			w.fire(EventsChannel)
			delay = minHorizonDelay
		case waiting:
			delay = min(delay*2, maxHorizonDelay)
		}
		sleep(ctx, w.coalesce)
	}
}

// exchange sends the notifications in out and reads the visibility horizon:
// the lowest position a transaction still open may write. Every event below
// it is readable (positions are the writing transaction's id shifted left by
// 20 bits; sql/migrations/00001).
func (w *Wakeups) exchange(ctx context.Context, out map[Channel]string) (int64, error) {
	cols := []string{"pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 20"}
	var args []any
	if len(out) > 0 {
		// A transaction that notifies is given an id and writes a commit
		// record: waiting for it to reach the disk would compete with the
		// appends' own commits for nothing, since a notification lost in a
		// crash only means a fallback poll.
		cols = append(cols, "set_config('synchronous_commit', 'off', true)")
	}
	for ch, payload := range out {
		cols = append(cols, fmt.Sprintf("pg_notify($%d, $%d)", len(args)+1, len(args)+2))
		args = append(args, string(ch), payload)
	}
	dest := make([]any, len(cols)) // nil skips the other columns
	var horizon int64
	dest[0] = &horizon
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := w.pool.QueryRow(ctx, "SELECT "+strings.Join(cols, ", "), args...).Scan(dest...); err != nil {
		return 0, fmt.Errorf("notify and read the visibility horizon: %w", err)
	}
	return horizon, nil
}

func formatPosition(p int64) string { return strconv.FormatInt(p, 10) }

// parsePayload splits "<instance> [<position>]". A payload it cannot read
// gives position 0, which any horizon has passed: the receiver wakes at once.
func parsePayload(payload string) (instance string, position int64) {
	instance, pos, _ := strings.Cut(payload, " ")
	position, _ = strconv.ParseInt(pos, 10, 64)
	return instance, position
}
