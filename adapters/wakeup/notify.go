package wakeup

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// post queues payload on ch for the other instances; a later payload on the
// same channel replaces one not yet sent (the last position covers the
// earlier ones).
func (w *Wakeups) post(ch Channel, payload string) {
	w.outMu.Lock()
	w.outbox[ch] = payload
	w.outMu.Unlock()
	kick(w.send)
}

// sendLoop sends what was posted: at once when the channel has been quiet,
// then at most once per coalescing window. All pending channels go in one
// statement, in a short transaction of its own on a pooled connection —
// never the writer's.
func (w *Wakeups) sendLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.send:
		}
		w.outMu.Lock()
		out := w.outbox
		w.outbox = make(map[Channel]string, len(out))
		w.outMu.Unlock()
		if len(out) > 0 {
			if err := w.notify(ctx, out); err != nil && ctx.Err() == nil {
				// Lost: the receivers' fallback poll covers it.
				w.log.Warn("send wake-up notification", slog.Any("error", err))
			}
		}
		sleep(ctx, w.coalesce)
	}
}

func (w *Wakeups) notify(ctx context.Context, out map[Channel]string) error {
	var (
		calls []string
		args  []any
	)
	for ch, payload := range out {
		calls = append(calls, fmt.Sprintf("pg_notify($%d, $%d)", len(args)+1, len(args)+2))
		args = append(args, string(ch), payload)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := w.pool.Exec(ctx, "SELECT "+strings.Join(calls, ", "), args...); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

func formatPosition(p int64) string { return strconv.FormatInt(p, 10) }

// parsePayload splits "<instance> [<position>]". A payload it cannot read
// gives position 0, which any horizon has passed: the receiver wakes at once.
func parsePayload(payload string) (instance string, position int64) {
	instance, pos, _ := strings.Cut(payload, " ")
	position, _ = strconv.ParseInt(pos, 10, 64)
	return instance, position
}
