package postgres_test

import (
	"context"
	"testing"
	"time"

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
