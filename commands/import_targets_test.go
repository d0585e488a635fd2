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
	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections"
)

var fixedNow = func() time.Time { return time.Date(2025, 4, 1, 8, 0, 0, 0, time.UTC) }

func countEvents(t *testing.T, d *pgtest.Database, where string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Pool.QueryRow(context.Background(), "SELECT count(*) FROM events WHERE "+where, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func readModelDomains(t *testing.T, d *pgtest.Database) []string {
	t.Helper()
	r, err := projections.NewRunner(d.Pool, projections.Config{}, projections.All()...)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows, err := d.Pool.Query(context.Background(), "SELECT domain FROM displacement_targets ORDER BY domain")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

var messyDomains = []string{"cedar-home.com", "harbor-supply.com", "maple-market.com", "northwind-outfitters.com", "quarry-depot.de"}

func TestImportMessyList(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	cmd, read := readLegacy(t, writeLegacy(t, messyRows()))
	var progress [][2]int
	res, err := commands.NewImportTargetsHandler(postgres.NewEventStore(d.Pool), fixedNow).Handle(context.Background(), cmd,
		func(done, total int) { progress = append(progress, [2]int{done, total}) })
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 5 || res.AlreadyImported != 0 || !res.Recorded || res.BatchID != commands.ImportBatchID(cmd.Checksum) {
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
	evs, err := postgres.NewEventStore(d.Pool).ReadStream(context.Background(), domain.TargetStream(domain.MustParseDomain("northwind-outfitters.com")), 0, 10)
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
	batch, err := postgres.NewEventStore(d.Pool).ReadStream(context.Background(), commands.ImportStream(res.BatchID), 0, 10)
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
	if got := readModelDomains(t, d); !slices.Equal(got, messyDomains) {
		t.Errorf("read model holds %v, want %v", got, messyDomains)
	}
}

func TestImportIsIdempotent(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	h := commands.NewImportTargetsHandler(postgres.NewEventStore(d.Pool), fixedNow)
	path := writeLegacy(t, messyRows())
	cmd, _ := readLegacy(t, path)
	if _, err := h.Handle(context.Background(), cmd, nil); err != nil {
		t.Fatal(err)
	}
	before := countEvents(t, d, "true")
	again, _ := readLegacy(t, path) // read afresh, as a second run would
	res, err := h.Handle(context.Background(), again, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 0 || res.AlreadyImported != 5 || res.Recorded {
		t.Errorf("second import = %+v", res)
	}
	if after := countEvents(t, d, "true"); after != before {
		t.Errorf("second import appended %d events", after-before)
	}
}

// crashOnRecord fails the append that records the batch, as a crash right
// before it would leave things.
type crashOnRecord struct{ *postgres.EventStore }

func (s crashOnRecord) AppendStreams(ctx context.Context, parts ...domain.StreamAppend) ([]domain.AppendResult, error) {
	if strings.HasPrefix(parts[0].Stream, "import-") {
		return nil, errors.New("crashed")
	}
	return s.EventStore.AppendStreams(ctx, parts...)
}

func TestImportResumesAfterCrash(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	store := postgres.NewEventStore(d.Pool)
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
	if n := countEvents(t, d, "event_type = $1", domain.TypeTargetImported); n != 5 {
		t.Errorf("%d TargetImported events, want 5", n)
	}
}

func TestRevertImport(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	store := postgres.NewEventStore(d.Pool)
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
	if got := readModelDomains(t, d); len(got) != 5 {
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
	if got := readModelDomains(t, d); !slices.Equal(got, []string{"quarry-depot.de"}) {
		t.Errorf("read model after revert: %v", got)
	}
	// History stays: the withdrawn target's stream holds both events.
	evs, err := store.ReadStream(ctx, domain.TargetStream(domain.MustParseDomain("cedar-home.com")), 0, 10)
	if err != nil || len(evs) != 2 || evs[0].Type != domain.TypeTargetImported || evs[1].Type != domain.TypeTargetImportReverted {
		t.Errorf("cedar-home.com history: %d events, %v", len(evs), err)
	}

	before := countEvents(t, d, "true")
	again, err := reverter.Handle(ctx, commands.RevertImport{BatchID: first.BatchID, Actor: "ops@example.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again != (commands.RevertResult{AlreadyReverted: 4, Superseded: 1}) || countEvents(t, d, "true") != before {
		t.Errorf("second revert = %+v, appended %d events", again, countEvents(t, d, "true")-before)
	}

	if _, err := importer.Handle(ctx, cmd, nil); !errors.Is(err, commands.ErrBatchReverted) {
		t.Errorf("import of a reverted file: err = %v, want ErrBatchReverted", err)
	}
	if _, err := reverter.Handle(ctx, commands.RevertImport{BatchID: commands.ImportBatchID("nope")}, nil); !errors.Is(err, commands.ErrUnknownBatch) {
		t.Errorf("revert of an unknown batch: err = %v, want ErrUnknownBatch", err)
	}
}

// A target that moved since the revert decided (a job opened on it) is
// reloaded and withdrawn all the same.
type jobOpensDuringRevert struct {
	*postgres.EventStore
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
		if _, err := s.EventStore.Append(ctx, domain.TargetStream(s.d), domain.AnyVersion, ev); err != nil {
			return nil, err
		}
	}
	return s.EventStore.AppendStreams(ctx, parts...)
}

func TestRevertRetriesAConflict(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	store := postgres.NewEventStore(d.Pool)
	cmd, _ := readLegacy(t, writeLegacy(t, messyRows()))
	imported, err := commands.NewImportTargetsHandler(store, fixedNow).Handle(context.Background(), cmd, nil)
	if err != nil {
		t.Fatal(err)
	}
	racing := &jobOpensDuringRevert{EventStore: store, d: domain.MustParseDomain("harbor-supply.com")}
	res, err := commands.NewRevertImportHandler(racing, fixedNow).Handle(context.Background(), commands.RevertImport{BatchID: imported.BatchID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !racing.opened || res.Reverted != 5 {
		t.Errorf("revert = %+v (conflict planted: %v)", res, racing.opened)
	}
	if got := readModelDomains(t, d); len(got) != 0 {
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
