package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections/projectiontest"
)

// TestScoresRecompute moves a score an older model computed to the current
// model: a dry run counts it, the run appends it, a second run finds nothing.
func TestScoresRecompute(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewDB(t)
	store := postgres.NewEventStore(db.Pool)
	d := "rescore.example"
	prof := projectiontest.Profile(d, "Rescore", "Fashion", "US", 20)
	projectiontest.Import(t, store, uuid.New(), prof)
	projectiontest.RunJob(t, store, projectiontest.Job{Domain: d, At: time.Now(), Fetched: projectiontest.AllFetched(), Profile: &prof})
	stream := domain.TargetStream(domain.MustParseDomain(d))
	evs, err := store.ReadStream(ctx, stream, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var old domain.ScoreComputed
	for _, re := range evs {
		if re.Type == domain.TypeScoreComputed {
			e, err := domain.Decode(re)
			if err != nil {
				t.Fatal(err)
			}
			old = e.(domain.ScoreComputed)
		}
	}
	old.Score.ModelVersion, old.Score.Value = "icp-v1", old.Score.Value+3
	ev, err := domain.Encode(old, domain.Metadata{Actor: "old build"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := store.Append(ctx, stream, domain.AnyVersion, ev)
	if err != nil {
		t.Fatal(err)
	}
	pgtest.WaitForHorizon(t, db.Pool, res.LastPosition)

	env := map[string]string{"DATABASE_URL": db.URL, "LOG_LEVEL": "error"}
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, func(k string) string { return env[k] }, &out)
		return out.String(), err
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"scores", "recompute", "--dry-run"}, "1 of 1 scored targets would change"},
		{[]string{"scores", "recompute", "--model", domain.ScoringModelVersion}, "1 of 1 scored targets changed"},
		{[]string{"scores", "recompute"}, "0 of 1 scored targets changed"},
	}
	for _, tt := range tests {
		out, err := cli(tt.args...)
		if err != nil || !strings.Contains(out, tt.want) {
			t.Fatalf("partnerforge %s: %q, %v; want %q", strings.Join(tt.args, " "), out, err, tt.want)
		}
	}
	if _, err := cli("scores", "recompute", "--model", "icp-v9"); err == nil || !strings.Contains(err.Error(), errUsage.Error()) {
		t.Fatalf("recompute to another model: %v, want a usage error", err)
	}
}
