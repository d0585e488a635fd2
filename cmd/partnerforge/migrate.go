package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/partnerforge/partnerforge/adapters/postgres"
)

func migrate(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "down" && args[0] != "status") {
		return fmt.Errorf("migrate wants one of up, down, status: %w", errUsage)
	}
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
	switch args[0] {
	case "up":
		return m.Up(ctx, log)
	case "down":
		return m.Down(ctx, log)
	case "status":
		return m.Status(ctx, stdout)
	default:
		return fmt.Errorf("migrate %q: want up, down or status: %w", args[0], errUsage)
	}
}
