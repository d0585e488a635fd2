package legacysqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func writeDemo(t *testing.T, n int, seed int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "demo.sqlite")
	if err := WriteDemo(context.Background(), path, n, seed); err != nil {
		t.Fatalf("WriteDemo: %v", err)
	}
	return path
}

func readDemo(t *testing.T, path string) *Result {
	t.Helper()
	res, err := Read(context.Background(), path, testNormalize, nil)
	if err != nil {
		t.Fatalf("Read demo: %v", err)
	}
	return res
}

// dumpRows returns every stored cell, storage class included.
func dumpRows(t *testing.T, path string) [][]any {
	t.Helper()
	db, err := sql.Open("sqlite", readOnlyDSN(path))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT * FROM " + Table + " ORDER BY id")
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("scan: %v", err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("rows: %v", err)
	}
	return out
}

func TestWriteDemoIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := writeDemo(t, DemoRows, DemoSeed), writeDemo(t, DemoRows, DemoSeed)
	rowsA := dumpRows(t, a)
	if len(rowsA) != DemoRows {
		t.Fatalf("demo has %d rows, want %d", len(rowsA), DemoRows)
	}
	if !reflect.DeepEqual(rowsA, dumpRows(t, b)) {
		t.Fatal("two demos from one seed hold different rows")
	}
	if !reflect.DeepEqual(readDemo(t, a), readDemo(t, b)) {
		t.Fatal("two demos from one seed read differently")
	}
	// A small n is enough to tell seeds apart.
	if reflect.DeepEqual(dumpRows(t, writeDemo(t, 200, DemoSeed)), dumpRows(t, writeDemo(t, 200, DemoSeed+1))) {
		t.Fatal("another seed produced the same rows")
	}
}

func TestDemoImportCounts(t *testing.T) {
	t.Parallel()
	plan := DemoPlan(DemoRows)
	if want := (Plan{Duplicates: 16, Triples: 2, Invalid: 8, BadCells: 6}); plan != want {
		t.Fatalf("DemoPlan(%d) = %+v, want %+v", DemoRows, plan, want)
	}
	var progress [][2]int
	res, err := Read(context.Background(), writeDemo(t, DemoRows, DemoSeed), testNormalize, func(done, total int) {
		progress = append(progress, [2]int{done, total})
	})
	if err != nil {
		t.Fatalf("Read demo: %v", err)
	}
	rep := res.Report
	got := [6]int{rep.RowsRead, rep.TargetsImported, rep.Merged, len(rep.Merges), rep.Rejected, len(rep.Warnings)}
	if want := [6]int{2687, 2663, 16, 14, 8, 6}; got != want {
		t.Fatalf("rows, targets, merged, merges, rejected, warnings = %v, want %v", got, want)
	}
	if rep.RowsRead != rep.TargetsImported+rep.Merged+rep.Rejected {
		t.Errorf("report does not account for every row: %+v", rep)
	}
	wantProgress := [][2]int{{500, 2687}, {1000, 2687}, {1500, 2687}, {2000, 2687}, {2500, 2687}, {2687, 2687}}
	if !reflect.DeepEqual(progress, wantProgress) {
		t.Errorf("progress = %v, want %v", progress, wantProgress)
	}
	if len(rep.MissingColumns) != 0 {
		t.Errorf("demo lacks columns %v", rep.MissingColumns)
	}
}

// The demo import shows the legacy list's 2,687 targets exactly.
func TestDemoRowsFor(t *testing.T) {
	t.Parallel()
	for _, targets := range []int{0, 1, 159, 2399, 2400} {
		n := DemoRowsFor(targets)
		p := DemoPlan(n)
		if n-p.Duplicates-p.Invalid != targets {
			t.Errorf("DemoRowsFor(%d) = %d, which yields %d targets", targets, n, n-p.Duplicates-p.Invalid)
		}
	}
	n := DemoRowsFor(DemoRows)
	if n != 2712 {
		t.Errorf("DemoRowsFor(%d) = %d, want 2712", DemoRows, n)
	}
	rep := readDemo(t, writeDemo(t, n, DemoSeed)).Report
	got := [4]int{rep.RowsRead, rep.TargetsImported, rep.Merged, rep.Rejected}
	if want := [4]int{2712, DemoRows, 16, 9}; got != want {
		t.Fatalf("rows, targets, merged, rejected = %v, want %v", got, want)
	}
}

