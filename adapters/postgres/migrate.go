package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/partnerforge/partnerforge/sql/migrations"
)

// Migrator applies the embedded migrations with goose.
type Migrator struct {
	pool     *pgxpool.Pool
	db       *sql.DB
	provider *goose.Provider
}

// NewMigrator builds a migrator over the pool's configuration. Close it when
// done.
func NewMigrator(pool *pgxpool.Pool) (*Migrator, error) {
	db := stdlib.OpenDBFromPool(pool)
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return &Migrator{pool: pool, db: db, provider: p}, nil
}

// Close releases the migrator's handle (not the pool).
func (m *Migrator) Close() error { return m.db.Close() }

// Up applies every pending migration. It refuses to touch a database whose
// event positions are ahead of the server's transaction ids (CheckPositions):
// a logical restore that has to be repaired first.
func (m *Migrator) Up(ctx context.Context, log *slog.Logger) error {
	if err := CheckPositions(ctx, m.pool); err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	results, err := m.provider.Up(ctx)
	for _, r := range results {
		log.Info("migration applied", slog.Int64("version", r.Source.Version), slog.String("file", r.Source.Path), slog.Duration("took", r.Duration))
	}
	if err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// Down rolls back the most recent migration.
func (m *Migrator) Down(ctx context.Context, log *slog.Logger) error {
	r, err := m.provider.Down(ctx)
	if r != nil {
		log.Info("migration rolled back", slog.Int64("version", r.Source.Version), slog.String("file", r.Source.Path))
	}
	if err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// DownTo rolls back every migration above version.
func (m *Migrator) DownTo(ctx context.Context, log *slog.Logger, version int64) error {
	results, err := m.provider.DownTo(ctx, version)
	for _, r := range results {
		log.Info("migration rolled back", slog.Int64("version", r.Source.Version), slog.String("file", r.Source.Path))
	}
	if err != nil {
		return fmt.Errorf("migrate down to %d: %w", version, err)
	}
	return nil
}

// Pending reports whether migrations remain to be applied; /ready uses it.
func (m *Migrator) Pending(ctx context.Context) (bool, error) {
	has, err := m.provider.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("check pending migrations: %w", err)
	}
	return has, nil
}

// Status writes one line per migration: version, state, file.
func (m *Migrator) Status(ctx context.Context, w io.Writer) error {
	st, err := m.provider.Status(ctx)
	if err != nil {
		return fmt.Errorf("migration status: %w", err)
	}
	for _, s := range st {
		applied := "pending"
		if s.State == goose.StateApplied {
			applied = "applied " + s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		if _, err := fmt.Fprintf(w, "%05d  %-30s  %s\n", s.Source.Version, applied, s.Source.Path); err != nil {
			return err
		}
	}
	return nil
}
