package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/domain"
)

func newEvent(t testing.TB, typ string, payload any) domain.EventData {
	t.Helper()
	data, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return domain.EventData{ID: uuid.New(), Type: typ, SchemaVersion: 1, Data: data}
}

func uniqueStream(prefix string) string { return prefix + "-" + uuid.NewString() }

func TestAppendExpectedVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := postgres.NewEventStore(db.Pool)

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
			stream := uniqueStream("target")
			for i := range tt.existing {
				if _, err := store.Append(ctx, stream, domain.ExactVersion(int64(i)), newEvent(t, "Seeded", map[string]int{"i": i})); err != nil {
					t.Fatalf("seed %d: %v", i, err)
				}
			}
			res, err := store.Append(ctx, stream, tt.expected, newEvent(t, "Tested", nil))
			if tt.wantErr {
				var ce *postgres.ConcurrencyError
				if !errors.Is(err, domain.ErrConcurrencyConflict) || !errors.As(err, &ce) {
					t.Fatalf("want a concurrency conflict, got %v", err)
				}
				if ce.Actual != int64(tt.existing) {
					t.Errorf("conflict reports actual version %d, want %d", ce.Actual, tt.existing)
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

func TestAppendRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	store := postgres.NewEventStore(db.Pool)
	good := newEvent(t, "Good", nil)
	tests := []struct {
		name   string
		stream string
		exp    domain.ExpectedVersion
		events []domain.EventData
	}{
		{"empty stream", "", domain.AnyVersion, []domain.EventData{good}},
		{"no events", "s-1", domain.AnyVersion, nil},
		{"bad expected version", "s-1", -2, []domain.EventData{good}},
		{"nil event id", "s-1", domain.AnyVersion, []domain.EventData{{Type: "X", Data: []byte(`{}`)}}},
		{"no type", "s-1", domain.AnyVersion, []domain.EventData{{ID: uuid.New(), Data: []byte(`{}`)}}},
		{"invalid json", "s-1", domain.AnyVersion, []domain.EventData{{ID: uuid.New(), Type: "X", Data: []byte(`{`)}}},
		{"same id twice", "s-1", domain.AnyVersion, []domain.EventData{good, good}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := store.Append(context.Background(), tt.stream, tt.exp, tt.events...); err == nil {
				t.Fatal("append accepted invalid input")
			}
		})
	}
}

// Twenty writers race to append version N+1 of one stream: exactly one wins.
func TestConcurrentAppendersOneWinner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := postgres.NewEventStore(db.Pool)
	stream := uniqueStream("job")
	const n = 3
	for i := range n {
		if _, err := store.Append(ctx, stream, domain.ExactVersion(int64(i)), newEvent(t, "Seeded", nil)); err != nil {
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
			ev := newEvent(t, "Raced", map[string]int{"writer": w})
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

func TestAppendIsIdempotentByEventID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := postgres.NewEventStore(db.Pool)
	stream := uniqueStream("target")
	a, b := newEvent(t, "A", nil), newEvent(t, "B", nil)

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
		_, err := store.Append(ctx, stream, domain.AnyVersion, a, newEvent(t, "C", nil))
		if !errors.Is(err, domain.ErrDuplicateEvent) {
			t.Fatalf("want ErrDuplicateEvent, got %v", err)
		}
	})
	t.Run("same id in another stream is refused", func(t *testing.T) {
		_, err := store.Append(ctx, uniqueStream("target"), domain.AnyVersion, a)
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

func TestMetadataRoundTrips(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := postgres.NewEventStore(db.Pool)
	stream := uniqueStream("target")
	ev := newEvent(t, "EnrichmentRequested", map[string]any{"domain": "costco.com", "force": true, "providers": []string{"builtwith"}})
	ev.SchemaVersion = 3
	ev.Metadata = domain.Metadata{CorrelationID: uuid.NewString(), CausationID: uuid.NewString(), Actor: "rep@example.com", RequestID: "req-Ünïcødé-42"}
	if _, err := store.Append(ctx, stream, domain.NoStream, ev); err != nil {
		t.Fatal(err)
	}

	fromStream, err := store.ReadStream(ctx, stream, 0, 10)
	if err != nil || len(fromStream) != 1 {
		t.Fatalf("read stream: %v, %d events", err, len(fromStream))
	}
	got := fromStream[0]
	if got.Metadata != ev.Metadata || got.ID != ev.ID || got.Type != ev.Type || got.SchemaVersion != 3 || got.StreamVersion != 1 {
		t.Fatalf("read back %+v, appended %+v", got, ev)
	}
	var want, have any
	_ = json.Unmarshal(ev.Data, &want)
	if err := json.Unmarshal(got.Data, &have); err != nil || fmt.Sprint(want) != fmt.Sprint(have) {
		t.Fatalf("data read back %s, appended %s", got.Data, ev.Data)
	}
	if got.RecordedAt.IsZero() || time.Since(got.RecordedAt) > time.Hour {
		t.Errorf("recorded_at %v is not the append time", got.RecordedAt)
	}

	// The same event through ReadAll.
	var found bool
	for _, e := range readAllUntil(t, store, got.Position) {
		if e.ID == ev.ID {
			found = true
			if e.Metadata != ev.Metadata || e.Position != got.Position {
				t.Fatalf("ReadAll returned %+v", e)
			}
		}
	}
	if !found {
		t.Fatal("ReadAll did not return the event")
	}
}

func TestEventsAreAppendOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := postgres.NewEventStore(db.Pool)
	stream := uniqueStream("target")
	if _, err := store.Append(ctx, stream, domain.NoStream, newEvent(t, "A", nil)); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		"UPDATE events SET event_type = 'B' WHERE stream_id = $1",
		"DELETE FROM events WHERE stream_id = $1",
	} {
		if _, err := db.Pool.Exec(ctx, stmt, stream); err == nil {
			t.Errorf("%q succeeded on the event log", stmt)
		}
	}
}

