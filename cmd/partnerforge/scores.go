package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

// newScoresCmd is `partnerforge scores recompute`.
func newScoresCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "scores",
		Short: "move target scores to the current scoring model",
	})
	var (
		model  string
		dryRun bool
	)
	recompute := &cobra.Command{
		Use:   "recompute",
		Short: "append a new score for every target whose score changes under the current model",
		Long: "Score every scored target again under this build's model (" + domain.ScoringModelVersion + ") from what its\n" +
			"newest score was computed from, and append a ScoreComputed where the score changes (its model\n" +
			"version included). A second run appends nothing. Targets never scored are left to their first\n" +
			"enrichment. Progress goes to stderr.",
		Args: exactArgs(),
		RunE: func(*cobra.Command, []string) error {
			if model != "" && model != domain.ScoringModelVersion {
				return usageError("scores recompute: --model %s: this build scores with %s", model, domain.ScoringModelVersion)
			}
			return a.withStore(func(store *postgres.EventStore) error {
				return recomputeScores(a, store, commands.RecomputeScores{
					Model: model, DryRun: dryRun, Metadata: domain.Metadata{Actor: defaultActor()},
				})
			})
		},
	}
	recompute.Flags().StringVar(&model, "model", "", "refuse to run unless this build scores with model `VERSION` (e.g. "+domain.ScoringModelVersion+")")
	recompute.Flags().BoolVar(&dryRun, "dry-run", false, "count the targets whose score would change; append nothing")
	cmd.AddCommand(recompute)
	return cmd
}

func recomputeScores(a *app, store *postgres.EventStore, cmd commands.RecomputeScores) error {
	h := commands.NewRecomputeScoresHandler(store, store, time.Now)
	last := time.Now()
	res, err := h.Handle(a.ctx, cmd, func(p commands.RecomputeProgress) {
		// A line every second at most: enough to see a long run move.
		if time.Since(last) >= time.Second || p.Done == p.Total {
			last = time.Now()
			fmt.Fprintf(os.Stderr, "rescored %d/%d targets, %d changed\n", p.Done, p.Total, p.Changed)
		}
	})
	if err != nil {
		if errors.Is(err, commands.ErrOtherModel) {
			return usageError("scores recompute: %v", err)
		}
		return fmt.Errorf("scores recompute: %w", err)
	}
	verb := "changed"
	if cmd.DryRun {
		verb = "would change"
	}
	fmt.Fprintf(a.stdout, "%d of %d scored targets %s under %s\n", res.Changed, res.Total, verb, domain.ScoringModelVersion)
	return nil
}
