// Package eventstoretest is the contract every event store keeps: the
// PostgreSQL store and the in-memory store run the same tests, so decision
// tests on the in-memory one say something about production.
package eventstoretest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

// Store is the event store's contract.
type Store interface {
	Append(ctx context.Context, stream string, expected domain.ExpectedVersion, events ...domain.EventData) (domain.AppendResult, error)
	AppendStreams(ctx context.Context, parts ...domain.StreamAppend) ([]domain.AppendResult, error)
	ReadStream(ctx context.Context, stream string, afterVersion int64, limit int) ([]domain.RecordedEvent, error)
	ReadAll(ctx context.Context, afterPosition int64, limit int) ([]domain.RecordedEvent, error)
}

// Run runs the contract against store. Every test uses streams of its own,
// so the store may be shared with other tests.
func Run(t *testing.T, store Store) {
	t.Run("expected version", func(t *testing.T) { testExpectedVersion(t, store) })
	t.Run("invalid input is refused", func(t *testing.T) { testInvalidInput(t, store) })
	t.Run("concurrent appenders, one winner", func(t *testing.T) { testOneWinner(t, store) })
	t.Run("idempotent by event id", func(t *testing.T) { testIdempotent(t, store) })
	t.Run("multi-stream append is atomic", func(t *testing.T) { testAtomic(t, store) })
	t.Run("event round trips", func(t *testing.T) { testRoundTrip(t, store) })
	t.Run("stream reads page", func(t *testing.T) { testPaging(t, store) })
}

// NewEvent returns an event with a fresh id and payload encoded as JSON.
func NewEvent(t testing.TB, typ string, payload any) domain.EventData {
	t.Helper()
	data, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return domain.EventData{ID: uuid.New(), Type: typ, SchemaVersion: 1, Data: data}
}

// UniqueStream returns a stream name no other test uses.
func UniqueStream(prefix string) string { return prefix + "-" + uuid.NewString() }

func testExpectedVersion(t *testing.T, store Store) {
	ctx := context.Background()
	tests := []struct {
		name     string
		existing int // events already in the stream
		expected domain.ExpectedVersion
		wantErr  bool
		wantNext int64
	}{
		{"no stream on a new stream", 0, domain.NoStream, false, 1},
		{"no stream on an existing stream", 2, domain.NoStream, true, 0},
		{"exact version matches", 2, domain.ExactVersion(2), false, 3},
		{"exact version behind", 3, domain.ExactVersion(2), true, 0},
		{"exact version ahead", 1, domain.ExactVersion(5), true, 0},
		{"exact version on a new stream", 0, domain.ExactVersion(1), true, 0},
		{"any on a new stream", 0, domain.AnyVersion, false, 1},
		{"any on an existing stream", 4, domain.AnyVersion, false, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stream := UniqueStream("target")
			for i := range tt.existing {
				if _, err := store.Append(ctx, stream, domain.ExactVersion(int64(i)), NewEvent(t, "Seeded", map[string]int{"i": i})); err != nil {
					t.Fatalf("seed %d: %v", i, err)
				}
			}
			res, err := store.Append(ctx, stream, tt.expected, NewEvent(t, "Tested", nil))
			if tt.wantErr {
				var ce *domain.ConcurrencyError
				if !errors.Is(err, domain.ErrConcurrencyConflict) || !errors.As(err, &ce) {
					t.Fatalf("want a concurrency conflict, got %v", err)
				}
				if ce.Stream != stream || ce.Actual != int64(tt.existing) {
					t.Errorf("conflict reports %s at version %d, want %s at %d", ce.Stream, ce.Actual, stream, tt.existing)
				}
				return
			}
			if err != nil {
				t.Fatalf("append: %v", err)
			}
			if res.NextExpectedVersion != tt.wantNext {
				t.Errorf("next version %d, want %d", res.NextExpectedVersion, tt.wantNext)
			}
			evs, err := store.ReadStream(ctx, stream, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != int(tt.wantNext) {
				t.Errorf("stream holds %d events, want %d", len(evs), tt.wantNext)
			}
		})
	}
}

func testInvalidInput(t *testing.T, store Store) {
	good := NewEvent(t, "Good", nil)
	tests := []struct {
		name   string
		stream string
		exp    domain.ExpectedVersion
		events []domain.EventData
	}{
		{"empty stream", "", domain.AnyVersion, []domain.EventData{good}},
		{"no events", UniqueStream("s"), domain.AnyVersion, nil},
		{"bad expected version", UniqueStream("s"), -2, []domain.EventData{good}},
		{"nil event id", UniqueStream("s"), domain.AnyVersion, []domain.EventData{{Type: "X", Data: []byte(`{}`)}}},
		{"no type", UniqueStream("s"), domain.AnyVersion, []domain.EventData{{ID: uuid.New(), Data: []byte(`{}`)}}},
		{"invalid json", UniqueStream("s"), domain.AnyVersion, []domain.EventData{{ID: uuid.New(), Type: "X", Data: []byte(`{`)}}},
		{"same id twice", UniqueStream("s"), domain.AnyVersion, []domain.EventData{good, good}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := store.Append(context.Background(), tt.stream, tt.exp, tt.events...); err == nil {
				t.Fatal("append accepted invalid input")
			}
			if tt.stream == "" {
				return
			}
			if evs, err := store.ReadStream(context.Background(), tt.stream, 0, 10); err != nil || len(evs) != 0 {
				t.Fatalf("refused append left %d events (%v)", len(evs), err)
			}
		})
	}
	t.Run("no parts", func(t *testing.T) {
		if _, err := store.AppendStreams(context.Background()); err == nil {
			t.Fatal("an append of nothing was accepted")
		}
	})
}

