package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/partnerforge/partnerforge/adapters/eventstoretest"
	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/domain"
)

// The contract every event store keeps; the tests below are PostgreSQL's
// own: triggers, visibility order, caller-owned transactions.
func TestContract(t *testing.T) {
	t.Parallel()
	eventstoretest.Run(t, postgres.NewEventStore(db.Pool))
}

func TestSnapshotContract(t *testing.T) {
	t.Parallel()
	eventstoretest.RunSnapshots(t, postgres.NewEventStore(db.Pool))
}

func TestEventsAreAppendOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := postgres.NewEventStore(db.Pool)
	stream := eventstoretest.UniqueStream("target")
	if _, err := store.Append(ctx, stream, domain.NoStream, eventstoretest.NewEvent(t, "A", nil)); err != nil {
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
	slowEv := eventstoretest.NewEvent(t, "Slow", nil)
	slowRes, err := store.AppendTx(ctx, slow, eventstoretest.UniqueStream("slow"), domain.NoStream, slowEv)
	if err != nil {
		t.Fatal(err)
	}
	fastEv := eventstoretest.NewEvent(t, "Fast", nil)
	fastRes, err := store.Append(ctx, eventstoretest.UniqueStream("fast"), domain.NoStream, fastEv)
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
	evs = eventstoretest.ReadAllUntil(t, store, fastRes.LastPosition)
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
				ev := eventstoretest.NewEvent(t, "Tailed", map[string]any{"tag": tag, "writer": w, "seq": i})
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
	stream := eventstoretest.UniqueStream("target")
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if _, err := store.AppendTx(ctx, tx, stream, domain.NoStream, eventstoretest.NewEvent(t, "A", nil)); err != nil {
			return err
		}
		// A refused append inside the transaction leaves it usable.
		if _, err := store.AppendTx(ctx, tx, stream, domain.NoStream, eventstoretest.NewEvent(t, "B", nil)); !errors.Is(err, domain.ErrConcurrencyConflict) {
			return fmt.Errorf("second append: want conflict, got %v", err)
		}
		if _, err := store.AppendTx(ctx, tx, stream, domain.ExactVersion(1), eventstoretest.NewEvent(t, "C", nil)); err != nil {
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

// An append is reported stored only once its transaction has committed. A
// deferred constraint trigger fails the commit itself, after every statement
// of the batch has answered: the append must return that error, since a
// caller that saw success would go on to delete the work that produced the
// events.
func TestAppendReportsAFailedCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A database of its own: creating a trigger on events waits for every
	// open transaction that wrote to it, and queues the other tests' appends
	// behind it.
	d := pgtest.NewDB(t)
	const prefix = "commitfails-"
	_, err := d.Pool.Exec(ctx, `
CREATE FUNCTION fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'refused at commit' USING ERRCODE = '40001';
END $$;
CREATE CONSTRAINT TRIGGER events_fail_at_commit AFTER INSERT ON events
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	WHEN (starts_with(NEW.stream_id, '`+prefix+`'))
	EXECUTE FUNCTION fail_at_commit();`)
	if err != nil {
		t.Fatal(err)
	}
	store := postgres.NewEventStore(d.Pool)
	stream := prefix + uuid.NewString()
	other := eventstoretest.UniqueStream("target")
	_, err = store.AppendStreams(ctx,
		domain.StreamAppend{Stream: other, Expected: domain.NoStream, Events: []domain.EventData{eventstoretest.NewEvent(t, "A", nil)}},
		domain.StreamAppend{Stream: stream, Expected: domain.NoStream, Events: []domain.EventData{eventstoretest.NewEvent(t, "B", nil)}},
	)
	if err == nil {
		t.Fatal("append reported success for a transaction that failed to commit")
	}
	for _, s := range []string{other, stream} {
		evs, err := store.ReadStream(ctx, s, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 0 {
			t.Errorf("stream %s holds %d events after a failed commit", s, len(evs))
		}
	}
}

// A logically restored database has events positioned past the server's
// transaction counter; migrating (or serving) it would order new events
// before stored ones, so the check refuses it.
func TestPositionsAheadOfTheServerAreRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := pgtest.NewDB(t)
	if err := postgres.CheckPositions(ctx, d.Pool); err != nil {
		t.Fatalf("empty log: %v", err)
	}
	store := postgres.NewEventStore(d.Pool)
	if _, err := store.Append(ctx, eventstoretest.UniqueStream("target"), domain.NoStream, eventstoretest.NewEvent(t, "A", nil)); err != nil {
		t.Fatal(err)
	}
	if err := postgres.CheckPositions(ctx, d.Pool); err != nil {
		t.Fatalf("log written by this server: %v", err)
	}
	// What a restore onto a younger server looks like: a stored event from
	// a transaction the server has not reached.
	_, err := d.Pool.Exec(ctx, `
INSERT INTO events (position, stream_id, stream_version, event_id, event_type, data)
VALUES ((pg_snapshot_xmax(pg_current_snapshot())::text::bigint + 1000000) << 20, $1, 1, $2, 'A', '{}')`,
		eventstoretest.UniqueStream("target"), uuid.New())
	if err != nil {
		t.Fatal(err)
	}
	if err := postgres.CheckPositions(ctx, d.Pool); !errors.Is(err, postgres.ErrPositionsBehind) {
		t.Fatalf("restored log: %v, want ErrPositionsBehind", err)
	}
	m, err := postgres.NewMigrator(d.Pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Up(ctx, slog.New(slog.DiscardHandler)); !errors.Is(err, postgres.ErrPositionsBehind) {
		t.Fatalf("migrate up on a restored log: %v, want ErrPositionsBehind", err)
	}
}
