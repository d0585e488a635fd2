package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/partnerforge/partnerforge/adapters/postgres"
)

func newMigrateCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "migrate",
		Short: "apply, roll back or list the database migrations",
	})
	sub := func(use, short string, fn func(ctx context.Context, m *postgres.Migrator, log *slog.Logger, stdout io.Writer) error) *cobra.Command {
		return &cobra.Command{
			Use: use, Short: short, Args: exactArgs(),
			RunE: func(*cobra.Command, []string) error {
				cfg, log, err := a.setup()
				if err != nil {
					return err
				}
				return withMigrator(a.ctx, cfg, func(m *postgres.Migrator) error { return fn(a.ctx, m, log, a.stdout) })
			},
		}
	}
	cmd.AddCommand(
		sub("up", "apply every pending migration", migrateUp),
		sub("down", "roll back the latest migration", func(ctx context.Context, m *postgres.Migrator, log *slog.Logger, _ io.Writer) error {
			return m.Down(ctx, log)
		}),
		sub("status", "list each migration as applied or pending", func(ctx context.Context, m *postgres.Migrator, _ *slog.Logger, stdout io.Writer) error {
			return m.Status(ctx, stdout)
		}),
	)
	return cmd
}

// migrateUp applies what is pending and says so when there was nothing: an
// operator running it twice should not have to read the status to know.
func migrateUp(ctx context.Context, m *postgres.Migrator, log *slog.Logger, stdout io.Writer) error {
	pending, err := m.Pending(ctx)
	if err != nil {
		return err
	}
	if !pending {
		fmt.Fprintln(stdout, "database is up to date: every migration is already applied")
		return nil
	}
	return m.Up(ctx, log)
}

func withMigrator(ctx context.Context, cfg Config, fn func(*postgres.Migrator) error) error {
	pool, err := postgres.Connect(ctx, postgres.PoolConfig{URL: cfg.DatabaseURL, MaxConns: 2})
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := postgres.NewMigrator(pool)
	if err != nil {
		return err
	}
	defer m.Close()
	return fn(m)
}

// requireMigrated refuses to work on a database whose schema is behind the
// binary's: every command other than migrate would otherwise fail later with
// a missing table, in the database's terms rather than the operator's.
func requireMigrated(ctx context.Context, pool *pgxpool.Pool) error {
	m, err := postgres.NewMigrator(pool)
	if err != nil {
		return err
	}
	defer m.Close()
	pending, err := m.Pending(ctx)
	if err != nil {
		return err
	}
	if pending {
		return errNotMigrated
	}
	return nil
}

var errNotMigrated = errors.New("the database has pending migrations: run `partnerforge migrate up` first")
