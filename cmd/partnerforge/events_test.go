package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerforge/partnerforge/adapters/enrichment"
	"github.com/partnerforge/partnerforge/adapters/eventstoretest"
	"github.com/partnerforge/partnerforge/adapters/messaging"
	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/commands"
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

// TestEventsPoisonedAndRedrive gives a job's dispatch up to the poison queue
// as the router does when the dispatcher keeps failing, then lists it and
// re-drives it: the dispatcher runs on the stored event and queues the
// job's work.
func TestEventsPoisonedAndRedrive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewDB(t)
	env := map[string]string{"DATABASE_URL": db.URL, "LOG_LEVEL": "error",
		"BUILTWITH_API_KEY": "k", "SIMILARWEB_API_KEY": "k"}
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, func(k string) string { return env[k] }, &out)
		return out.String(), err
	}
	if out, err := cli("events", "poisoned"); err != nil || !strings.Contains(out, "no handler has given up") {
		t.Fatalf("empty poison queue: %q, %v", out, err)
	}

	store := postgres.NewEventStore(db.Pool)
	acc, err := commands.NewRequestEnrichmentHandler(store, domain.DefaultEnrichmentPolicy, 5, time.Now).Handle(ctx,
		commands.RequestEnrichment{Domain: domain.MustParseDomain("poisoned.example"), Add: true, RequestedBy: "rep@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	requested, err := store.ReadStream(ctx, domain.JobStream(acc.JobID), 0, 1)
	if err != nil || len(requested) != 1 {
		t.Fatalf("job stream: %v, %v", requested, err)
	}
	poison(t, db.Pool, requested[0], enrichment.DispatcherName, "decode failed")

	out, err := cli("events", "poisoned")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{enrichment.DispatcherName, requested[0].ID.String(), domain.TypeEnrichmentRequested, "decode failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("events poisoned lacks %q:\n%s", want, out)
		}
	}
	entries, err := messaging.ListPoisoned(ctx, db.Pool)
	if err != nil || len(entries) != 1 {
		t.Fatalf("entries %+v, %v", entries, err)
	}
	queue := postgres.NewWorkQueue(db.Pool)
	if queued, _ := queue.Queued(ctx, acc.JobID); queued {
		t.Fatal("work queued before the re-drive")
	}
	if out, err := cli("events", "redrive", strconv.FormatInt(entries[0].ID, 10)); err != nil || !strings.Contains(out, "re-drove") {
		t.Fatalf("redrive: %q, %v", out, err)
	}
	if queued, err := queue.Queued(ctx, acc.JobID); err != nil || !queued {
		t.Fatalf("the re-driven dispatch queued no work (%v)", err)
	}
	if out, _ := cli("events", "poisoned"); !strings.Contains(out, " ok") {
		t.Errorf("events poisoned does not show the re-drive:\n%s", out)
	}
	if _, err := cli("events", "redrive", "999999"); err == nil || !strings.Contains(err.Error(), "no poisoned entry") {
		t.Errorf("redrive of an unknown entry: %v", err)
	}
	if _, err := cli("events", "redrive", "not-an-id"); err == nil || !strings.Contains(err.Error(), errUsage.Error()) {
		t.Errorf("redrive of a malformed id: %v, want a usage error", err)
	}
}

// poison publishes re to the poison queue as watermill's PoisonQueue
// middleware does when handler gives up on it.
func poison(t *testing.T, pool *pgxpool.Pool, re domain.RecordedEvent, handler, reason string) {
	t.Helper()
	pub, err := wsql.NewPublisher(wsql.BeginnerFromPgx(pool), wsql.PublisherConfig{
		SchemaAdapter: wsql.DefaultPostgreSQLSchema{}, AutoInitializeSchema: true,
	}, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	msg := message.NewMessage(re.ID.String(), message.Payload(re.Data))
	for k, v := range map[string]string{
		messaging.MetaEventType: re.Type, messaging.MetaStreamID: re.StreamID,
		messaging.MetaStreamVersion: strconv.FormatInt(re.StreamVersion, 10), messaging.MetaPosition: strconv.FormatInt(re.Position, 10),
		messaging.MetaSchemaVersion:   strconv.Itoa(re.SchemaVersion),
		middleware.PoisonedHandlerKey: handler, middleware.ReasonForPoisonedKey: reason,
		middleware.PoisonedTopicKey: messaging.Topic,
	} {
		msg.Metadata.Set(k, v)
	}
	if err := pub.Publish(messaging.PoisonTopic, msg); err != nil {
		t.Fatal(err)
	}
}