// TestDemoIsConsistent checks the properties the rest of the product relies
// on: shares are fractions, tiers agree with scores and breakdowns add up.
func TestDemoIsConsistent(t *testing.T) {
	t.Parallel()
	res := readDemo(t, writeDemo(t, DemoRows, DemoSeed))
	public := 0
	for _, tg := range res.Targets {
		p := tg.Profile
		for name, f := range map[string]*float64{"bounce": p.SWBounceRate, "search": p.SWSearchTrafficPct, "margin": p.GrossMargin} {
			if f != nil && (*f < 0 || *f > 1) {
				t.Errorf("%s %s = %v, want a fraction", p.Domain, name, *f)
			}
		}
		if p.ICPScore == nil || p.ICPTier == nil {
			t.Fatalf("%s has no ICP score or tier", p.Domain)
		}
		tier, name := icpTier(int(*p.ICPScore))
		if int64(tier) != *p.ICPTier || name != p.ICPTierName {
			t.Errorf("%s: score %d has tier %d %q, want %d %q", p.Domain, *p.ICPScore, *p.ICPTier, p.ICPTierName, tier, name)
		}
		var parts map[string]int64
		if err := json.Unmarshal(p.ScoreBreakdown, &parts); err != nil {
			t.Fatalf("%s breakdown %s: %v", p.Domain, p.ScoreBreakdown, err)
		}
		sum := int64(0)
		for _, v := range parts {
			sum += v
		}
		if sum != *p.ICPScore {
			t.Errorf("%s: breakdown %s sums to %d, score is %d", p.Domain, p.ScoreBreakdown, sum, *p.ICPScore)
		}
		if p.IsPublic != nil && *p.IsPublic {
			public++
			if p.Ticker == "" || p.Revenue == nil {
				t.Errorf("%s is public without ticker or revenue", p.Domain)
			}
		}
	}
	if public == 0 {
		t.Error("demo has no public companies")
	}
}

func TestWriteDemoSmall(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 50} {
		res := readDemo(t, writeDemo(t, n, 7))
		rep := res.Report
		if rep.RowsRead != n || rep.TargetsImported != n || len(rep.Warnings) != 0 {
			t.Errorf("n=%d: read %d, imported %d, warnings %v", n, rep.RowsRead, rep.TargetsImported, rep.Warnings)
		}
	}
}

func TestWriteDemoRefusesToOverwrite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "precious.sqlite")
	if err := os.WriteFile(path, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteDemo(context.Background(), path, 10, 1)
	if !errors.Is(err, os.ErrExist) {
		t.Fatalf("WriteDemo over an existing file: err = %v, want os.ErrExist", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep me" {
		t.Fatalf("existing file was changed to %q", b)
	}
	if err := WriteDemo(context.Background(), filepath.Join(t.TempDir(), "x.sqlite"), -1, 1); err == nil {
		t.Fatal("negative row count accepted")
	}
}

func TestWriteDemoRemovesPartialFile(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	path := filepath.Join(t.TempDir(), "demo.sqlite")
	if err := WriteDemo(ctx, path, 100, 1); err == nil {
		t.Fatal("WriteDemo with a cancelled context succeeded")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("partial file left behind: %v", err)
	}
}

// Past the invented names' space (tens of thousands of rows) the generator
// still ends, with every company's domain its own.
func TestLargeDemoNamesStayUnique(t *testing.T) {
	t.Parallel()
	const n = 120_000
	g := newDemoGen(n, DemoSeed)
	rows, err := g.rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n || len(g.domains) != n {
		t.Fatalf("%d rows, %d domains, want %d", len(rows), len(g.domains), n)
	}
	seen := make(map[string]bool, n)
	for _, d := range g.domains {
		if seen[d] {
			t.Fatalf("domain %s invented twice", d)
		}
		seen[d] = true
	}
}

func TestDemoGenerationStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newDemoGen(1_000_000, DemoSeed).rows(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("generation after cancel: %v, want context.Canceled", err)
	}
}
