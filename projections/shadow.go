package projections

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A shadow is a projection's set of tables built in a schema of its own,
// beside the live ones, under the same table names.
//
// Why a schema rather than tables with other names: every query a projection
// runs (sqlc's generated code in adapters/postgres/gen) names its tables
// unqualified. A transaction that puts the shadow schema first on its
// search_path (SET LOCAL search_path) therefore writes the shadow tables
// with the very same queries and the very same Apply the live projection
// runs — one implementation of each read model, no table-name parameters.
// Swapping is then moving tables between schemas (ALTER TABLE … SET SCHEMA),
// which changes catalog rows only: it takes an instant whatever the table's
// size. Index and constraint names live per schema, so the shadow's indexes
// carry the live names — which later migrations refer to — without clashing,
// and the live table leaves the schema before the shadow enters it.
type shadow struct {
	// schema holds the tables being built; live is the schema of the live
	// tables (the connection's current schema).
	schema, live string
	tables       []string
}

// Schemas the rebuild and verify commands build in, one per projection.
const (
	rebuildSchemaPrefix = "partnerforge_rebuild_"
	retiredSchemaPrefix = "partnerforge_retired_"
	verifySchemaPrefix  = "partnerforge_verify_"
)

func (s shadow) table(t string) string { return pgx.Identifier{s.schema, t}.Sanitize() }

func (s shadow) liveTable(t string) string { return pgx.Identifier{s.live, t}.Sanitize() }

// searchPath is the SET LOCAL that points a transaction's unqualified table
// names at the shadow; every other name (events, checkpoints, functions)
// still resolves in the live schema.
func (s shadow) searchPath() string {
	return "SET LOCAL search_path = " + pgx.Identifier{s.schema}.Sanitize() + ", " + pgx.Identifier{s.live}.Sanitize()
}

// newShadow resolves the live schema and names the shadow schema.
func newShadow(ctx context.Context, db pgx.Tx, prefix string, p Projection) (shadow, error) {
	s := shadow{schema: prefix + p.Name(), tables: p.Tables()}
	if err := db.QueryRow(ctx, "SELECT current_schema()").Scan(&s.live); err != nil {
		return shadow{}, fmt.Errorf("current schema: %w", err)
	}
	return s, nil
}

// create starts the shadow afresh: an empty copy of each live table's
// columns, defaults and checks, with its primary key and unique constraints
// (the projections' upserts need them, ON CONFLICT names them) but none of
// its other indexes, which are cheaper built once over the loaded rows than
// kept up during the load. The tables start unlogged: the load writes no
// write-ahead log, and a crash, which empties unlogged tables, only means
// the rebuild starts again; createIndexes makes them logged before anything
// depends on them. A shadow left by a rebuild that died is dropped.
func (s shadow) create(ctx context.Context, tx pgx.Tx) error {
	schema := pgx.Identifier{s.schema}.Sanitize()
	if _, err := tx.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
		return fmt.Errorf("drop old shadow: %w", err)
	}
	if _, err := tx.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return fmt.Errorf("create shadow schema: %w", err)
	}
	for _, t := range s.tables {
		_, err := tx.Exec(ctx, "CREATE UNLOGGED TABLE "+s.table(t)+" (LIKE "+s.liveTable(t)+
			" INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING IDENTITY INCLUDING STORAGE)")
		if err != nil {
			return fmt.Errorf("create shadow %s: %w", t, err)
		}
		defs, err := s.liveDefinitions(ctx, tx, t, `
SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', $3::text, c.conname, pg_get_constraintdef(c.oid))
FROM pg_constraint c
WHERE c.conrelid = format('%I.%I', $1::text, $2::text)::regclass AND c.contype IN ('p', 'u')
ORDER BY c.conname`)
		if err != nil {
			return err
		}
		for _, def := range defs {
			if _, err := tx.Exec(ctx, def); err != nil {
				return fmt.Errorf("shadow %s: %s: %w", t, def, err)
			}
		}
	}
	return nil
}

// Index builds run side by side on this many connections, each with this
// much memory for its sort: the trigram and array (GIN) indexes are most of
// the index phase, and a GIN build is several times faster when its
// entries fit in memory.
const (
	indexBuilders    = 2
	indexBuildMemory = "256MB"
)

