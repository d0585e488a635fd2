package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/projections"
)

// projectionsCmd runs `partnerforge projections rebuild NAME|all` and
// `partnerforge projections status`.
func projectionsCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	pool, err := postgres.Connect(ctx, postgres.PoolConfig{URL: cfg.DatabaseURL, MaxConns: 4})
	if err != nil {
		return err
	}
	defer pool.Close()
	runner, err := projections.NewRunner(pool, projections.Config{PollInterval: cfg.PollInterval, Logger: log}, projections.All()...)
	if err != nil {
		return err
	}
	switch {
	case len(args) == 1 && args[0] == "status":
		return printProjectionStatus(ctx, runner, stdout)
	case len(args) == 2 && args[0] == "rebuild":
		names := []string{args[1]}
		if args[1] == "all" {
			names = runner.Names()
		}
		for _, name := range names {
			started := time.Now()
			if err := runner.Rebuild(ctx, name); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "rebuilt %s in %s\n", name, time.Since(started).Round(time.Millisecond))
		}
		return printProjectionStatus(ctx, runner, stdout)
	}
	return fmt.Errorf("projections wants `status` or `rebuild NAME|all` (names: %v): %w", runner.Names(), errUsage)
}

func printProjectionStatus(ctx context.Context, runner *projections.Runner, w io.Writer) error {
	st, err := runner.Status(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%-22s %20s %20s %8s  %s\n", "PROJECTION", "POSITION", "HEAD", "BEHIND", "UPDATED")
	for _, s := range st {
		updated := "never"
		if !s.UpdatedAt.IsZero() {
			updated = s.UpdatedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%-22s %20d %20d %8d  %s\n", s.Name, s.Position, s.Head, s.Behind, updated)
	}
	return nil
}
