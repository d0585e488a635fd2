package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnerforge/partnerforge/adapters/eventstoretest"
	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/domain"
)

// TestEventsExport runs `events export` as an operator would: to stdout
// with a filter, and to a file.
func TestEventsExport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewDB(t)
	store := postgres.NewEventStore(db.Pool)
	stream := eventstoretest.UniqueStream("target")
	var last int64
	for _, typ := range []string{"Kept", "Dropped", "Kept"} {
		res, err := store.Append(ctx, stream, domain.AnyVersion, eventstoretest.NewEvent(t, typ, map[string]string{"t": typ}))
		if err != nil {
			t.Fatal(err)
		}
		last = res.LastPosition
	}
	pgtest.WaitForHorizon(t, db.Pool, last)
	env := map[string]string{"DATABASE_URL": db.URL, "LOG_LEVEL": "error"}
	cli := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, args, func(k string) string { return env[k] }, &out); err != nil {
			t.Fatalf("partnerforge %s: %v", strings.Join(args, " "), err)
		}
		return out.String()
	}

	types := func(ndjson string) []string {
		t.Helper()
		var out []string
		sc := bufio.NewScanner(strings.NewReader(ndjson))
		for sc.Scan() {
			var e domain.ExportedEvent
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			out = append(out, e.Type)
		}
		return out
	}
	if got := types(cli("events", "export", "--stream", stream, "--type", "Kept")); strings.Join(got, ",") != "Kept,Kept" {
		t.Errorf("filtered export: types %v, want Kept,Kept", got)
	}

	path := filepath.Join(t.TempDir(), "events.ndjson")
	if out := cli("events", "export", "--stream", stream, "--out", path); out != "" {
		t.Errorf("export to a file wrote %q to stdout", out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := types(string(data)); strings.Join(got, ",") != "Kept,Dropped,Kept" {
		t.Errorf("export to a file: types %v, want Kept,Dropped,Kept", got)
	}
	if _, err := os.Stat(path + ".partial"); !os.IsNotExist(err) {
		t.Errorf("the partial file is left behind: %v", err)
	}
}

func TestEventsExportUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"events"}, "wants one of"},
		{[]string{"events", "export", "--since", "2026-03-03"}, "RFC3339"},
		{[]string{"events", "export", "--until", "tomorrow"}, "RFC3339"},
		{[]string{"events", "export", "--after", "-1"}, "--after"},
		{[]string{"events", "export", "--since", "2026-03-03T10:00:00Z", "--until", "2026-03-03T09:00:00Z"}, "later than since"},
		{[]string{"events", "export", "extra"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			err := run(context.Background(), tt.args, func(string) string { return "" }, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), errUsage.Error()) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a usage error saying %q", err, tt.want)
			}
		})
	}
}
