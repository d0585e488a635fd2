package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
)

// golden reads a stored payload shape from testdata/events, with its ids
// replaced by the job's, so that a stream can hold many jobs.
func golden(t *testing.T, file string, job uuid.UUID) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "events", file))
	if err != nil {
		t.Fatal(err)
	}
	var payload map[string]any
	if err := json.Unmarshal(data, &payload); err != nil {
		t.Fatal(err)
	}
	if _, ok := payload["job_id"]; ok {
		payload["job_id"] = job.String()
	}
	out, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// streamOf records payloads as one stream, a minute apart.
func streamOf(stream string, start time.Time, payloads ...EventData) []RecordedEvent {
	out := make([]RecordedEvent, len(payloads))
	for i, p := range payloads {
		p.ID = uuid.New()
		out[i] = RecordedEvent{
			Position: int64(i + 1), StreamID: stream, StreamVersion: int64(i + 1),
			RecordedAt: start.Add(time.Duration(i) * time.Minute).UTC(), EventData: p,
		}
	}
	return out
}

// longTargetStream is a target imported, enriched by many jobs (scores of
// both schema versions, so folds upcast), withdrawn and added again.
func longTargetStream(t *testing.T, d Domain, start time.Time) []RecordedEvent {
	t.Helper()
	ev := func(typ, file string, v int, job uuid.UUID) EventData {
		return EventData{Type: typ, SchemaVersion: v, Data: golden(t, file, job)}
	}
	payloads := []EventData{ev(TypeTargetImported, "TargetImported.v1.json", 1, uuid.Nil)}
	for i := range 12 {
		job := uuid.New()
		payloads = append(payloads, ev(TypeEnrichmentJobOpened, "EnrichmentJobOpened.v1.json", 1, job))
		switch i % 3 {
		case 0:
			payloads = append(payloads, ev(TypeScoreComputed, "ScoreComputed.v1.json", 1, job))
		case 1:
			payloads = append(payloads, ev(TypeScoreComputed, "ScoreComputed.v1.with-sources.json", 1, job))
		default:
			payloads = append(payloads, ev(TypeScoreComputed, "ScoreComputed.v2.json", 2, job))
		}
		payloads = append(payloads, ev(TypeEnrichmentJobClosed, "EnrichmentJobClosed.v1.json", 1, job))
		if i == 6 {
			payloads = append(payloads, ev(TypeTargetImportReverted, "TargetImportReverted.v1.json", 1, uuid.Nil),
				ev(TypeTargetAdded, "TargetAdded.v1.json", 1, uuid.Nil))
		}
	}
	// The last job is still open.
	payloads = append(payloads, ev(TypeEnrichmentJobOpened, "EnrichmentJobOpened.v1.json", 1, uuid.New()))
	return streamOf(TargetStream(d), start, payloads...)
}

// longRequesterStream is a requester's jobs of yesterday and today, most of
// them ended, some without a start time (as stored before it existed).
func longRequesterStream(t *testing.T, who string, today time.Time) []RecordedEvent {
	t.Helper()
	var payloads []EventData
	for i := range 300 {
		job := uuid.New()
		started := today.Add(time.Duration(i-40) * time.Minute)
		if i%50 == 0 {
			started = time.Time{}
		}
		data, err := json.Marshal(RequesterJobStarted{
			Requester: who, JobID: job, Domain: MustParseDomain("shop.example.com"),
			ExpiresAt: today.Add(24 * time.Hour), StartedAt: started,
		})
		if err != nil {
			t.Fatal(err)
		}
		payloads = append(payloads, EventData{Type: TypeRequesterJobStarted, Data: data})
		if i%4 != 0 {
			data, _ := json.Marshal(RequesterJobEnded{Requester: who, JobID: job})
			payloads = append(payloads, EventData{Type: TypeRequesterJobEnded, Data: data})
		}
	}
	return streamOf(RequesterStream(who), today.Add(-40*time.Minute), payloads...)
}