// Twenty writers race to append version N+1 of one stream: exactly one wins,
// and the stored event is the winner's.
func testOneWinner(t *testing.T, store Store) {
	t.Parallel()
	ctx := context.Background()
	stream := UniqueStream("job")
	const n = 3
	for i := range n {
		if _, err := store.Append(ctx, stream, domain.ExactVersion(int64(i)), NewEvent(t, "Seeded", nil)); err != nil {
			t.Fatal(err)
		}
	}

	const writers = 20
	var (
		wg        sync.WaitGroup
		start     = make(chan struct{})
		mu        sync.Mutex
		winners   []int
		conflicts int
		others    []error
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := NewEvent(t, "Raced", map[string]int{"writer": w})
			<-start
			_, err := store.Append(ctx, stream, domain.ExactVersion(n), ev)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				winners = append(winners, w)
			case errors.Is(err, domain.ErrConcurrencyConflict):
				conflicts++
			default:
				others = append(others, err)
			}
		}()
	}
	close(start)
	wg.Wait()

	if len(others) > 0 {
		t.Fatalf("unexpected errors: %v", others)
	}
	if len(winners) != 1 || conflicts != writers-1 {
		t.Fatalf("winners %v, conflicts %d; want exactly one winner and %d conflicts", winners, conflicts, writers-1)
	}
	evs, err := store.ReadStream(ctx, stream, n, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].StreamVersion != n+1 {
		t.Fatalf("stream after the race: %+v", evs)
	}
	var payload struct{ Writer int }
	if err := json.Unmarshal(evs[0].Data, &payload); err != nil || payload.Writer != winners[0] {
		t.Fatalf("stored event is from writer %d (%v), the winner was %d", payload.Writer, err, winners[0])
	}
}

