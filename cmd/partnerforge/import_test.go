package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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
	// Both tables of the projection are compared: the targets and their
	// list rows.
	if v := cli("projections", "verify", "displacement_targets"); !strings.Contains(v, "5374 rows compared") || !strings.Contains(v, ", 0 differences") {
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

// cancelOnWrite cancels a context at the first progress line written.
type cancelOnWrite struct {
	bytes.Buffer
	cancel func()
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("generated ")) {
		w.cancel()
	}
	return w.Buffer.Write(p)
}

// A demo larger than a chunk streams: generated, read and appended chunk
// by chunk as one batch. Stopped after its first chunk (as Ctrl-C stops
// it), it resumes where it stopped, and a third run adds nothing.
func TestImportDemoStreamsAndResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("imports two chunks of the demo")
	}
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewDB(t)
	env := func(k string) string {
		return map[string]string{"DATABASE_URL": db.URL, "LOG_LEVEL": "error"}[k]
	}
	rows := legacysqlite.DemoChunkRows + 2000
	args := []string{"import", "demo", "--rows", strconv.Itoa(rows)}
	plan := []legacysqlite.Plan{legacysqlite.DemoPlan(legacysqlite.DemoChunkRows), legacysqlite.DemoPlan(2000)}
	want := rows - plan[0].Duplicates - plan[0].Invalid - plan[1].Duplicates - plan[1].Invalid

	stopCtx, stop := context.WithCancel(ctx)
	defer stop()
	first := &cancelOnWrite{cancel: stop}
	if err := run(stopCtx, args, env, first); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped import: %v, want context.Canceled\n%s", err, first.String())
	}
	var partial int
	if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM events WHERE event_type = 'TargetImported'").Scan(&partial); err != nil {
		t.Fatal(err)
	}
	if partial == 0 || partial >= want {
		t.Fatalf("the stopped import appended %d of %d targets", partial, want)
	}

	var out bytes.Buffer
	if err := run(ctx, args, env, &out); err != nil {
		t.Fatalf("resumed import: %v\n%s", err, out.String())
	}
	for _, line := range []string{
		fmt.Sprintf("rows read         %6d", rows), fmt.Sprintf("targets           %6d", want),
		fmt.Sprintf("imported now      %6d", want-partial), fmt.Sprintf("already imported  %6d", partial),
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("resumed import output lacks %q:\n%s", line, out.String())
		}
	}
	var events, domains int
	if err := db.Pool.QueryRow(ctx, "SELECT count(*), count(DISTINCT stream_id) FROM events WHERE event_type = 'TargetImported'").Scan(&events, &domains); err != nil {
		t.Fatal(err)
	}
	if events != want || domains != want {
		t.Errorf("%d TargetImported events on %d streams, want %d", events, domains, want)
	}

	out.Reset()
	if err := run(ctx, args, env, &out); err != nil || !strings.Contains(out.String(), "already imported: nothing to do") {
		t.Errorf("third import: %v\n%s", err, out.String())
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
