package messaging

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/adapters/wakeup"
	"github.com/partnerforge/partnerforge/domain"
)

var restLog = watermill.NewSlogLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))

// lostWakeups is a notifier whose notifications all get lost.
type lostWakeups struct{}

func (lostWakeups) OnEvents(func()) {}

// runWakeups runs real wake-ups on d and returns once they listen.
func runWakeups(t *testing.T, d *pgtest.Database) *wakeup.Wakeups {
	t.Helper()
	w, err := wakeup.New(d.Pool, wakeup.Config{})
	if err != nil {
		t.Fatal(err)
	}
	listening := make(chan struct{}, 1)
	w.OnWork(func() {
		select {
		case listening <- struct{}{}:
		default:
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-listening: // every listener is woken once the connection listens
	case <-time.After(30 * time.Second):
		t.Fatal("wake-ups never listened")
	}
	return w
}

// subscribe starts a resting subscriber of a new consumer group and returns
// it once its first poll found nothing and it rests.
func subscribe(t *testing.T, d *pgtest.Database, wake Waker, fallback time.Duration) <-chan *message.Message {
	t.Helper()
	sub, err := NewSubscriber(d.Pool, SubscriberConfig{ConsumerGroup: "rest_" + uuid.NewString()[:8], Wake: wake, Rest: fallback}, restLog)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		// Close must not wait out the fallback interval of a resting poll.
		if err := sub.Close(); err != nil {
			t.Error(err)
		}
	})
	msgs, err := sub.Subscribe(ctx, Topic)
	if err != nil {
		t.Fatal(err)
	}
	awaitResting(t, sub)
	return msgs
}

func awaitResting(t *testing.T, sub message.Subscriber) {
	t.Helper()
	r := sub.(restingSubscriber).rest
	deadline := time.Now().Add(30 * time.Second)
	for !r.resting.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the subscriber never rested")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func appendProbe(t *testing.T, store *postgres.EventStore) uuid.UUID {
	t.Helper()
	e := domain.EventData{ID: uuid.New(), Type: "Probe", SchemaVersion: 1, Data: []byte(`{}`), Metadata: domain.Metadata{CorrelationID: uuid.NewString()}}
	if _, err := store.Append(context.Background(), "probe-"+uuid.NewString(), domain.NoStream, e); err != nil {
		t.Fatal(err)
	}
	return e.ID
}

// receive returns the next message, failing after a minute: far beyond any
// wake-up, far below the hour-long fallback of the tests that rely on one.
func receive(t *testing.T, msgs <-chan *message.Message) *message.Message {
	t.Helper()
	select {
	case m := <-msgs:
		return m
	case <-time.After(time.Minute):
		t.Fatal("no message delivered")
		return nil
	}
}

// With an hour-long fallback, only the notification can explain the
// delivery of an event appended while the subscriber rests.
func TestRestingSubscriberIsWokenByNotification(t *testing.T) {
	d := pgtest.NewDB(t)
	w := runWakeups(t, d)
	store := postgres.NewEventStore(d.Pool)
	store.OnAppend(w.Appended)
	sub, err := NewSubscriber(d.Pool, SubscriberConfig{ConsumerGroup: "rest_notified", Wake: w, Rest: time.Hour}, restLog)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); _ = sub.Close() }()
	msgs, err := sub.Subscribe(ctx, Topic)
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		awaitResting(t, sub)
		id := appendProbe(t, store)
		m := receive(t, msgs)
		m.Ack()
		if got, _ := uuid.Parse(m.UUID); got != id {
			t.Fatalf("round %d: delivered %s, want %s", round, m.UUID, id)
		}
	}
}

// With every notification lost, the fallback poll still delivers.
func TestRestingSubscriberFallsBackToPolling(t *testing.T) {
	d := pgtest.NewDB(t)
	msgs := subscribe(t, d, lostWakeups{}, 50*time.Millisecond)
	id := appendProbe(t, postgres.NewEventStore(d.Pool))
	m := receive(t, msgs)
	m.Ack()
	if got, _ := uuid.Parse(m.UUID); got != id {
		t.Fatalf("delivered %s, want %s", m.UUID, id)
	}
}

// A nacked message is resent as before: resting never holds a redelivery.
func TestRestingSubscriberResendsNackedMessage(t *testing.T) {
	d := pgtest.NewDB(t)
	w := runWakeups(t, d)
	store := postgres.NewEventStore(d.Pool)
	store.OnAppend(w.Appended)
	msgs := subscribe(t, d, w, time.Hour)
	id := appendProbe(t, store)
	first := receive(t, msgs)
	first.Nack()
	again := receive(t, msgs)
	again.Ack()
	for _, m := range []*message.Message{first, again} {
		if got, _ := uuid.Parse(m.UUID); got != id {
			t.Fatalf("delivered %s, want %s", m.UUID, id)
		}
	}
}
