package wakeup

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// Reconnecting the listening connection backs off between these.
const (
	minReconnectDelay = 100 * time.Millisecond
	maxReconnectDelay = 5 * time.Second
)

// listen keeps a dedicated connection — outside the pool, whose connections
// rotate — LISTENing on every channel, and hands what arrives to the
// followers. Each time the connection is (re)established every follower is
// woken once: notifications sent while it was down are lost.
func (w *Wakeups) listen(ctx context.Context) {
	delay := minReconnectDelay
	for ctx.Err() == nil {
		conn, err := w.connect(ctx)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn("wake-up listener: connect; retrying", slog.Duration("retry_in", delay), slog.Any("error", err))
			}
			sleep(ctx, delay)
			delay = min(delay*2, maxReconnectDelay)
			continue
		}
		delay = minReconnectDelay
		w.wakeAll()
		err = w.receive(ctx, conn)
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		_ = conn.Close(closeCtx)
		cancel()
		if ctx.Err() == nil {
			w.log.Warn("wake-up listener lost its connection; reconnecting", slog.Any("error", err))
		}
	}
}

func (w *Wakeups) connect(ctx context.Context) (*pgx.Conn, error) {
	cfg := w.pool.Config().ConnConfig.Copy()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	for _, ch := range channels {
		if _, err := conn.Exec(cctx, "LISTEN "+pgx.Identifier{string(ch)}.Sanitize()); err != nil {
			_ = conn.Close(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("listen %s: %w", ch, err)
		}
	}
	return conn, nil
}

// receive hands notifications to the followers until the connection fails
// or ctx ends.
func (w *Wakeups) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		instance, position := parsePayload(n.Payload)
		if instance == w.id {
			continue // woken in process when it was sent
		}
		switch ch := Channel(n.Channel); ch {
		case EventsChannel:
			w.announced(position)
		default:
			w.fire(ch)
		}
	}
}
