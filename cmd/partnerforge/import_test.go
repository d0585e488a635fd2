package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnerforge/partnerforge/adapters/legacysqlite"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
)

// TestImportDemoShowsTheLegacyList runs the import and projections
// subcommands as an operator would, against a database of their own: the
// demo import yields exactly the legacy list's 2,687 targets, a second run
// adds nothing, and a revert empties the read model.
func TestImportDemoShowsTheLegacyList(t *testing.T) {
	if testing.Short() {
		t.Skip("imports the whole demo list")
	}
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewDB(t)
	env := map[string]string{"DATABASE_URL": db.URL, "LOG_LEVEL": "error"}
	cli := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, args, func(k string) string { return env[k] }, &out); err != nil {
			t.Fatalf("partnerforge %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}
	targets := func() int {
		t.Helper()
		var n int
		if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM displacement_targets").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	dir := t.TempDir()
	demo, reportPath := filepath.Join(dir, "demo.sqlite"), filepath.Join(dir, "report.json")
	out := cli("import", "demo", "--out", demo, "--report", reportPath, "--actor", "ops")
	for _, want := range []string{"rows read           2712", "targets             2687", "rejected rows          9", "imported now        2687", "appended 2500/2687 targets"} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	raw, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep importReport
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Imported != legacysqlite.DemoRows || rep.Legacy.Merged != 16 || len(rep.Legacy.Rejections) != 9 || len(rep.Legacy.Merges) != 14 {
		t.Errorf("report: imported %d, merged %d, rejections %d, merges %d", rep.Imported, rep.Legacy.Merged, len(rep.Legacy.Rejections), len(rep.Legacy.Merges))
	}

	cli("projections", "rebuild", "all")
	if n := targets(); n != legacysqlite.DemoRows {
		t.Errorf("read model holds %d targets, want %d", n, legacysqlite.DemoRows)
	}
	if v := cli("projections", "verify", "displacement_targets"); !strings.Contains(v, "2687 rows compared") || !strings.Contains(v, ", 0 differences") {
		t.Errorf("verify:\n%s", v)
	}
	status := cli("projections", "status")
	if !strings.Contains(status, "displacement_targets") || !strings.Contains(status, "enrichment_jobs") {
		t.Errorf("status:\n%s", status)
	}

	again := cli("import", "sqlite", demo)
	if !strings.Contains(again, "already imported: nothing to do") || !strings.Contains(again, "already imported    2687") {
		t.Errorf("second import:\n%s", again)
	}

	reverted := cli("import", "revert", rep.BatchID.String())
	if !strings.Contains(reverted, "withdrawn now       2687") {
		t.Errorf("revert:\n%s", reverted)
	}
	cli("projections", "rebuild", "displacement_targets")
	if n := targets(); n != 0 {
		t.Errorf("read model holds %d targets after the revert", n)
	}
}

func TestImportUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"import"}, {"import", "sqlite"}, {"import", "sqlite", "a", "b"}, {"import", "bogus"},
		{"import", "revert", "not-a-uuid"}, {"import", "demo", "--rows"}, {"import", "sqlite", "x.db", "--nope"},
	} {
		err := run(context.Background(), args, func(string) string { return "" }, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), errUsage.Error()) {
			t.Errorf("partnerforge %s: err = %v, want a usage error", strings.Join(args, " "), err)
		}
	}
}
