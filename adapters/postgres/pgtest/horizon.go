package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// WaitForHorizon waits until every event up to position can be read by a
// follower: until no transaction anywhere on the server that started before
// it is still open. Transaction ids are server-wide, so another database's
// open transaction (another test package's) holds the horizon back too; a
// test that reads the log right after writing it waits here rather than
// racing it. It fails the test if t's context ends first.
func WaitForHorizon(t testing.TB, pool *pgxpool.Pool, position int64) {
	t.Helper()
	ctx := context.Background()
	if tc, ok := t.(interface{ Context() context.Context }); ok {
		ctx = tc.Context()
	}
	for {
		var readable bool
		err := pool.QueryRow(ctx, `SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 20) > $1`, position).Scan(&readable)
		if err != nil {
			t.Fatalf("pgtest: wait for the horizon to pass %d: %v", position, err)
		}
		if readable {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("pgtest: the horizon never passed %d: %v", position, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}
