package projections

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
)

// MaxDifferences bounds the differences a VerifyResult lists; it counts
// them all.
const MaxDifferences = 100

// VerifyResult compares a live read model with one folded afresh from the
// log, both at the same position.
type VerifyResult struct {
	Projection string
	// Position is the log position both models stand at.
	Position int64
	// Rows counts the live rows of each table compared.
	Rows map[string]int64
	// Differences lists up to MaxDifferences rows that differ; Count is
	// how many differ in all.
	Differences []Difference
	Count       int
	Elapsed     time.Duration
}

// Difference is one row that differs: missing on one side, or with other
// values.
type Difference struct {
	Table string
	// Key is the row's primary key, as a JSON array.
	Key string
	// Live and Fresh are the row in the live model and in the model folded
	// afresh, column by column; nil where the row is missing.
	Live, Fresh map[string]json.RawMessage
}

// Columns lists the columns whose values differ, in name order; every
// column of the row that exists when the other side is missing.
func (d Difference) Columns() []string {
	var out []string
	for c, v := range d.Live {
		if d.Fresh == nil || !bytes.Equal(v, d.Fresh[c]) {
			out = append(out, c)
		}
	}
	for c := range d.Fresh {
		if _, ok := d.Live[c]; !ok {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// Verify folds the whole log into scratch tables (as Rebuild does, in a
// schema of their own) and compares them row by row with the live read
// model. The comparison holds the projection's lock, so the live model
// applies nothing meanwhile: both are compared at the same position. The
// scratch tables are dropped at the end; the live model is never written.
func (r *Runner) Verify(ctx context.Context, name string, opts RebuildOptions) (VerifyResult, error) {
	p, err := r.projection(name)
	if err != nil {
		return VerifyResult{}, err
	}
	b, err := r.newBuilder(ctx, p, opts, "verify")
	if err != nil {
		return VerifyResult{}, fmt.Errorf("verify %s: %w", name, err)
	}
	defer b.close()
	res, err := b.verify(ctx)
	if err != nil {
		return res, fmt.Errorf("verify %s: %w", name, err)
	}
	return res, nil
}

func (b *builder) verify(ctx context.Context) (VerifyResult, error) {
	q := gen.New(b.r.pool)
	live, err := q.ProjectionPosition(ctx, b.p.Name())
	if err != nil {
		return VerifyResult{}, fmt.Errorf("read checkpoint: %w", err)
	}
	if b.total, err = q.EventsBetween(ctx, gen.EventsBetweenParams{AfterPosition: 0, UpTo: live}); err != nil {
		return VerifyResult{}, fmt.Errorf("count events: %w", err)
	}
	// Every event up to the live checkpoint is committed and readable, so
	// the first empty batch means the scratch model has reached it.
	b.setPhase(PhaseLoad)
	if err := b.load(ctx, live, false); err != nil {
		return VerifyResult{}, err
	}
	b.setPhase(PhaseCompare)
	res := VerifyResult{Projection: b.p.Name(), Rows: map[string]int64{}}
	err = pgx.BeginFunc(ctx, b.r.pool, func(tx pgx.Tx) error {
		qtx := gen.New(tx)
		if err := qtx.LockProjection(ctx, b.p.Name()); err != nil {
			return fmt.Errorf("lock projection: %w", err)
		}
		live, err := qtx.ProjectionPosition(ctx, b.p.Name())
		if err != nil {
			return fmt.Errorf("read checkpoint: %w", err)
		}
		pos := b.pos
		for pos < live {
			next, n, err := b.applyBatch(ctx, tx, pos, live)
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("the log ends at position %d, before the checkpoint %d", pos, live)
			}
			pos, b.events = next, b.events+n
		}
		res.Position = live
		for _, t := range b.sh.tables {
			if err := b.compare(ctx, tx, t, &res); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return VerifyResult{}, err
	}
	res.Elapsed = time.Since(b.started)
	b.setPhase(PhaseFinished)
	return res, nil
}

// compare adds to res the rows of table that differ between the live and
// the scratch model, matched by primary key (by the whole row for a table
// without one).
func (b *builder) compare(ctx context.Context, tx pgx.Tx, table string, res *VerifyResult) error {
	rows, err := tx.Query(ctx, `
SELECT a.attname
FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
WHERE i.indrelid = $1::regclass AND i.indisprimary
ORDER BY array_position(i.indkey::int2[], a.attnum)`, b.sh.liveTable(table))
	if err != nil {
		return fmt.Errorf("primary key of %s: %w", table, err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("primary key of %s: %w", table, err)
	}
	key := "jsonb_build_array(to_jsonb(t))"
	if len(cols) > 0 {
		quoted := make([]string, len(cols))
		for i, c := range cols {
			quoted[i] = "t." + pgx.Identifier{c}.Sanitize()
		}
		key = "jsonb_build_array(" + strings.Join(quoted, ", ") + ")"
	}
	var count int64
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+b.sh.liveTable(table)).Scan(&count); err != nil {
		return fmt.Errorf("count %s: %w", table, err)
	}
	res.Rows[table] = count
	rows, err = tx.Query(ctx, `
WITH l AS (SELECT `+key+` AS k, to_jsonb(t) AS r FROM `+b.sh.liveTable(table)+` t),
     f AS (SELECT `+key+` AS k, to_jsonb(t) AS r FROM `+b.sh.table(table)+` t)
SELECT COALESCE(l.k, f.k)::text, l.r::text, f.r::text
FROM l FULL JOIN f ON l.k = f.k
WHERE l.r IS DISTINCT FROM f.r
ORDER BY 1`)
	if err != nil {
		return fmt.Errorf("compare %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var l, f *string
		if err := rows.Scan(&k, &l, &f); err != nil {
			return fmt.Errorf("compare %s: %w", table, err)
		}
		res.Count++
		if len(res.Differences) >= MaxDifferences {
			continue
		}
		d := Difference{Table: table, Key: k}
		if d.Live, err = rowColumns(l); err == nil {
			d.Fresh, err = rowColumns(f)
		}
		if err != nil {
			return fmt.Errorf("compare %s: %w", table, err)
		}
		res.Differences = append(res.Differences, d)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("compare %s: %w", table, err)
	}
	return nil
}

// rowColumns splits a row's JSON into its columns; nil for a missing row.
func rowColumns(row *string) (map[string]json.RawMessage, error) {
	if row == nil {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(*row), &m); err != nil {
		return nil, fmt.Errorf("decode row: %w", err)
	}
	return m, nil
}
