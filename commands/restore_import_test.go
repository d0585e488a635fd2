package commands_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/partnerforge/partnerforge/adapters/memstore"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

// importRevert imports the messy list and a later file that takes
// quarry-depot.de over, then reverts the first batch: the state a restore
// starts from.
func importRevert(t *testing.T, store *memstore.Store) commands.ImportResult {
	t.Helper()
	ctx := context.Background()
	importer := commands.NewImportTargetsHandler(store, fixedNow)
	cmd, _ := readLegacy(t, writeLegacy(t, messyRows()))
	first, err := importer.Handle(ctx, cmd, nil)
	if err != nil {
		t.Fatal(err)
	}
	later, _ := readLegacy(t, writeLegacy(t, []legacyRow{{1, "quarry-depot.de", "Quarry Depot (2025)", nil, 35, "Hardware", "DE"}}))
	if _, err := importer.Handle(ctx, later, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := commands.NewRevertImportHandler(store, fixedNow).Handle(ctx, commands.RevertImport{BatchID: first.BatchID, Actor: "ops"}, nil); err != nil {
		t.Fatal(err)
	}
	return first
}

func TestRestoreImport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := memstore.New(fixedNow)
	first := importRevert(t, store)
	restorer := commands.NewRestoreImportHandler(store, fixedNow)

	res, err := restorer.Handle(ctx, commands.RestoreImport{BatchID: first.BatchID, Actor: "ops@example.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res != (commands.RestoreResult{Restored: 4, Superseded: 1}) {
		t.Errorf("restore = %+v, want 4 restored and quarry-depot.de left to the later batch", res)
	}
	if got := targetDomains(t, store); !slices.Equal(got, messyDomains) {
		t.Errorf("targets after restore: %v, want %v", got, messyDomains)
	}
	// The target comes back as the batch had it: its import, appended again.
	evs, err := store.ReadStream(ctx, domain.TargetStream(domain.MustParseDomain("cedar-home.com")), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	types := make([]string, len(evs))
	for i, e := range evs {
		types[i] = e.Type
	}
	wantTypes := []string{domain.TypeTargetImported, domain.TypeTargetImportReverted, domain.TypeTargetImported}
	if !slices.Equal(types, wantTypes) || string(evs[2].Data) != string(evs[0].Data) || evs[2].Metadata.Actor != "ops@example.com" {
		t.Errorf("cedar-home.com history: %v, restored event %s (actor %q), want %v repeating %s",
			types, evs[2].Data, evs[2].Metadata.Actor, wantTypes, evs[0].Data)
	}
	// The later batch keeps its own version of quarry-depot.de.
	quarry, err := store.ReadStream(ctx, domain.TargetStream(domain.MustParseDomain("quarry-depot.de")), 0, 10)
	if err != nil || len(quarry) != 2 {
		t.Errorf("quarry-depot.de history: %d events, %v; want its two imports only", len(quarry), err)
	}
}

func TestRestoreImportRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := memstore.New(fixedNow)
	first := importRevert(t, store)
	restorer := commands.NewRestoreImportHandler(store, fixedNow)
	if _, err := restorer.Handle(ctx, commands.RestoreImport{BatchID: first.BatchID}, nil); err != nil {
		t.Fatal(err)
	}
	neverReverted, err := commands.NewImportTargetsHandler(store, fixedNow).Handle(ctx,
		must(readLegacy(t, writeLegacy(t, []legacyRow{{1, "lumen-goods.com", "Lumen Goods", nil, 50, "Home", "US"}}))), nil)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		batch commands.RestoreImport
		want  error
	}{
		{"a batch restored already", commands.RestoreImport{BatchID: first.BatchID}, domain.ErrBatchNotReverted},
		{"a batch never reverted", commands.RestoreImport{BatchID: neverReverted.BatchID}, domain.ErrBatchNotReverted},
		{"an unknown batch", commands.RestoreImport{BatchID: domain.ImportBatchID("nope")}, domain.ErrUnknownBatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := countEvents(t, store, "")
			_, err := restorer.Handle(ctx, tc.batch, nil)
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if n := countEvents(t, store, "") - before; n != 0 {
				t.Errorf("a refused restore appended %d events", n)
			}
		})
	}
}

