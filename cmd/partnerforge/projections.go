package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/projections"
)

// projectionNames are the read models `projections rebuild` accepts.
func projectionNames() []string {
	var names []string
	for _, p := range projections.All() {
		names = append(names, p.Name())
	}
	return names
}

// newProjectionsCmd is `partnerforge projections status|rebuild NAME|all`.
func newProjectionsCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "projections",
		Short: "read-model positions, or rebuild read models from the event log",
	})
	status := &cobra.Command{
		Use:   "status",
		Short: "each read model's position and how far it is behind the log",
		Args:  exactArgs(),
		RunE: func(*cobra.Command, []string) error {
			return a.withRunner(func(runner *projections.Runner) error {
				return printProjectionStatus(a.ctx, runner, a.stdout)
			})
		},
	}
	rebuild := &cobra.Command{
		Use:   "rebuild NAME|all",
		Short: "rebuild one read model, or all of them, from the event log",
		Args: func(cmd *cobra.Command, args []string) error {
			valid := strings.Join(append(projectionNames(), "all"), ", ")
			if err := exactArgs("the projection name (one of "+valid+")")(cmd, args); err != nil {
				return err
			}
			if args[0] != "all" && !slices.Contains(projectionNames(), args[0]) {
				return usageError("projections rebuild: unknown projection %q (want one of %s)", args[0], valid)
			}
			return nil
		},
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return append(projectionNames(), "all"), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			return a.withRunner(func(runner *projections.Runner) error {
				names := []string{args[0]}
				if args[0] == "all" {
					names = runner.Names()
				}
				for _, name := range names {
					started := time.Now()
					if err := runner.Rebuild(a.ctx, name); err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "rebuilt %s in %s\n", name, time.Since(started).Round(time.Millisecond))
				}
				return printProjectionStatus(a.ctx, runner, a.stdout)
			})
		},
	}
	cmd.AddCommand(status, rebuild)
	return cmd
}

// withRunner hands fn the projection runner over a migrated database.
func (a *app) withRunner(fn func(*projections.Runner) error) error {
	cfg, log, err := a.setup()
	if err != nil {
		return err
	}
	pool, err := postgres.Connect(a.ctx, postgres.PoolConfig{URL: cfg.DatabaseURL, MaxConns: 4})
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := requireMigrated(a.ctx, pool); err != nil {
		return err
	}
	runner, err := projections.NewRunner(pool, projections.Config{PollInterval: cfg.PollInterval, Logger: log}, projections.All()...)
	if err != nil {
		return err
	}
	return fn(runner)
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
