package messaging_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/partnerforge/partnerforge/adapters/messaging"
	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/domain"
)

var db *pgtest.Database

func TestMain(m *testing.M) { pgtest.Run(m, &db) }

var quiet = watermill.NewSlogLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))

func event(typ string) domain.EventData {
	return domain.EventData{
		ID: uuid.New(), Type: typ, SchemaVersion: 1, Data: []byte(`{"k":"v"}`),
		Metadata: domain.Metadata{CorrelationID: uuid.NewString(), Actor: "auditor"},
	}
}

// collect subscribes a fresh consumer group and returns the events it
// receives, up to and including the one with id stop.
func collect(t *testing.T, stop uuid.UUID) []domain.RecordedEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sub, err := messaging.NewSubscriber(db.Pool, messaging.SubscriberConfig{ConsumerGroup: "test_" + uuid.NewString()[:8]}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	msgs, err := sub.Subscribe(ctx, messaging.Topic)
	if err != nil {
		t.Fatal(err)
	}
	var got []domain.RecordedEvent
	for {
		select {
		case <-ctx.Done():
			t.Fatalf("sentinel %s never delivered; got %d events", stop, len(got))
		case msg := <-msgs:
			e, err := messaging.FromMessage(msg)
			msg.Ack()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, e)
			if e.ID == stop {
				return got
			}
		}
	}
}

func TestSubscribersDeliverExactlyTheStoredEvents(t *testing.T) {
	ctx := context.Background()
	store := postgres.NewEventStore(db.Pool)
	stream := "target-" + uuid.NewString()
	a, b := event("A"), event("B")
	res, err := store.Append(ctx, stream, domain.NoStream, a, b)
	if err != nil {
		t.Fatal(err)
	}
	// A duplicate re-append is a no-op and must not publish again.
	if again, err := store.Append(ctx, stream, domain.AnyVersion, a, b); err != nil || !again.Duplicate {
		t.Fatalf("re-append: %+v, %v", again, err)
	}
	sentinel := event("Sentinel")
	if _, err := store.Append(ctx, "sentinel-"+uuid.NewString(), domain.NoStream, sentinel); err != nil {
		t.Fatal(err)
	}

	got := collect(t, sentinel.ID)
	var mine []domain.RecordedEvent
	for _, e := range got {
		if e.StreamID == stream {
			mine = append(mine, e)
		}
	}
	if len(mine) != 2 {
		t.Fatalf("delivered %d events of the stream, want 2", len(mine))
	}
	for i, want := range []domain.EventData{a, b} {
		e := mine[i]
		if e.ID != want.ID || e.Type != want.Type || e.Metadata != want.Metadata || !jsonEqual(e.Data, want.Data) {
			t.Errorf("event %d delivered as %+v, stored %+v", i, e, want)
		}
		if e.StreamVersion != int64(i+1) || e.Position != res.FirstPosition+int64(i) {
			t.Errorf("event %d: version %d position %d", i, e.StreamVersion, e.Position)
		}
	}
}

func TestSubscribersDeliverNothingFromFailedAppends(t *testing.T) {
	ctx := context.Background()
	store := postgres.NewEventStore(db.Pool)
	failing := errors.New("caller fails after appending")
	lost := map[uuid.UUID]string{}

	// 1. A batch whose second event is already stored elsewhere fails as a
	// whole: its first event is neither stored nor published.
	existing := event("Existing")
	if _, err := store.Append(ctx, "t-"+uuid.NewString(), domain.NoStream, existing); err != nil {
		t.Fatal(err)
	}
	e1 := event("BeforeTheDuplicate")
	if _, err := store.Append(ctx, "t-"+uuid.NewString(), domain.NoStream, e1, existing); !errors.Is(err, domain.ErrDuplicateEvent) {
		t.Fatalf("append of a batch with a stored event: %v", err)
	}
	lost[e1.ID] = "failed statement"

	// 2. The caller's transaction rolls back after a successful AppendTx.
	e2 := event("CallerRolledBack")
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if _, err := store.AppendTx(ctx, tx, "t-"+uuid.NewString(), domain.NoStream, e2); err != nil {
			return err
		}
		return failing
	})
	if !errors.Is(err, failing) {
		t.Fatalf("caller transaction: %v", err)
	}
	lost[e2.ID] = "caller rollback"

	// 3. A refused append (version conflict) publishes nothing either.
	stream := "t-" + uuid.NewString()
	if _, err := store.Append(ctx, stream, domain.NoStream, event("First")); err != nil {
		t.Fatal(err)
	}
	e3 := event("Conflicted")
	if _, err := store.Append(ctx, stream, domain.NoStream, e3); !errors.Is(err, domain.ErrConcurrencyConflict) {
		t.Fatalf("conflicting append: %v", err)
	}
	lost[e3.ID] = "version conflict"

	sentinel := event("Sentinel")
	if _, err := store.Append(ctx, "sentinel-"+uuid.NewString(), domain.NoStream, sentinel); err != nil {
		t.Fatal(err)
	}
	for _, e := range collect(t, sentinel.ID) {
		if why, ok := lost[e.ID]; ok {
			t.Errorf("event from a failed append (%s) was delivered", why)
		}
	}
	stored, err := store.ReadAll(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range stored {
		if why, ok := lost[e.ID]; ok {
			t.Errorf("event from a failed append (%s) was stored", why)
		}
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// TestSubscribersStartTogetherOnANewDatabase: instances starting at once
// against a database where no subscriber ran yet all create the offsets
// table's first use without one stopping on a unique violation.
func TestSubscribersStartTogetherOnANewDatabase(t *testing.T) {
	fresh := pgtest.NewDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const instances = 8
	errs := make(chan error, instances)
	for i := range instances {
		go func() {
			sub, err := messaging.NewSubscriber(fresh.Pool, messaging.SubscriberConfig{ConsumerGroup: fmt.Sprintf("start_%d", i)}, quiet)
			if err != nil {
				errs <- err
				return
			}
			defer sub.Close()
			_, err = sub.Subscribe(ctx, messaging.Topic)
			errs <- err
		}()
	}
	for range instances {
		if err := <-errs; err != nil {
			t.Errorf("subscribe: %v", err)
		}
	}
}
