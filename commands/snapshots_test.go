package commands_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

// A load that folds DefaultSnapshotAfter events or more stores a snapshot;
// the next load starts from it and reads only the events after it. One that
// cannot be used is replaced by the load that folded the whole stream.
func TestRepositoryKeepsSnapshotsOfLongStreams(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	who := "rep@example.com"
	stream := domain.RequesterStream(who)
	snapshotVersion := func() int64 {
		t.Helper()
		snap := w.snapshot(stream, domain.RequesterSnapshotFormat)
		if snap == nil {
			return 0
		}
		return snap.Version
	}
	repo := commands.NewRepository(w.store)

	w.givenStarts(repeat(w.now, commands.DefaultSnapshotAfter-1)...)
	if _, err := repo.Requester(ctx, who); err != nil {
		t.Fatal(err)
	}
	if v := snapshotVersion(); v != 0 {
		t.Fatalf("a snapshot at %d after folding fewer than %d events", v, commands.DefaultSnapshotAfter)
	}
	w.givenStarts(w.now)
	if _, err := repo.Requester(ctx, who); err != nil {
		t.Fatal(err)
	}
	if v := snapshotVersion(); v != commands.DefaultSnapshotAfter {
		t.Fatalf("snapshot at %d, want %d", v, commands.DefaultSnapshotAfter)
	}
	// A few more events: the tail is short, no new snapshot.
	w.givenStarts(repeat(w.now, 3)...)
	r, err := repo.Requester(ctx, who)
	if err != nil {
		t.Fatal(err)
	}
	if v := snapshotVersion(); v != commands.DefaultSnapshotAfter {
		t.Fatalf("snapshot moved to %d after a short tail", v)
	}
	if got, want := r.StartedOn(w.now), commands.DefaultSnapshotAfter+3; got != want || r.Version() != int64(want) {
		t.Fatalf("started %d at version %d, want %d", got, r.Version(), want)
	}

	// An altered snapshot (its digest no longer matches) is not used, and
	// the load that folded the whole stream replaces it.
	snap := w.snapshot(stream, domain.RequesterSnapshotFormat)
	if snap == nil {
		t.Fatal("no snapshot")
	}
	altered := *snap
	altered.State = []byte(`{"open":{},"day":"2026-03-02T00:00:00Z","started_n":0}`)
	w.store.PutSnapshot(altered)
	r, err = repo.Requester(ctx, who)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.StartedOn(w.now); got != commands.DefaultSnapshotAfter+3 {
		t.Fatalf("started %d from an altered snapshot", got)
	}
	if v := snapshotVersion(); v != int64(commands.DefaultSnapshotAfter+3) {
		t.Fatalf("snapshot at %d, want it replaced at the head", v)
	}
	replaced := w.snapshot(stream, domain.RequesterSnapshotFormat)
	if _, err := domain.LoadRequesterFrom(stream, *replaced, nil); err != nil {
		t.Fatalf("the replacement is unusable: %v", err)
	}
}

// A target opened and joined through its snapshot decides as one folded
// from scratch.
func TestTargetLoadedFromSnapshotDecidesTheSame(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	w.importTarget("costco.com")
	d := domain.MustParseDomain("costco.com")
	// Enough jobs that the target's stream passes DefaultSnapshotAfter.
	for range commands.DefaultSnapshotAfter / 2 {
		w.run("costco.com", true, nil, nil)
		w.now = w.now.Add(time.Minute)
	}
	if w.snapshot(domain.TargetStream(d), domain.TargetSnapshotFormat) == nil {
		t.Fatal("no target snapshot")
	}
	repo := commands.NewRepository(w.store)
	from, err := repo.Target(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := repo.WithoutSnapshots().Target(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	id := func() uuid.UUID { return uuid.MustParse("0190f3a2-0000-7000-8000-000000000002") }
	for _, req := range []domain.EnrichmentRequest{{RequestedBy: "a@example.com"}, {RequestedBy: "a@example.com", Force: true}} {
		got, err1 := from.RequestEnrichment(req, domain.DefaultEnrichmentPolicy, w.now, id)
		want, err2 := whole.RequestEnrichment(req, domain.DefaultEnrichmentPolicy, w.now, id)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if got.JobID != want.JobID || got.Reused != want.Reused || len(got.TargetEvents) != len(want.TargetEvents) {
			t.Fatalf("from the snapshot %+v, from the stream %+v", got, want)
		}
	}
	if from.Version() != whole.Version() {
		t.Fatalf("version %d from the snapshot, %d from the stream", from.Version(), whole.Version())
	}
}

// snapshot is the stream's usable snapshot in format, nil when none.
func (w *world) snapshot(stream, format string) *domain.Snapshot {
	w.t.Helper()
	tails, err := w.store.ReadFromSnapshots(context.Background(), 1000, domain.SnapshotRead{Stream: stream, Format: format})
	if err != nil {
		w.t.Fatal(err)
	}
	return tails[0].Snapshot
}

func repeat(t time.Time, n int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = t
	}
	return out
}

// Opening and joining decide the same whether the store reads snapshots
// (target and requester in one round trip) or whole streams (the requester
// only once a job opens).
func TestOpeningWithAndWithoutSnapshots(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		store func(w *world) commands.EventStore
	}{
		{"snapshots", func(w *world) commands.EventStore { return w.store }},
		{"whole streams", func(w *world) commands.EventStore { return struct{ commands.EventStore }{w.store} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.givenStarts(repeat(w.now, commands.DefaultSnapshotAfter+2)...)
			w.importTarget("costco.com")
			w.importTarget("walmart.com")
			h := commands.NewRequestEnrichmentHandler(tt.store(w), domain.DefaultEnrichmentPolicy, 5, func() time.Time { return w.now })
			ask := func(d string) (commands.EnrichmentAccepted, error) {
				return h.Handle(context.Background(), commands.RequestEnrichment{
					Domain: domain.MustParseDomain(d), RequestedBy: "rep@example.com", EnrichmentsPerDay: commands.DefaultSnapshotAfter + 3,
				})
			}
			first, err := ask("costco.com")
			if err != nil || first.Reused != domain.NewJob {
				t.Fatalf("first: %+v, %v; want a new job", first, err)
			}
			joined, err := ask("costco.com")
			if err != nil || joined.Reused != domain.ReusedInFlight || joined.JobID != first.JobID {
				t.Fatalf("second: %+v, %v; want to join %s", joined, err, first.JobID)
			}
			if _, err := ask("walmart.com"); !errors.Is(err, domain.ErrDailyEnrichmentLimit) {
				t.Fatalf("third: %v; want the daily budget spent", err)
			}
		})
	}
}