// createIndexes makes the loaded shadow tables logged (one rewrite of each,
// cheaper than logging every update of the load), builds every index of
// the live table that no constraint owns, under its live name, and
// refreshes the planner's statistics so the first query after the swap
// plans well. CREATE INDEX takes a SHARE lock, which does not conflict with
// itself, so the indexes of one table build concurrently.
func (s shadow) createIndexes(ctx context.Context, pool *pgxpool.Pool) error {
	var defs []string
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, t := range s.tables {
			if _, err := tx.Exec(ctx, "ALTER TABLE "+s.table(t)+" SET LOGGED"); err != nil {
				return fmt.Errorf("shadow %s: set logged: %w", t, err)
			}
			tdefs, err := s.liveDefinitions(ctx, tx, t, `
SELECT replace(pg_get_indexdef(i.indexrelid),
               ' ON ' || format('%I.%I', $1::text, $2::text) || ' USING ',
               ' ON ' || $3::text || ' USING ')
FROM pg_index i
WHERE i.indrelid = format('%I.%I', $1::text, $2::text)::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY i.indexrelid`)
			if err != nil {
				return err
			}
			for _, def := range tdefs {
				if !strings.Contains(def, " ON "+s.table(t)+" USING ") {
					return fmt.Errorf("shadow %s: cannot place index %q on the shadow", t, def)
				}
			}
			defs = append(defs, tdefs...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := buildIndexes(ctx, pool, defs); err != nil {
		return err
	}
	for _, t := range s.tables {
		if _, err := pool.Exec(ctx, "ANALYZE "+s.table(t)); err != nil {
			return fmt.Errorf("analyze shadow %s: %w", t, err)
		}
	}
	return nil
}

// buildIndexes runs the CREATE INDEX statements on indexBuilders
// connections and returns the first error.
func buildIndexes(ctx context.Context, pool *pgxpool.Pool, defs []string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan string)
	errs := make(chan error, indexBuilders)
	var wg sync.WaitGroup
	for range indexBuilders {
		wg.Go(func() {
			for def := range work {
				err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
					if _, err := tx.Exec(ctx, "SET LOCAL maintenance_work_mem = '"+indexBuildMemory+"'"); err != nil {
						return err
					}
					_, err := tx.Exec(ctx, def)
					return err
				})
				if err != nil {
					errs <- fmt.Errorf("%s: %w", def, err)
					cancel()
					return
				}
			}
		})
	}
feed:
	for _, def := range defs {
		select {
		case work <- def:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}

// liveDefinitions runs a catalog query with $1 the live schema, $2 the table
// and $3 the shadow table's qualified name, and returns its one text column.
// The catalog is read with an empty search_path so that pg_get_indexdef
// always qualifies the table it names.
func (s shadow) liveDefinitions(ctx context.Context, tx pgx.Tx, table, query string) ([]string, error) {
	var was string
	if err := tx.QueryRow(ctx, "SELECT current_setting('search_path'), set_config('search_path', 'pg_catalog', true)").Scan(&was, new(string)); err != nil {
		return nil, fmt.Errorf("read definitions of %s: %w", table, err)
	}
	defer func() { _, _ = tx.Exec(ctx, "SELECT set_config('search_path', $1, true)", was) }()
	rows, err := tx.Query(ctx, query, s.live, table, s.table(table))
	if err != nil {
		return nil, fmt.Errorf("read definitions of %s: %w", table, err)
	}
	defs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read definitions of %s: %w", table, err)
	}
	return defs, nil
}

// swap moves the live tables out to retired and the shadow's in, within
// tx. Each ALTER takes an ACCESS EXCLUSIVE lock on its table, held to the
// end of tx: readers wait for the commit, which follows at once.
func (s shadow) swap(ctx context.Context, tx pgx.Tx, retired string) error {
	for _, t := range s.tables {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+s.liveTable(t)+" SET SCHEMA "+pgx.Identifier{retired}.Sanitize()); err != nil {
			return fmt.Errorf("retire %s: %w", t, err)
		}
		if _, err := tx.Exec(ctx, "ALTER TABLE "+s.table(t)+" SET SCHEMA "+pgx.Identifier{s.live}.Sanitize()); err != nil {
			return fmt.Errorf("swap in %s: %w", t, err)
		}
	}
	return nil
}

// dropSchema removes a shadow or retired schema and whatever it holds.
func dropSchema(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	if _, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		return fmt.Errorf("drop schema %s: %w", schema, err)
	}
	return nil
}