// A transaction that started appending first but commits last must not be
// skipped: ReadAll withholds later events until it has finished.
func TestReadAllWaitsForEarlierTransactions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := postgres.NewEventStore(db.Pool)
	head, err := store.HeadPosition(ctx)
	if err != nil {
		t.Fatal(err)
	}

	slow, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Rollback(ctx)
	slowEv := newEvent(t, "Slow", nil)
	slowRes, err := store.AppendTx(ctx, slow, uniqueStream("slow"), domain.NoStream, slowEv)
	if err != nil {
		t.Fatal(err)
	}
	fastEv := newEvent(t, "Fast", nil)
	fastRes, err := store.Append(ctx, uniqueStream("fast"), domain.NoStream, fastEv)
	if err != nil {
		t.Fatal(err)
	}
	if fastRes.FirstPosition <= slowRes.FirstPosition {
		t.Fatalf("positions: slow %d, fast %d; the slow transaction started writing first", slowRes.FirstPosition, fastRes.FirstPosition)
	}

	evs, err := store.ReadAll(ctx, head, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.ID == fastEv.ID || e.ID == slowEv.ID {
			t.Fatalf("ReadAll returned %s while an earlier transaction is still open", e.Type)
		}
	}

	if err := slow.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	evs = readAllUntil(t, store, fastRes.LastPosition)
	var order []string
	for _, e := range evs {
		if e.ID == fastEv.ID || e.ID == slowEv.ID {
			order = append(order, e.Type)
		}
	}
	if fmt.Sprint(order) != "[Slow Fast]" {
		t.Fatalf("follower saw %v, want [Slow Fast]", order)
	}
}