// A target loaded from a snapshot taken at any version, plus the events
// after it, is the target the whole stream folds to: same state, same
// version, same decision.
func TestTargetFromSnapshotIsTheWholeFold(t *testing.T) {
	t.Parallel()
	d := MustParseDomain("northwind-hardware.com")
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	evs := longTargetStream(t, d, start)
	whole, err := LoadTarget(d, evs)
	if err != nil {
		t.Fatal(err)
	}
	want := targetFacts(t, whole, start.Add(30*time.Hour))
	for k := 1; k <= len(evs); k++ {
		head, err := LoadTarget(d, evs[:k])
		if err != nil {
			t.Fatal(err)
		}
		snap, err := head.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		got, err := LoadTargetFrom(d, snap, evs[k:])
		if err != nil {
			t.Fatalf("from the snapshot at %d: %v", k, err)
		}
		if facts := targetFacts(t, got, start.Add(30*time.Hour)); !reflect.DeepEqual(facts, want) {
			t.Fatalf("from the snapshot at %d:\n got %+v\nwant %+v", k, facts, want)
		}
	}
}

type targetFactSheet struct {
	Version   int64
	State     string
	IsTarget  bool
	Scored    bool
	Known     map[InputGroup]InputSource
	Decisions []EnrichmentDecision
}

// targetFacts is what a target says and decides at now: its snapshot state
// (every field the fold keeps) and the decisions of a plain, a forced and a
// one-provider request.
func targetFacts(t *testing.T, tg *Target, now time.Time) targetFactSheet {
	t.Helper()
	snap, err := tg.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	fixed := func() uuid.UUID { return uuid.MustParse("0190f3a2-0000-7000-8000-000000000001") }
	facts := targetFactSheet{Version: tg.Version(), State: string(snap.State), IsTarget: tg.IsTarget(), Scored: tg.Scored(), Known: tg.Known()}
	for _, req := range []EnrichmentRequest{
		{RequestedBy: "rep@example.com"},
		{RequestedBy: "rep@example.com", Force: true},
		{RequestedBy: "rep@example.com", Providers: []Provider{ProviderBuiltWith}},
	} {
		dec, err := tg.RequestEnrichment(req, DefaultEnrichmentPolicy, now, fixed)
		if err != nil {
			t.Fatal(err)
		}
		facts.Decisions = append(facts.Decisions, dec)
	}
	return facts
}

// The same for a requester: in flight, opened today, and the limits'
// answers, from a snapshot at any version.
func TestRequesterFromSnapshotIsTheWholeFold(t *testing.T) {
	t.Parallel()
	who := "rep@example.com"
	today := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	evs := longRequesterStream(t, who, today)
	now := today.Add(20 * time.Hour)
	facts := func(r *Requester) [5]any {
		snap, err := r.Snapshot(RequesterStream(who))
		if err != nil {
			t.Fatal(err)
		}
		return [5]any{r.Version(), r.InFlight(now), r.StartedOn(now), r.CheckDaily(200, now), string(snap.State)}
	}
	whole, err := LoadRequester(evs)
	if err != nil {
		t.Fatal(err)
	}
	want := facts(whole)
	if want[2].(int) < 200 {
		t.Fatalf("the stream should spend a budget of 200 today, opened %d", want[2])
	}
	for k := 1; k <= len(evs); k += 7 {
		head, err := LoadRequester(evs[:k])
		if err != nil {
			t.Fatal(err)
		}
		snap, err := head.Snapshot(RequesterStream(who))
		if err != nil {
			t.Fatal(err)
		}
		got, err := LoadRequesterFrom(RequesterStream(who), snap, evs[k:])
		if err != nil {
			t.Fatalf("from the snapshot at %d: %v", k, err)
		}
		if f := facts(got); !reflect.DeepEqual(f, want) {
			t.Fatalf("from the snapshot at %d:\n got %v\nwant %v", k, f, want)
		}
	}
}