// Event ids are derived from what was decided; each revert and restore of a
// batch is a decision of its own, so a second revert must not be taken for
// a replay of the first and stored as nothing.
func TestRevertRestoreCycles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := memstore.New(fixedNow)
	cmd, _ := readLegacy(t, writeLegacy(t, messyRows()))
	batch, err := commands.NewImportTargetsHandler(store, fixedNow).Handle(ctx, cmd, nil)
	if err != nil {
		t.Fatal(err)
	}
	reverter := commands.NewRevertImportHandler(store, fixedNow)
	restorer := commands.NewRestoreImportHandler(store, fixedNow)
	revert := func() {
		t.Helper()
		res, err := reverter.Handle(ctx, commands.RevertImport{BatchID: batch.BatchID}, nil)
		if err != nil || res != (commands.RevertResult{Reverted: 5, Recorded: true}) {
			t.Fatalf("revert = %+v, %v; want 5 withdrawn and recorded", res, err)
		}
		// Run twice in one cycle, it stays idempotent.
		again, err := reverter.Handle(ctx, commands.RevertImport{BatchID: batch.BatchID}, nil)
		if err != nil || again != (commands.RevertResult{AlreadyReverted: 5}) {
			t.Fatalf("second revert in the cycle = %+v, %v", again, err)
		}
		if got := targetDomains(t, store); len(got) != 0 {
			t.Fatalf("targets after revert: %v", got)
		}
	}
	restore := func() {
		t.Helper()
		res, err := restorer.Handle(ctx, commands.RestoreImport{BatchID: batch.BatchID}, nil)
		if err != nil || res != (commands.RestoreResult{Restored: 5}) {
			t.Fatalf("restore = %+v, %v; want 5 brought back", res, err)
		}
		if got := targetDomains(t, store); !slices.Equal(got, messyDomains) {
			t.Fatalf("targets after restore: %v", got)
		}
	}
	for range 3 {
		revert()
		restore()
	}
	revert()
	for typ, want := range map[string]int{
		domain.TypeTargetImported:       5 * 4,
		domain.TypeTargetImportReverted: 5 * 4,
		domain.TypeImportBatchReverted:  4,
		domain.TypeImportBatchRestored:  3,
	} {
		if got := countEvents(t, store, typ); got != want {
			t.Errorf("%d %s events stored, want %d", got, typ, want)
		}
	}
}

// An interrupted restore is finished by running it again: targets already
// back are counted, the rest restored, the batch recorded once.
func TestRestoreFinishesAnInterruptedRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := memstore.New(fixedNow)
	cmd, _ := readLegacy(t, writeLegacy(t, messyRows()))
	batch, err := commands.NewImportTargetsHandler(store, fixedNow).Handle(ctx, cmd, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := commands.NewRevertImportHandler(store, fixedNow).Handle(ctx, commands.RevertImport{BatchID: batch.BatchID}, nil); err != nil {
		t.Fatal(err)
	}
	failing := &failBatchAppend{Store: store}
	if _, err := commands.NewRestoreImportHandler(failing, fixedNow).Handle(ctx, commands.RestoreImport{BatchID: batch.BatchID}, nil); !errors.Is(err, errInterrupted) {
		t.Fatalf("interrupted restore: err = %v", err)
	}
	res, err := commands.NewRestoreImportHandler(store, fixedNow).Handle(ctx, commands.RestoreImport{BatchID: batch.BatchID}, nil)
	if err != nil || res != (commands.RestoreResult{AlreadyRestored: 5}) {
		t.Errorf("second run = %+v, %v; want the 5 targets found in place", res, err)
	}
	if got := countEvents(t, store, domain.TypeImportBatchRestored); got != 1 {
		t.Errorf("%d ImportBatchRestored events, want 1", got)
	}
}

var errInterrupted = errors.New("interrupted")

// failBatchAppend fails the append to the batch's stream, as a crash right
// before it would.
type failBatchAppend struct{ *memstore.Store }

func (s *failBatchAppend) AppendStreams(ctx context.Context, parts ...domain.StreamAppend) ([]domain.AppendResult, error) {
	for _, p := range parts {
		if len(p.Events) == 1 && p.Events[0].Type == domain.TypeImportBatchRestored {
			return nil, errInterrupted
		}
	}
	return s.Store.AppendStreams(ctx, parts...)
}

func must[T, U any](v T, _ U) T { return v }