// readAllUntil follows the log from the start until it has seen position.
func readAllUntil(t *testing.T, store *postgres.EventStore, position int64) []domain.RecordedEvent {
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

// Eight writers append 1,000 events each to random streams while a follower
// tails ReadAll: it must see every event exactly once, in position order.
func TestGapFreeFollower(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := postgres.NewEventStore(db.Pool)
	const writers, perWriter = 8, 1000
	tag := uuid.NewString()
	start, err := store.HeadPosition(ctx)
	if err != nil {
		t.Fatal(err)
	}

	var (
		wg      sync.WaitGroup
		errs    = make(chan error, writers)
		stopped = make(chan struct{})
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range perWriter {
				ev := newEvent(t, "Tailed", map[string]any{"tag": tag, "writer": w, "seq": i})
				stream := fmt.Sprintf("tail%d-%d", rng.IntN(50), w%3)
				if _, err := store.Append(ctx, stream+"-"+tag, domain.AnyVersion, ev); err != nil {
					errs <- fmt.Errorf("writer %d event %d: %w", w, i, err)
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(stopped) }()

	got := make(map[uuid.UUID]bool)
	nextSeq := make([]int, writers)
	after := start
	deadline := time.After(2 * time.Minute)
	writersDone := false
	for {
		evs, err := store.ReadAll(ctx, after, 250)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Position <= after {
				t.Fatalf("position %d after %d: not in position order", e.Position, after)
			}
			after = e.Position
			if got[e.ID] {
				t.Fatalf("event %s seen twice", e.ID)
			}
			got[e.ID] = true
			var p struct {
				Tag         string
				Writer, Seq int
			}
			if err := json.Unmarshal(e.Data, &p); err != nil {
				t.Fatal(err)
			}
			if p.Tag != tag {
				continue // another test's event
			}
			// Each writer appends sequentially, so its events must surface in
			// its own order; a skipped event shows up as a jump here.
			if p.Seq != nextSeq[p.Writer] {
				t.Fatalf("writer %d: saw event %d, expected %d", p.Writer, p.Seq, nextSeq[p.Writer])
			}
			nextSeq[p.Writer]++
		}
		done := true
		for _, n := range nextSeq {
			done = done && n == perWriter
		}
		if done {
			break
		}
		select {
		case err := <-errs:
			t.Fatal(err)
		case <-deadline:
			t.Fatalf("follower stalled: per-writer progress %v", nextSeq)
		case <-stopped:
			if writersDone && len(evs) == 0 {
				// The writers are done. Events may still be unreadable (an
				// open transaction anywhere on the server holds the horizon
				// back), but none may lie behind the follower unseen.
				var behind int
				if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM events WHERE position <= $1 AND data->>'tag' = $2", after, tag).Scan(&behind); err != nil {
					t.Fatal(err)
				}
				seen := 0
				for _, n := range nextSeq {
					seen += n
				}
				if behind != seen {
					t.Fatalf("follower at %d saw %d events of this test, but %d are stored up to there", after, seen, behind)
				}
			}
			writersDone = true
		default:
		}
		if len(evs) == 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}

func TestAppendTxRollsBackWithCaller(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := postgres.NewEventStore(db.Pool)
	stream := uniqueStream("target")
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if _, err := store.AppendTx(ctx, tx, stream, domain.NoStream, newEvent(t, "A", nil)); err != nil {
			return err
		}
		// A refused append inside the transaction leaves it usable.
		if _, err := store.AppendTx(ctx, tx, stream, domain.NoStream, newEvent(t, "B", nil)); !errors.Is(err, domain.ErrConcurrencyConflict) {
			return fmt.Errorf("second append: want conflict, got %v", err)
		}
		if _, err := store.AppendTx(ctx, tx, stream, domain.ExactVersion(1), newEvent(t, "C", nil)); err != nil {
			return fmt.Errorf("append after a refused one: %w", err)
		}
		return errors.New("caller fails")
	})
	if err == nil || err.Error() != "caller fails" {
		t.Fatalf("transaction: %v", err)
	}
	evs, err := store.ReadStream(ctx, stream, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 0 {
		t.Fatalf("rolled-back transaction left %d events", len(evs))
	}
}

func TestAppendStreamsIsAtomic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := postgres.NewEventStore(db.Pool)
	target, job := uniqueStream("target"), uniqueStream("job")
	if _, err := store.Append(ctx, job, domain.NoStream, newEvent(t, "Existing", nil)); err != nil {
		t.Fatal(err)
	}

	opened := newEvent(t, "Opened", nil)
	_, err := store.AppendStreams(ctx,
		domain.StreamAppend{Stream: target, Expected: domain.NoStream, Events: []domain.EventData{opened}},
		domain.StreamAppend{Stream: job, Expected: domain.NoStream, Events: []domain.EventData{newEvent(t, "Requested", nil)}},
	)
	var ce *postgres.ConcurrencyError
	if !errors.As(err, &ce) || ce.Stream != job {
		t.Fatalf("want a conflict on %s, got %v", job, err)
	}
	if evs, _ := store.ReadStream(ctx, target, 0, 10); len(evs) != 0 {
		t.Fatalf("first part was stored although the second failed: %d events", len(evs))
	}

	parts := []domain.StreamAppend{
		{Stream: target, Expected: domain.NoStream, Events: []domain.EventData{opened}},
		{Stream: job, Expected: domain.ExactVersion(1), Events: []domain.EventData{newEvent(t, "Requested", nil)}},
	}
	first, err := store.AppendStreams(ctx, parts...)
	if err != nil {
		t.Fatal(err)
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
