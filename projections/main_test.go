package projections_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/projections"
)

var db *pgtest.Database

func TestMain(m *testing.M) { pgtest.Run(m, &db) }

// isolated gives a test its own database, for tests that look at whole
// tables or rebuild them and so must not see other tests' events.
func isolated(t *testing.T) *pgtest.Database {
	t.Helper()
	return pgtest.NewDB(t)
}

func newRunner(t *testing.T, d *pgtest.Database, ps ...projections.Projection) *projections.Runner {
	t.Helper()
	if len(ps) == 0 {
		ps = projections.All()
	}
	r, err := projections.NewRunner(d.Pool, projections.Config{BatchSize: 7}, ps...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func catchUp(t *testing.T, r *projections.Runner) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.CatchUp(ctx); err != nil {
		t.Fatalf("catch up: %v", err)
	}
}

// dump returns every row of a table as JSON, in a stable order.
func dump(t *testing.T, d *pgtest.Database, table, orderBy string) []string {
	t.Helper()
	rows, err := d.Pool.Query(context.Background(), "SELECT to_jsonb(t)::text FROM "+table+" t ORDER BY "+orderBy)
	if err != nil {
		t.Fatalf("dump %s: %v", table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func dumpAll(t *testing.T, d *pgtest.Database) map[string][]string {
	t.Helper()
	return map[string][]string{
		"displacement_targets": dump(t, d, "displacement_targets", "domain"),
		"enrichment_jobs":      dump(t, d, "enrichment_jobs", "job_id"),
	}
}

func checkpoint(t *testing.T, d *pgtest.Database, name string) int64 {
	t.Helper()
	var pos int64
	err := d.Pool.QueryRow(context.Background(), "SELECT COALESCE((SELECT position FROM projection_checkpoints WHERE name = $1), 0)", name).Scan(&pos)
	if err != nil {
		t.Fatal(err)
	}
	return pos
}

func store(d *pgtest.Database) *postgres.EventStore { return postgres.NewEventStore(d.Pool) }

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
