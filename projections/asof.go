package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// TargetAsOf is a target's record as it stood at an instant: the events of
// the target and of its jobs recorded up to then, applied by the targets
// projection's own Apply — the one fold, not a second one for audits — into
// temporary copies of its tables, and read back by the read model's own
// query. It answers readmodel.ErrNotFound if the target did not exist then.
//
// The copies live in the transaction's temporary schema, put first on the
// search_path so the projection's unqualified table names resolve to them
// (a changed search_path also makes PostgreSQL re-plan cached statements).
// The transaction always rolls back: nothing it does outlives the answer.
func TargetAsOf(ctx context.Context, pool *pgxpool.Pool, log *postgres.AuditLog, d domain.Domain, at time.Time) (readmodel.Target, error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return readmodel.Target{}, fmt.Errorf("as of: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var p Targets
	for _, table := range p.Tables() {
		ident := pgx.Identifier{table}.Sanitize()
		if _, err := tx.Exec(ctx, "CREATE TEMPORARY TABLE "+ident+" (LIKE "+ident+" INCLUDING ALL) ON COMMIT DROP"); err != nil {
			return readmodel.Target{}, fmt.Errorf("as of: copy %s: %w", table, err)
		}
	}
	if _, err := tx.Exec(ctx, "SELECT set_config('search_path', 'pg_temp, ' || current_setting('search_path'), true)"); err != nil {
		return readmodel.Target{}, fmt.Errorf("as of: %w", err)
	}
	events, err := log.TargetEvents(ctx, d, at)
	if err != nil {
		return readmodel.Target{}, fmt.Errorf("as of: %w", err)
	}
	for _, re := range events {
		if !p.Handles(re.Type) {
			continue
		}
		e, err := domain.Decode(re)
		if err != nil {
			return readmodel.Target{}, fmt.Errorf("as of: %w", err)
		}
		if err := p.Apply(ctx, tx, re, e); err != nil {
			return readmodel.Target{}, fmt.Errorf("as of: apply %s at %d: %w", re.Type, re.Position, err)
		}
	}
	t, err := postgres.NewReadModels(tx).GetTarget(ctx, d.String())
	if errors.Is(err, readmodel.ErrNotFound) {
		return readmodel.Target{}, fmt.Errorf("%s as of %s: %w", d, at.Format(time.RFC3339), readmodel.ErrNotFound)
	}
	return t, err
}

// Audit serves the auditors' reads: histories from the log, and records as
// of an instant by the targets projection's fold.
type Audit struct {
	*postgres.AuditLog
	pool *pgxpool.Pool
}

// NewAudit returns the auditors' reader over pool.
func NewAudit(pool *pgxpool.Pool) *Audit {
	return &Audit{AuditLog: postgres.NewAuditLog(pool), pool: pool}
}

// TargetAsOf is the target's record as it stood at at.
func (a *Audit) TargetAsOf(ctx context.Context, d domain.Domain, at time.Time) (readmodel.Target, error) {
	return TargetAsOf(ctx, a.pool, a.AuditLog, d, at)
}
