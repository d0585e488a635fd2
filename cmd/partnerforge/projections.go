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

// newProjectionsCmd is `partnerforge projections status|rebuild|verify`.
func newProjectionsCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "projections",
		Short: "read-model positions; rebuild or verify read models from the event log",
	})
	status := &cobra.Command{
		Use:   "status",
		Short: "each read model's position, how far it is behind the log, and whether it is stuck on an event",
		Args:  exactArgs(),
		RunE: func(*cobra.Command, []string) error {
			return a.withRunner(func(runner *projections.Runner) error {
				return printProjectionStatus(a.ctx, runner, a.stdout)
			})
		},
	}
	rebuild := &cobra.Command{
		Use:   "rebuild NAME|all",
		Short: "rebuild read models from the event log beside the live ones, then swap them in",
		Long: `Rebuild replays the event log into new tables beside the live read model, which keeps
serving and following the log meanwhile, then swaps the new tables in within one short
transaction and drops the old ones. Progress goes to stderr about once a second.`,
		Args:              projectionArgs("rebuild", true),
		ValidArgsFunction: completeProjection(true),
		RunE: func(_ *cobra.Command, args []string) error {
			return a.withRunner(func(runner *projections.Runner) error {
				names := []string{args[0]}
				if args[0] == "all" {
					names = runner.Names()
				}
				for _, name := range names {
					progress := newProgressPrinter(a.stderr(), time.Second)
					res, err := runner.RebuildWith(a.ctx, name, projections.RebuildOptions{Progress: progress.report})
					progress.finish()
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "rebuilt %s: %d events in %s (%.0f events/s), swapped in at position %d\n", name,
						res.Events, res.Elapsed.Round(time.Millisecond), float64(res.Events)/res.Elapsed.Seconds(), res.Position)
				}
				return printProjectionStatus(a.ctx, runner, a.stdout)
			})
		},
	}
	verify := &cobra.Command{
		Use:               "verify NAME",
		Short:             "fold the event log afresh and compare it row by row with the live read model; exit 1 on any difference",
		Args:              projectionArgs("verify", false),
		ValidArgsFunction: completeProjection(false),
		RunE: func(_ *cobra.Command, args []string) error {
			return a.withRunner(func(runner *projections.Runner) error {
				progress := newProgressPrinter(a.stderr(), time.Second)
				res, err := runner.Verify(a.ctx, args[0], projections.RebuildOptions{Progress: progress.report})
				progress.finish()
				if err != nil {
					return err
				}
				printVerifyResult(a.stdout, res)
				if res.Count > 0 {
					return fmt.Errorf("projections verify: %s differs from the event log in %d rows", res.Projection, res.Count)
				}
				return nil
			})
		},
	}
	cmd.AddCommand(status, rebuild, verify)
	return cmd
}

// projectionArgs checks the one argument of rebuild or verify.
func projectionArgs(verb string, all bool) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		names := projectionNames()
		if all {
			names = append(names, "all")
		}
		valid := strings.Join(names, ", ")
		if err := exactArgs("the projection name (one of "+valid+")")(cmd, args); err != nil {
			return err
		}
		if !slices.Contains(names, args[0]) {
			return usageError("projections %s: unknown projection %q (want one of %s)", verb, args[0], valid)
		}
		return nil
	}
}

func completeProjection(all bool) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names := projectionNames()
		if all {
			names = append(names, "all")
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
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
	if err := fn(runner); err != nil {
		return err
	}
	// A rebuild swapped in: running services refresh their cached version.
	wakeServices(a.ctx, pool)
	return nil
}

func printProjectionStatus(ctx context.Context, runner *projections.Runner, w io.Writer) error {
	st, err := runner.Status(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%-22s %20s %20s %8s  %-20s  %s\n", "PROJECTION", "POSITION", "HEAD", "BEHIND", "UPDATED", "STATE")
	var stuck []projections.Status
	for _, s := range st {
		updated := "never"
		if !s.UpdatedAt.IsZero() {
			updated = s.UpdatedAt.UTC().Format(time.RFC3339)
		}
		state := "ok"
		switch {
		case s.Stuck():
			state = "STUCK"
			stuck = append(stuck, s)
		case s.Failure != nil:
			state = fmt.Sprintf("retrying (%d failures)", s.Failure.Attempts)
		}
		fmt.Fprintf(w, "%-22s %20d %20d %8d  %-20s  %s\n", s.Name, s.Position, s.Head, s.Behind, updated, state)
	}
	for _, s := range stuck {
		f := s.Failure
		fmt.Fprintf(w, "\n%s is stuck on the event at position %d (event %s), %d attempts since %s:\n  %s\n",
			s.Name, f.Position, f.EventID, f.Attempts, f.Since.UTC().Format(time.RFC3339), f.Error)
	}
	return nil
}

func printVerifyResult(w io.Writer, res projections.VerifyResult) {
	var rows int64
	for _, n := range res.Rows {
		rows += n
	}
	fmt.Fprintf(w, "verified %s at position %d: %d rows compared in %s, %d differences\n",
		res.Projection, res.Position, rows, res.Elapsed.Round(time.Millisecond), res.Count)
	for _, d := range res.Differences {
		switch {
		case d.Live == nil:
			fmt.Fprintf(w, "%s %s: missing from the live model\n", d.Table, d.Key)
		case d.Fresh == nil:
			fmt.Fprintf(w, "%s %s: in the live model, but not in the log\n", d.Table, d.Key)
		default:
			fmt.Fprintf(w, "%s %s:\n", d.Table, d.Key)
			for _, c := range d.Columns() {
				fmt.Fprintf(w, "  %s: live %s, from the log %s\n", c, d.Live[c], d.Fresh[c])
			}
		}
	}
	if res.Count > len(res.Differences) {
		fmt.Fprintf(w, "… and %d more\n", res.Count-len(res.Differences))
	}
}
