package commands_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

// storeOldModelScore appends to d's stream the score an older build would
// have stored: the newest score under another model, with another value.
func (w *world) storeOldModelScore(d string) domain.ScoreComputed {
	w.t.Helper()
	sc, ok := w.lastScore(d)
	if !ok {
		w.t.Fatalf("%s has no score", d)
	}
	sc.Score.ModelVersion, sc.Score.Value = "icp-v1", sc.Score.Value-7
	ev, err := domain.Encode(sc, domain.Metadata{Actor: "old build"})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.store.Append(context.Background(), domain.TargetStream(domain.MustParseDomain(d)), domain.AnyVersion, ev); err != nil {
		w.t.Fatal(err)
	}
	return sc
}

func (w *world) recompute(cmd commands.RecomputeScores) (commands.RecomputeProgress, []commands.RecomputeProgress, error) {
	var steps []commands.RecomputeProgress
	h := commands.NewRecomputeScoresHandler(w.store, w.store, func() time.Time { return w.now })
	res, err := h.Handle(context.Background(), cmd, func(p commands.RecomputeProgress) { steps = append(steps, p) })
	return res, steps, err
}

func TestRecomputeScores(t *testing.T) {
	t.Parallel()
	// Given: current.com scored under this model; stale.com scored last by
	// an older model; mixed.com scored from two jobs (a full refresh, then
	// BuiltWith alone); imported.com imported but never scored.
	w := newWorld(t)
	for _, d := range []string{"current.com", "stale.com", "mixed.com", "imported.com"} {
		w.importTarget(d)
	}
	w.run("current.com", false, nil, nil)
	w.run("stale.com", false, nil, nil)
	want, _ := w.lastScore("stale.com")
	w.storeOldModelScore("stale.com")
	w.run("mixed.com", false, nil, nil)
	w.now = w.now.Add(48 * time.Hour)
	w.run("mixed.com", true, []domain.Provider{domain.ProviderBuiltWith}, nil)
	before := map[string]int{}
	for _, d := range []string{"current.com", "stale.com", "mixed.com", "imported.com"} {
		before[d] = len(w.types(domain.TargetStream(domain.MustParseDomain(d))))
	}

	tests := []struct {
		name        string
		cmd         commands.RecomputeScores
		wantErr     error
		wantChanged int
		appended    map[string]int // new events per target
	}{
		{name: "another model is refused", cmd: commands.RecomputeScores{Model: "icp-v9"}, wantErr: commands.ErrOtherModel},
		{name: "a dry run counts and appends nothing", cmd: commands.RecomputeScores{DryRun: true}, wantChanged: 1},
		{name: "the stale score moves to the current model", cmd: commands.RecomputeScores{Model: domain.ScoringModelVersion}, wantChanged: 1,
			appended: map[string]int{"stale.com": 1}},
		{name: "a second run appends nothing", cmd: commands.RecomputeScores{}, wantChanged: 0, appended: map[string]int{"stale.com": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.t = t
			res, steps, err := w.recompute(tt.cmd)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if res.Total != 3 || res.Done != 3 || res.Changed != tt.wantChanged {
				t.Errorf("progress %+v, want 3 scored targets done and %d changed", res, tt.wantChanged)
			}
			if len(steps) != 3 || steps[2] != res {
				t.Errorf("progress reports %+v, want one per target ending with %+v", steps, res)
			}
			for d, n := range before {
				got := len(w.types(domain.TargetStream(domain.MustParseDomain(d))))
				if got != n+tt.appended[d] {
					t.Errorf("%s: %d events, want %d", d, got, n+tt.appended[d])
				}
			}
		})
	}

	// Then the new score is what the job had computed under this model, fed
	// by the same sources, and belongs to no job.
	got, _ := w.lastScore("stale.com")
	if got.Score.ModelVersion != domain.ScoringModelVersion || got.Score.Value != want.Score.Value || got.Score.Tier != want.Score.Tier {
		t.Errorf("recomputed score %+v, want %+v", got.Score, want.Score)
	}
	if got.JobID != uuid.Nil {
		t.Errorf("recomputed score belongs to job %s", got.JobID)
	}
	for _, g := range domain.InputGroups {
		if got.Sources[g].EventID != want.Sources[g].EventID || got.Sources[g].Source != want.Sources[g].Source {
			t.Errorf("%s source %+v, want %+v", g, got.Sources[g], want.Sources[g])
		}
	}
	if types := w.types(domain.TargetStream(domain.MustParseDomain("imported.com"))); slices.Contains(types, domain.TypeScoreComputed) {
		t.Errorf("a target never scored was scored: %v", types)
	}
}
