package legacysqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestReadRefusesWhatIsNotATable shows that an untrusted file cannot make
// the import run SQL of its choosing by naming a view (or a virtual table)
// displacement_targets.
func TestReadRefusesWhatIsNotATable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		stmts []string
		is    error
	}{
		{"view over another table", []string{
			"CREATE TABLE hidden (id INTEGER PRIMARY KEY, domain TEXT)",
			"INSERT INTO hidden VALUES (1, 'costco.com')",
			"CREATE VIEW displacement_targets AS SELECT id, domain FROM hidden",
		}, ErrNotATable},
		{"view in upper case", []string{
			"CREATE VIEW DISPLACEMENT_TARGETS AS SELECT 1 AS id, 'costco.com' AS domain",
		}, ErrNotATable},
		{"view that never ends", []string{
			"CREATE VIEW displacement_targets AS WITH RECURSIVE n(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM n) SELECT id, 'costco.com' AS domain FROM n",
		}, ErrNotATable},
		{"virtual table", []string{
			"CREATE VIRTUAL TABLE displacement_targets USING fts5(id, domain)",
		}, ErrNotATable},
		{"only a column of that name", []string{
			"CREATE TABLE t (displacement_targets TEXT)",
		}, ErrNoTable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := createDB(t, tt.stmts...)
			res, err := Read(context.Background(), path, testNormalize, nil)
			if !errors.Is(err, tt.is) {
				t.Fatalf("Read = %+v, %v; want %v", res, err, tt.is)
			}
			if !strings.Contains(err.Error(), "displacement_targets") {
				t.Errorf("error does not name the table: %v", err)
			}
		})
	}
}

// TestReadOpensTheFileUntrusted checks the connection settings every
// connection of the import gets.
func TestReadOpensTheFileUntrusted(t *testing.T) {
	t.Parallel()
	path := writeFixture(t, messyRows()...)
	db, err := sql.Open("sqlite", readOnlyDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(3)
	tests := []struct {
		pragma string
		want   int
	}{
		{"trusted_schema", 0},
		{"query_only", 1},
		{"cell_size_check", 1},
	}
	for _, tt := range tests {
		var got int
		if err := db.QueryRowContext(context.Background(), "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tt.pragma, err)
		}
		if got != tt.want {
			t.Errorf("PRAGMA %s = %d, want %d", tt.pragma, got, tt.want)
		}
	}
	if _, err := db.ExecContext(context.Background(), "DELETE FROM displacement_targets"); err == nil {
		t.Error("the import's connection could write to the file")
	}
}

func TestReadCapsCells(t *testing.T) {
	t.Parallel()
	hugeName := strings.Repeat("n", maxCellBytes+1)
	hugeDomain := strings.Repeat("d", maxKeyCellBytes) + ".com"
	path := createDB(t,
		"CREATE TABLE displacement_targets (id INTEGER PRIMARY KEY, domain TEXT, company_name TEXT, tech_stack_json TEXT, lead_score INTEGER)",
		fmt.Sprintf("INSERT INTO displacement_targets VALUES (1, 'big-name.com', '%s', NULL, 10)", hugeName),
		fmt.Sprintf("INSERT INTO displacement_targets VALUES (2, 'big-blob.com', 'Big Blob', zeroblob(%d), 20)", maxCellBytes+10),
		fmt.Sprintf("INSERT INTO displacement_targets VALUES (3, '%s', 'Long Domain', NULL, 30)", hugeDomain),
		fmt.Sprintf("INSERT INTO displacement_targets VALUES (4, 'at-the-cap.com', '%s', NULL, 40)", strings.Repeat("c", maxCellBytes)),
	)
	res, err := Read(context.Background(), path, testNormalize, nil)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if res.Report.RowsRead != 4 || res.Report.Rejected != 1 || len(res.Targets) != 3 {
		t.Fatalf("report %+v, want 4 rows read, 1 rejected, 3 targets", res.Report)
	}
	if r := res.Report.Rejections[0]; r.RowID != 3 || !strings.Contains(r.Reason, "limit") || utf8.RuneCountInString(r.RawDomain) > maxWarningValue+1 {
		t.Errorf("rejection %+v, want row 3 refused for its size", r)
	}
	want := map[int64]string{1: "company_name", 2: "tech_stack_json"}
	if len(res.Report.Warnings) != len(want) {
		t.Fatalf("warnings %+v, want one per oversize cell", res.Report.Warnings)
	}
	for _, w := range res.Report.Warnings {
		if want[w.RowID] != w.Column || !strings.Contains(w.Value, "bytes, not read") {
			t.Errorf("warning %+v", w)
		}
	}
	for _, tg := range res.Targets {
		switch tg.Profile.Domain {
		case "big-name.com":
			if tg.Profile.CompanyName != "" || tg.Profile.LeadScore == nil || *tg.Profile.LeadScore != 10 {
				t.Errorf("big-name.com: name of %d bytes kept, or the row's other cells lost", len(tg.Profile.CompanyName))
			}
		case "big-blob.com":
			if tg.Profile.TechStackJSON != nil || tg.Profile.CompanyName != "Big Blob" {
				t.Errorf("big-blob.com: blob kept or name lost: %+v", tg.Profile.CompanyName)
			}
		case "at-the-cap.com":
			if len(tg.Profile.CompanyName) != maxCellBytes {
				t.Errorf("a cell exactly at the cap was cut to %d bytes", len(tg.Profile.CompanyName))
			}
		}
	}
}

// TestReadTruncatesReasons shows that what the report (and so the import's
// event) repeats of a refused cell is bounded, however long the normaliser's
// error.
func TestReadTruncatesReasons(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 1500) // under the cell cap, over any reason
	path := createDB(t,
		"CREATE TABLE displacement_targets (id INTEGER PRIMARY KEY, domain TEXT, tech_spend INTEGER)",
		fmt.Sprintf("INSERT INTO displacement_targets VALUES (1, '%s', 5)", long),
		fmt.Sprintf("INSERT INTO displacement_targets VALUES (2, 'ok.com', '%s')", long),
	)
	// Like domain.ParseDomain, this normaliser quotes what it refused.
	echoing := func(raw string) (string, error) {
		if raw == "ok.com" {
			return raw, nil
		}
		return "", fmt.Errorf("invalid domain %q: no top-level domain", raw)
	}
	res, err := Read(context.Background(), path, echoing, nil)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if len(res.Report.Rejections) != 1 || len(res.Report.Warnings) != 1 {
		t.Fatalf("report %+v, want one rejection and one warning", res.Report)
	}
	texts := map[string]string{
		"rejection reason": res.Report.Rejections[0].Reason,
		"rejected domain":  res.Report.Rejections[0].RawDomain,
		"warning reason":   res.Report.Warnings[0].Reason,
		"warning value":    res.Report.Warnings[0].Value,
	}
	for what, s := range texts {
		if n := utf8.RuneCountInString(s); n > maxReason+1 {
			t.Errorf("%s has %d runes: %.80s…", what, n, s)
		}
	}
	if !strings.HasSuffix(texts["rejection reason"], "…") {
		t.Errorf("cut reason not marked: %.80s", texts["rejection reason"])
	}
	// The report as the import's event stores it.
	raw, err := json.Marshal(res.Report)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), strings.Repeat("x", maxReason+1)) {
		t.Errorf("stored report repeats more than %d characters of a cell", maxReason)
	}
}
