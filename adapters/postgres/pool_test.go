package postgres_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
)

// The service's own sessions cannot hold the horizon back: one left idle
// inside a transaction is ended by the server.
func TestIdleInTransactionSessionsAreEnded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := pgtest.NewDB(t)
	pool, err := postgres.Connect(ctx, postgres.PoolConfig{URL: d.URL, MaxConns: 2, IdleInTransactionTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var setting string
	if err := pool.QueryRow(ctx, "SHOW idle_in_transaction_session_timeout").Scan(&setting); err != nil || setting != "200ms" {
		t.Fatalf("idle_in_transaction_session_timeout = %q (%v), want 200ms", setting, err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_current_xact_id()"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if _, err := tx.Exec(ctx, "SELECT 1"); err == nil {
		t.Fatal("a transaction left idle past the timeout still answers")
	}
}

// The lag is at least as old as the oldest open transaction holding an id.
func TestHorizonLag(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	began := time.Now()
	if _, err := tx.Exec(ctx, "SELECT pg_current_xact_id()"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	lag, err := postgres.HorizonLag(ctx, db.Pool)
	if err != nil {
		t.Fatal(err)
	}
	if open := time.Since(began); lag < open-50*time.Millisecond {
		t.Errorf("horizon lag %v while a transaction has been open %v", lag, open)
	}
}

// Unavailable tells a server that is gone or going from a request that
// failed on its own merits: the first is worth retrying, the second is not.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	// A server ending the session, as a restart does: SQLSTATE 57P01.
	victim, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close(ctx)
	if _, err := db.Pool.Exec(ctx, "SELECT pg_terminate_backend($1)", victim.PgConn().PID()); err != nil {
		t.Fatal(err)
	}
	_, terminated := victim.Exec(ctx, "SELECT 1")
	_, afterwards := victim.Exec(ctx, "SELECT 1")

	// Nothing listening: a refused connection.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	_, refused := pgx.Connect(ctx, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=5", closedPort))

	_, syntax := db.Pool.Exec(ctx, "SELEC 1")
	_, division := db.Pool.Exec(ctx, "SELECT 1/0")
	for i, err := range []error{terminated, afterwards, refused, syntax, division} {
		if err == nil {
			t.Fatalf("setup: failure %d did not fail", i)
		}
	}

	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"session terminated by the server", terminated, true},
		{"connection closed after that", afterwards, true},
		{"connection refused", refused, true},
		{"wrapped", fmt.Errorf("append: %w", refused), true},
		{"syntax error", syntax, false},
		{"division by zero", division, false},
		{"cancelled by the caller", context.Canceled, false},
		{"no error", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := postgres.Unavailable(tc.err); got != tc.want {
				t.Errorf("Unavailable(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
