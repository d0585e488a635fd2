package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
)

// PoolConfig sizes the connection pool. Size it for one connection per active
// subscription plus the HTTP concurrency.
type PoolConfig struct {
	URL      string
	MinConns int32
	MaxConns int32
	// IdleInTransactionTimeout, when set, ends a session that sits idle
	// inside a transaction that long. An open writing transaction holds
	// back the visibility horizon, and with it every subscriber and
	// projection on the server (docs/event-store.md): the service's own
	// sessions must never be the ones doing it. A URL that sets
	// idle_in_transaction_session_timeout itself wins.
	IdleInTransactionTimeout time.Duration
}

// pingIdleAfter: a connection idle longer than this is pinged before it is
// handed out. pgx's default, one second, would cost an idle service a ping —
// a transaction on the server — before nearly every fallback poll, since the
// pool hands its idle connections out in turn. A connection lost within
// this long of its last use fails its next statement instead, as one lost
// mid-use does; pgx then drops it from the pool.
const pingIdleAfter = 10 * time.Second

// Connect opens a pool and checks that the database answers.
func Connect(ctx context.Context, cfg PoolConfig) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	if cfg.MinConns > 0 {
		pc.MinConns = min(cfg.MinConns, pc.MaxConns)
	}
	if _, set := pc.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"]; !set && cfg.IdleInTransactionTimeout > 0 {
		pc.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = strconv.FormatInt(cfg.IdleInTransactionTimeout.Milliseconds(), 10)
	}
	pc.ShouldPing = func(_ context.Context, p pgxpool.ShouldPingParams) bool { return p.IdleDuration > pingIdleAfter }
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping %s@%s/%s: %w", pc.ConnConfig.User, pc.ConnConfig.Host, pc.ConnConfig.Database, err)
	}
	return pool, nil
}

// HorizonLag is how long the oldest transaction that holds a transaction id
// on the server has been open: while it runs, no follower of the log reads
// past it (docs/event-store.md, "Long-running transactions hold the horizon
// back"). Zero when none is open. Sessions of other roles may be hidden
// from an unprivileged user; pg_monitor membership shows them all.
func HorizonLag(ctx context.Context, db gen.DBTX) (time.Duration, error) {
	var seconds float64
	err := db.QueryRow(ctx, `
SELECT coalesce(extract(epoch FROM now() - min(xact_start)), 0)::float8
FROM pg_stat_activity WHERE backend_xid IS NOT NULL`).Scan(&seconds)
	if err != nil {
		return 0, fmt.Errorf("horizon lag: %w", err)
	}
	return time.Duration(seconds * float64(time.Second)), nil
}

// Unavailable reports whether err means the server could not be reached or
// went away mid-request: a refused or broken connection, a connection the
// server ended because it is shutting down (SQLSTATE 57P01, 57P02), one it
// refused while starting or stopping (57P03), or any connection exception
// (class 08). Such a failure says nothing about the request: asked again
// once the server is back, it may succeed. The pool replaces broken
// connections by itself, so nothing needs restarting.
func Unavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
