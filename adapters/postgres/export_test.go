package postgres_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerforge/partnerforge/adapters/eventstoretest"
	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/domain"
)

// seedEvents stores n events in one transaction with a single INSERT …
// SELECT, positions taken from the transaction's id as the store takes them,
// spread over streams of a thousand events each. Each payload is about 300
// bytes, like a provider outcome.
func seedEvents(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `
INSERT INTO events (position, stream_id, stream_version, event_id, event_type, data)
SELECT (pg_current_xact_id()::text::bigint << 20) + i,
       'export-' || (i / 1000),
       i % 1000 + 1,
       md5('export-event-' || i)::uuid,
       'ExportProbe',
       jsonb_build_object('domain', 'company-' || i || '.example.com', 'seq', i, 'note', repeat('n', 200))
FROM generate_series(0, $1 - 1) AS i`, n)
	if err != nil {
		t.Fatalf("seed %d events: %v", n, err)
	}
	var last int64
	if err := pool.QueryRow(context.Background(), `SELECT max(position) FROM events`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	pgtest.WaitForHorizon(t, pool, last)
}

// lineChecker reads an export as it is written and checks every line: a
// JSON object with a position above the previous one.
type lineChecker struct {
	lines int64
	last  int64
	err   error
	rest  []byte
}

func (c *lineChecker) Write(p []byte) (int, error) {
	data := append(c.rest, p...)
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		c.check(data[:i])
		data = data[i+1:]
	}
	c.rest = append(c.rest[:0], data...)
	return len(p), nil
}

// check reads only the position, which every line starts with, so checking
// does not cost as much as exporting; domain's TestExportedEventLines checks whole lines.
func (c *lineChecker) check(line []byte) {
	c.lines++
	rest, ok := bytes.CutPrefix(line, []byte(`{"position":`))
	end := bytes.IndexByte(rest, ',')
	if !ok || end < 0 || !bytes.HasSuffix(line, []byte("}")) {
		c.fail(fmt.Errorf("line %d is not an exported event: %.80s", c.lines, line))
		return
	}
	pos, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	if err != nil {
		c.fail(fmt.Errorf("line %d: position: %v", c.lines, err))
		return
	}
	if pos <= c.last {
		c.fail(fmt.Errorf("line %d: position %d after %d", c.lines, pos, c.last))
	}
	c.last = pos
}

func (c *lineChecker) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// TestExportOfAMillionEventsHoldsMemoryFlat exports a million events and
// samples the live heap (after a collection) as pages go by: it must stay
// far below what holding the events would take (about 400 MiB for these
// payloads). It is not parallel so no other test's allocations count.
func TestExportOfAMillionEventsHoldsMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a million events")
	}
	const (
		events  = 1_000_000
		maxLive = 64 << 20
	)
	d := pgtest.NewDB(t)
	seedEvents(t, d.Pool, events)
	store := postgres.NewEventStore(d.Pool)

	checker := &lineChecker{}
	buf := bufio.NewWriterSize(checker, 64<<10)
	enc := domain.NewExportEncoder(buf)
	var (
		pages    int
		peakLive uint64
		ms       runtime.MemStats
	)
	sample := func() {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		peakLive = max(peakLive, ms.HeapAlloc)
	}
	sample()
	baseline := peakLive
	n, err := store.Export(context.Background(), domain.EventFilter{}, func(page []domain.RecordedEvent) error {
		for _, re := range page {
			if err := enc.Encode(re); err != nil {
				return err
			}
		}
		pages++
		if pages%50 == 0 { // twenty samples over the export
			sample()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := buf.Flush(); err != nil {
		t.Fatal(err)
	}
	if n != events || checker.lines != events {
		t.Fatalf("exported %d events, %d lines; want %d", n, checker.lines, events)
	}
	if checker.err != nil {
		t.Fatal(checker.err)
	}
	t.Logf("live heap: %.1f MiB before, peak %.1f MiB during the export of %d events",
		float64(baseline)/(1<<20), float64(peakLive)/(1<<20), n)
	if peakLive > maxLive {
		t.Fatalf("live heap peaked at %.1f MiB during the export, want under %d MiB", float64(peakLive)/(1<<20), maxLive>>20)
	}
}

func TestExportFilters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := pgtest.NewDB(t)
	store := postgres.NewEventStore(d.Pool)
	a, b := eventstoretest.UniqueStream("target"), eventstoretest.UniqueStream("job")
	var lastPos int64
	for _, part := range []struct {
		stream string
		types  []string
	}{{a, []string{"A", "B"}}, {b, []string{"A", "C"}}, {a, []string{"A"}}} {
		evs := make([]domain.EventData, len(part.types))
		for i, typ := range part.types {
			evs[i] = eventstoretest.NewEvent(t, typ, map[string]any{"n": i})
		}
		res, err := store.Append(ctx, part.stream, domain.AnyVersion, evs...)
		if err != nil {
			t.Fatal(err)
		}
		lastPos = res.LastPosition
	}
	pgtest.WaitForHorizon(t, d.Pool, lastPos)
	all := exportAll(t, store, domain.EventFilter{})
	if len(all) != 5 {
		t.Fatalf("export of everything: %d events, want 5", len(all))
	}
	// Pin the recorded times the time filters compare with: they are the
	// appending transactions' times, so all five may share one instant.
	first, last := all[0].RecordedAt, all[len(all)-1].RecordedAt

	tests := []struct {
		name   string
		filter domain.EventFilter
		want   []int64 // positions, in order
	}{
		{"everything", domain.EventFilter{}, positions(all)},
		{"one stream", domain.EventFilter{Stream: a}, positions(all[0:2], all[4:5])},
		{"one type", domain.EventFilter{Type: "A"}, positions(all[0:1], all[2:3], all[4:5])},
		{"stream and type", domain.EventFilter{Stream: b, Type: "C"}, positions(all[3:4])},
		{"after a position", domain.EventFilter{After: all[2].Position}, positions(all[3:])},
		{"after the last", domain.EventFilter{After: all[4].Position}, nil},
		{"since the first, inclusive", domain.EventFilter{Since: first}, positions(all)},
		{"until the first, exclusive", domain.EventFilter{Until: first}, nil},
		{"since after the last", domain.EventFilter{Since: last.Add(time.Microsecond)}, nil},
		{"unknown stream", domain.EventFilter{Stream: "target-nowhere"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := positions(exportAll(t, store, tt.filter))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("positions %v, want %v", got, tt.want)
			}
		})
	}
}

func exportAll(t *testing.T, store *postgres.EventStore, f domain.EventFilter) []domain.RecordedEvent {
	t.Helper()
	var out []domain.RecordedEvent
	n, err := store.Export(context.Background(), f, func(page []domain.RecordedEvent) error {
		out = append(out, page...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(out)) {
		t.Fatalf("Export counted %d events, handed over %d", n, len(out))
	}
	return out
}

func positions(groups ...[]domain.RecordedEvent) []int64 {
	var out []int64
	for _, g := range groups {
		for _, e := range g {
			out = append(out, e.Position)
		}
	}
	return out
}