// A snapshot that was altered, belongs to another stream or format, or is
// not followed by its next version is refused as unusable, never folded.
func TestUnusableSnapshotsAreRefused(t *testing.T) {
	t.Parallel()
	who := "rep@example.com"
	stream := RequesterStream(who)
	today := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	evs := longRequesterStream(t, who, today)
	head, err := LoadRequester(evs[:100])
	if err != nil {
		t.Fatal(err)
	}
	good, err := head.Snapshot(stream)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(s *Snapshot)
		tail   []RecordedEvent
	}{
		{"state altered", func(s *Snapshot) {
			s.State = bytes.Replace(s.State, []byte(`"started_n":`), []byte(`"started_n":1`), 1)
		}, evs[100:]},
		{"version altered", func(s *Snapshot) { s.Version-- }, evs[99:]},
		{"event id altered", func(s *Snapshot) { s.EventID = uuid.New() }, evs[100:]},
		{"no digest", func(s *Snapshot) { s.Digest = nil }, evs[100:]},
		{"another stream", func(s *Snapshot) { s.Stream = RequesterStream("other@example.com"); s.Seal() }, evs[100:]},
		{"another format", func(s *Snapshot) { s.Format = SnapshotFormat("requester", 0); s.Seal() }, evs[100:]},
		{"state not the aggregate's", func(s *Snapshot) { s.State = []byte(`{"open":[1,2]}`); s.Seal() }, evs[100:]},
		{"a gap before the tail", func(*Snapshot) {}, evs[101:]},
		{"the tail overlaps it", func(*Snapshot) {}, evs[99:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := good
			s.State, s.Digest = bytes.Clone(good.State), bytes.Clone(good.Digest)
			tt.change(&s)
			if _, err := LoadRequesterFrom(stream, s, tt.tail); !errors.Is(err, ErrSnapshotUnusable) {
				t.Fatalf("err = %v, want ErrSnapshotUnusable", err)
			}
		})
	}
	t.Run("untouched", func(t *testing.T) {
		t.Parallel()
		if _, err := LoadRequesterFrom(stream, good, evs[100:]); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a target's snapshot as a target's only", func(t *testing.T) {
		t.Parallel()
		d := MustParseDomain("northwind-hardware.com")
		tevs := longTargetStream(t, d, today)
		tg, err := LoadTarget(d, tevs[:10])
		if err != nil {
			t.Fatal(err)
		}
		snap, err := tg.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := LoadTargetFrom(MustParseDomain("other.com"), snap, tevs[10:]); !errors.Is(err, ErrSnapshotUnusable) {
			t.Fatalf("another target's snapshot: err = %v", err)
		}
		if _, err := LoadRequesterFrom(stream, snap, nil); !errors.Is(err, ErrSnapshotUnusable) {
			t.Fatalf("a target's snapshot as a requester's: err = %v", err)
		}
	})
}

// Adding an upcaster changes every aggregate's snapshot format: a snapshot
// folded before it (old payloads read the old way) is of another format and
// is not used by a build that upcasts.
func TestSnapshotFormatFollowsSchemaVersions(t *testing.T) {
	// Not parallel: it changes the upcasters for a moment.
	before := SnapshotFormat("target", 1)
	if before != TargetSnapshotFormat {
		t.Fatalf("format %q, want the target's %q", before, TargetSnapshotFormat)
	}
	saved := upcasters[TypeTargetAdded]
	upcasters[TypeTargetAdded] = append(saved[:len(saved):len(saved)], func(map[string]json.RawMessage, RecordedEvent) error { return nil })
	after := SnapshotFormat("target", 1)
	if saved == nil {
		delete(upcasters, TypeTargetAdded)
	} else {
		upcasters[TypeTargetAdded] = saved
	}
	if after == before {
		t.Fatalf("format %q did not change with a new upcaster", after)
	}
	if SnapshotFormat("target", 2) == before || SnapshotFormat("requester", 1) == before {
		t.Fatal("formats of another shape or aggregate must differ")
	}
}
