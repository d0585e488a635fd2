package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnerforge/partnerforge/adapters/legacysqlite"
	"github.com/partnerforge/partnerforge/adapters/memstore"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

var fixedNow = func() time.Time { return time.Date(2025, 4, 1, 8, 0, 0, 0, time.UTC) }

// countEvents counts the stored events of the given type, or all of them
// when typ is empty.
func countEvents(t *testing.T, store *memstore.Store, typ string) int {
	t.Helper()
	evs, err := store.ReadAll(context.Background(), 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if typ == "" || e.Type == typ {
			n++
		}
	}
	return n
}

// targetDomains lists, in order, the domains whose target fold says they
// are targets: what the read model lists.
func targetDomains(t *testing.T, store *memstore.Store) []string {
	t.Helper()
	evs, err := store.ReadAll(context.Background(), 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	streams := map[string][]domain.RecordedEvent{}
	for _, e := range evs {
		if name, ok := strings.CutPrefix(e.StreamID, "target-"); ok {
			streams[name] = append(streams[name], e)
		}
	}
	var out []string
	for name, evs := range streams {
		target, err := domain.LoadTarget(domain.MustParseDomain(name), evs)
		if err != nil {
			t.Fatal(err)
		}
		if target.IsTarget() {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

var messyDomains = []string{"cedar-home.com", "harbor-supply.com", "maple-market.com", "northwind-outfitters.com", "quarry-depot.de"}

func TestImportMessyList(t *testing.T) {
	t.Parallel()
	store := memstore.New(fixedNow)
	cmd, read := readLegacy(t, writeLegacy(t, messyRows()))
	var progress [][2]int
	res, err := commands.NewImportTargetsHandler(store, fixedNow).Handle(context.Background(), cmd,
		func(done, total int) { progress = append(progress, [2]int{done, total}) })
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 5 || res.AlreadyImported != 0 || !res.Recorded || res.BatchID != domain.ImportBatchID(cmd.Checksum) {
		t.Errorf("result = %+v", res)
	}
	if !slices.Equal(progress, [][2]int{{5, 5}}) {
		t.Errorf("progress = %v", progress)
	}

	// The reader's rules: merges keep the newest enrichment, bad domains are
	// rejected with a reason, a bad cell is a warning.
	rep := read.Report
	if rep.RowsRead != 11 || rep.Merged != 3 || rep.Rejected != 3 || len(rep.Warnings) != 1 {
		t.Errorf("report: read %d merged %d rejected %d warnings %v", rep.RowsRead, rep.Merged, rep.Rejected, rep.Warnings)
	}
	wantMerges := []legacysqlite.Merge{
		{Domain: "cedar-home.com", KeptRowID: 5, DroppedRowIDs: []int64{4}},
		{Domain: "northwind-outfitters.com", KeptRowID: 2, DroppedRowIDs: []int64{1, 3}},
	}
	if mustJSON(t, rep.Merges) != mustJSON(t, wantMerges) {
		t.Errorf("merges = %s", mustJSON(t, rep.Merges))
	}
	for i, want := range []int64{6, 7, 8} {
		if rej := rep.Rejections[i]; rej.RowID != want || rej.Reason == "" {
			t.Errorf("rejection %d = %+v, want row %d with a reason", i, rej, want)
		}
	}

	// One TargetImported per target, on its own stream, naming its rows.
	evs, err := store.ReadStream(context.Background(), domain.TargetStream(domain.MustParseDomain("northwind-outfitters.com")), 0, 10)
	if err != nil || len(evs) != 1 {
		t.Fatalf("northwind stream: %d events, %v", len(evs), err)
	}
	var imported domain.TargetImported
	if err := json.Unmarshal(evs[0].Data, &imported); err != nil {
		t.Fatal(err)
	}
	if imported.SourceRowID != 2 || !slices.Equal(imported.MergedRows, []int64{1, 3}) || imported.BatchID != res.BatchID ||
		imported.Profile.CompanyName != "Northwind Outfitters" || evs[0].Metadata.Actor != "ops@example.com" {
		t.Errorf("imported = %+v, metadata %+v", imported, evs[0].Metadata)
	}
	batch, err := store.ReadStream(context.Background(), domain.ImportStream(res.BatchID), 0, 10)
	if err != nil || len(batch) != 1 || batch[0].Type != domain.TypeImportBatchRecorded {
		t.Fatalf("batch stream: %+v, %v", batch, err)
	}
	var recorded domain.ImportBatchRecorded
	if err := json.Unmarshal(batch[0].Data, &recorded); err != nil {
		t.Fatal(err)
	}
	var stored legacysqlite.Report
	if err := json.Unmarshal(recorded.Report, &stored); err != nil {
		t.Fatal(err)
	}
	if len(recorded.Targets) != 5 || recorded.Checksum != cmd.Checksum || stored.Rejected != 3 || len(stored.Merges) != 2 {
		t.Errorf("recorded batch %v, checksum %s, report %+v", recorded.Targets, recorded.Checksum, stored)
	}
	if got := targetDomains(t, store); !slices.Equal(got, messyDomains) {
		t.Errorf("read model holds %v, want %v", got, messyDomains)
	}
}

func TestImportIsIdempotent(t *testing.T) {
	t.Parallel()
	store := memstore.New(fixedNow)
	h := commands.NewImportTargetsHandler(store, fixedNow)
	path := writeLegacy(t, messyRows())
	cmd, _ := readLegacy(t, path)
	if _, err := h.Handle(context.Background(), cmd, nil); err != nil {
		t.Fatal(err)
	}
	before := countEvents(t, store, "")
	again, _ := readLegacy(t, path) // read afresh, as a second run would
	res, err := h.Handle(context.Background(), again, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 0 || res.AlreadyImported != 5 || res.Recorded {
		t.Errorf("second import = %+v", res)
	}
	if after := countEvents(t, store, ""); after != before {
		t.Errorf("second import appended %d events", after-before)
	}
}

// crashOnRecord fails the append that records the batch, as a crash right
// before it would leave things.
type crashOnRecord struct{ *memstore.Store }

func (s crashOnRecord) AppendStreams(ctx context.Context, parts ...domain.StreamAppend) ([]domain.AppendResult, error) {
	if strings.HasPrefix(parts[0].Stream, "import-") {
		return nil, errors.New("crashed")
	}
	return s.Store.AppendStreams(ctx, parts...)
}

func TestImportResumesAfterCrash(t *testing.T) {
	t.Parallel()
	store := memstore.New(fixedNow)
	cmd, _ := readLegacy(t, writeLegacy(t, messyRows()))
	partial := cmd
	partial.Targets = cmd.Targets[1:3] // the chunk got this far
	if _, err := commands.NewImportTargetsHandler(crashOnRecord{store}, fixedNow).Handle(context.Background(), partial, nil); err == nil {
		t.Fatal("crashed import succeeded")
	}
	res, err := commands.NewImportTargetsHandler(store, fixedNow).Handle(context.Background(), cmd, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 3 || res.AlreadyImported != 2 || !res.Recorded {
		t.Errorf("resumed import = %+v", res)
	}
	if n := countEvents(t, store, domain.TypeTargetImported); n != 5 {
		t.Errorf("%d TargetImported events, want 5", n)
	}
}

func TestRevertImport(t *testing.T) {
	t.Parallel()
	store := memstore.New(fixedNow)
	ctx := context.Background()
	importer := commands.NewImportTargetsHandler(store, fixedNow)
	cmd, _ := readLegacy(t, writeLegacy(t, messyRows()))
	first, err := importer.Handle(ctx, cmd, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A later file lists one of the targets again: it is that batch's now.
	later, _ := readLegacy(t, writeLegacy(t, []legacyRow{{1, "quarry-depot.de", "Quarry Depot (2025)", nil, 35, "Hardware", "DE"}}))
	if _, err := importer.Handle(ctx, later, nil); err != nil {
		t.Fatal(err)
	}
	if got := targetDomains(t, store); len(got) != 5 {
		t.Fatalf("read model before revert: %v", got)
	}

	reverter := commands.NewRevertImportHandler(store, fixedNow)
	res, err := reverter.Handle(ctx, commands.RevertImport{BatchID: first.BatchID, Actor: "ops@example.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res != (commands.RevertResult{Reverted: 4, Superseded: 1, Recorded: true}) {
		t.Errorf("revert = %+v", res)
	}
	if got := targetDomains(t, store); !slices.Equal(got, []string{"quarry-depot.de"}) {
		t.Errorf("read model after revert: %v", got)
	}
	// History stays: the withdrawn target's stream holds both events.
	evs, err := store.ReadStream(ctx, domain.TargetStream(domain.MustParseDomain("cedar-home.com")), 0, 10)
	if err != nil || len(evs) != 2 || evs[0].Type != domain.TypeTargetImported || evs[1].Type != domain.TypeTargetImportReverted {
		t.Errorf("cedar-home.com history: %d events, %v", len(evs), err)
	}

	before := countEvents(t, store, "")
	again, err := reverter.Handle(ctx, commands.RevertImport{BatchID: first.BatchID, Actor: "ops@example.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again != (commands.RevertResult{AlreadyReverted: 4, Superseded: 1}) || countEvents(t, store, "") != before {
		t.Errorf("second revert = %+v, appended %d events", again, countEvents(t, store, "")-before)
	}

	if _, err := importer.Handle(ctx, cmd, nil); !errors.Is(err, domain.ErrBatchReverted) {
		t.Errorf("import of a reverted file: err = %v, want ErrBatchReverted", err)
	}
	if _, err := reverter.Handle(ctx, commands.RevertImport{BatchID: domain.ImportBatchID("nope")}, nil); !errors.Is(err, domain.ErrUnknownBatch) {
		t.Errorf("revert of an unknown batch: err = %v, want ErrUnknownBatch", err)
	}
}

// A target that moved since the revert decided (a job opened on it) is
// reloaded and withdrawn all the same.
type jobOpensDuringRevert struct {
	*memstore.Store
	opened bool
	d      domain.Domain
}

func (s *jobOpensDuringRevert) AppendStreams(ctx context.Context, parts ...domain.StreamAppend) ([]domain.AppendResult, error) {
	if len(parts) > 1 && !s.opened {
		s.opened = true
		ev, err := domain.Encode(domain.EnrichmentJobOpened{Domain: s.d, RequestedBy: "rep@example.com"}, domain.Metadata{})
		if err != nil {
			return nil, err
		}
		if _, err := s.Store.Append(ctx, domain.TargetStream(s.d), domain.AnyVersion, ev); err != nil {
			return nil, err
		}
	}
	return s.Store.AppendStreams(ctx, parts...)
}

func TestRevertRetriesAConflict(t *testing.T) {
	t.Parallel()
	store := memstore.New(fixedNow)
	cmd, _ := readLegacy(t, writeLegacy(t, messyRows()))
	imported, err := commands.NewImportTargetsHandler(store, fixedNow).Handle(context.Background(), cmd, nil)
	if err != nil {
		t.Fatal(err)
	}
	racing := &jobOpensDuringRevert{Store: store, d: domain.MustParseDomain("harbor-supply.com")}
	res, err := commands.NewRevertImportHandler(racing, fixedNow).Handle(context.Background(), commands.RevertImport{BatchID: imported.BatchID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !racing.opened || res.Reverted != 5 {
		t.Errorf("revert = %+v (conflict planted: %v)", res, racing.opened)
	}
	if got := targetDomains(t, store); len(got) != 0 {
		t.Errorf("read model after revert: %v", got)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