func testIdempotent(t *testing.T, store Store) {
	t.Parallel()
	ctx := context.Background()
	stream := UniqueStream("target")
	a, b := NewEvent(t, "A", nil), NewEvent(t, "B", nil)

	first, err := store.Append(ctx, stream, domain.NoStream, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if first.Duplicate || first.NextExpectedVersion != 2 {
		t.Fatalf("first append: %+v", first)
	}
	for _, exp := range []domain.ExpectedVersion{domain.NoStream, domain.AnyVersion, domain.ExactVersion(2)} {
		t.Run("re-append expecting "+exp.String(), func(t *testing.T) {
			again, err := store.Append(ctx, stream, exp, a, b)
			if err != nil {
				t.Fatalf("re-append: %v", err)
			}
			if !again.Duplicate || again.FirstPosition != first.FirstPosition || again.LastPosition != first.LastPosition || again.NextExpectedVersion != 2 {
				t.Fatalf("re-append result %+v, first %+v", again, first)
			}
		})
	}
	t.Run("partial overlap is refused", func(t *testing.T) {
		_, err := store.Append(ctx, stream, domain.AnyVersion, a, NewEvent(t, "C", nil))
		if !errors.Is(err, domain.ErrDuplicateEvent) {
			t.Fatalf("want ErrDuplicateEvent, got %v", err)
		}
	})
	t.Run("same id in another stream is refused", func(t *testing.T) {
		_, err := store.Append(ctx, UniqueStream("target"), domain.AnyVersion, a)
		if !errors.Is(err, domain.ErrDuplicateEvent) {
			t.Fatalf("want ErrDuplicateEvent, got %v", err)
		}
	})
	evs, err := store.ReadStream(ctx, stream, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("stream holds %d events after re-appends, want 2", len(evs))
	}
}

func testAtomic(t *testing.T, store Store) {
	t.Parallel()
	ctx := context.Background()
	target, job := UniqueStream("target"), UniqueStream("job")
	if _, err := store.Append(ctx, job, domain.NoStream, NewEvent(t, "Existing", nil)); err != nil {
		t.Fatal(err)
	}

	opened := NewEvent(t, "Opened", nil)
	_, err := store.AppendStreams(ctx,
		domain.StreamAppend{Stream: target, Expected: domain.NoStream, Events: []domain.EventData{opened}},
		domain.StreamAppend{Stream: job, Expected: domain.NoStream, Events: []domain.EventData{NewEvent(t, "Requested", nil)}},
	)
	var ce *domain.ConcurrencyError
	if !errors.As(err, &ce) || ce.Stream != job {
		t.Fatalf("want a conflict on %s, got %v", job, err)
	}
	if evs, _ := store.ReadStream(ctx, target, 0, 10); len(evs) != 0 {
		t.Fatalf("first part was stored although the second failed: %d events", len(evs))
	}

	parts := []domain.StreamAppend{
		{Stream: target, Expected: domain.NoStream, Events: []domain.EventData{opened}},
		{Stream: job, Expected: domain.ExactVersion(1), Events: []domain.EventData{NewEvent(t, "Requested", nil)}},
	}
	first, err := store.AppendStreams(ctx, parts...)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != len(parts) || first[0].NextExpectedVersion != 1 || first[1].NextExpectedVersion != 2 {
		t.Fatalf("results %+v, want versions 1 and 2", first)
	}
	again, err := store.AppendStreams(ctx, parts...)
	if err != nil {
		t.Fatalf("re-append of a stored multi-stream append: %v", err)
	}
	for i := range parts {
		if !again[i].Duplicate || again[i].LastPosition != first[i].LastPosition {
			t.Errorf("part %d re-append: %+v, first %+v", i, again[i], first[i])
		}
	}
}

func testRoundTrip(t *testing.T, store Store) {
	t.Parallel()
	ctx := context.Background()
	stream := UniqueStream("target")
	ev := NewEvent(t, "EnrichmentRequested", map[string]any{"domain": "costco.com", "force": true, "providers": []string{"builtwith"}})
	ev.SchemaVersion = 3
	ev.Metadata = domain.Metadata{CorrelationID: uuid.NewString(), CausationID: uuid.NewString(), Actor: "rep@example.com", RequestID: "req-Ünïcødé-42"}
	res, err := store.Append(ctx, stream, domain.NoStream, ev)
	if err != nil {
		t.Fatal(err)
	}

	fromStream, err := store.ReadStream(ctx, stream, 0, 10)
	if err != nil || len(fromStream) != 1 {
		t.Fatalf("read stream: %v, %d events", err, len(fromStream))
	}
	got := fromStream[0]
	if got.Metadata != ev.Metadata || got.ID != ev.ID || got.Type != ev.Type || got.SchemaVersion != 3 ||
		got.StreamID != stream || got.StreamVersion != 1 || got.Position != res.FirstPosition {
		t.Fatalf("read back %+v, appended %+v at %+v", got, ev, res)
	}
	var want, have any
	_ = json.Unmarshal(ev.Data, &want)
	if err := json.Unmarshal(got.Data, &have); err != nil || fmt.Sprint(want) != fmt.Sprint(have) {
		t.Fatalf("data read back %s, appended %s", got.Data, ev.Data)
	}
	if got.RecordedAt.IsZero() {
		t.Error("recorded_at is not set")
	}

	var found bool
	for _, e := range ReadAllUntil(t, store, got.Position) {
		if e.ID == ev.ID {
			found = true
			if e.Metadata != ev.Metadata || e.Position != got.Position || e.StreamVersion != 1 {
				t.Fatalf("ReadAll returned %+v", e)
			}
		}
	}
	if !found {
		t.Fatal("ReadAll did not return the event")
	}
}

func testPaging(t *testing.T, store Store) {
	t.Parallel()
	ctx := context.Background()
	stream := UniqueStream("target")
	const n = 7
	for i := range n {
		if _, err := store.Append(ctx, stream, domain.ExactVersion(int64(i)), NewEvent(t, "Seeded", map[string]int{"i": i})); err != nil {
			t.Fatal(err)
		}
	}
	var versions []int64
	for after := int64(0); ; {
		page, err := store.ReadStream(ctx, stream, after, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 3 {
			t.Fatalf("page of %d events, limit 3", len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			versions = append(versions, e.StreamVersion)
		}
		after = page[len(page)-1].StreamVersion
	}
	if fmt.Sprint(versions) != "[1 2 3 4 5 6 7]" {
		t.Fatalf("paged versions %v", versions)
	}
}

// ReadAllUntil follows the log from the start until it has seen position.
func ReadAllUntil(t testing.TB, store Store, position int64) []domain.RecordedEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var (
		out   []domain.RecordedEvent
		after int64
	)
	for after < position {
		evs, err := store.ReadAll(ctx, after, 500)
		if err != nil {
			t.Fatalf("ReadAll after %d: %v", after, err)
		}
		if len(evs) == 0 {
			// A store may withhold events until earlier transactions end.
			select {
			case <-ctx.Done():
				t.Fatalf("position %d never became readable (reached %d)", position, after)
			case <-time.After(5 * time.Millisecond):
			}
			continue
		}
		out = append(out, evs...)
		after = evs[len(evs)-1].Position
	}
	return out
}
