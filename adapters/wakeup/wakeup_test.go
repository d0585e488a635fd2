package wakeup_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/adapters/wakeup"
	"github.com/partnerforge/partnerforge/domain"
)

var db *pgtest.Database

func TestMain(m *testing.M) { pgtest.Run(m, &db) }

// signals counts the wake-ups of each channel of one running Wakeups.
type signals struct {
	events, work, readModels chan struct{}
}

// start runs a Wakeups with a listener on each channel and returns once its
// listening connection is up (it wakes every follower when it connects).
func start(t *testing.T) (*wakeup.Wakeups, signals) {
	t.Helper()
	w, err := wakeup.New(db.Pool, wakeup.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s := signals{events: make(chan struct{}, 100), work: make(chan struct{}, 100), readModels: make(chan struct{}, 100)}
	w.OnEvents(func() { s.events <- struct{}{} })
	w.OnWork(func() { s.work <- struct{}{} })
	w.OnReadModels(func() { s.readModels <- struct{}{} })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	for _, c := range []chan struct{}{s.events, s.work, s.readModels} {
		await(t, c, "the wake-up on connecting")
	}
	return w, s
}

func await(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s", what)
	}
}

func TestAnotherInstanceIsWoken(t *testing.T) {
	sender, _ := start(t)
	_, receiver := start(t)
	cases := []struct {
		name string
		poke func()
		wait chan struct{}
	}{
		{"work", sender.Work, receiver.work},
		{"read models", sender.ReadModels, receiver.readModels},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.poke()
			await(t, c.wait, c.name+" notification from the other instance")
		})
	}
}

// An event wakes followers only once they can read it: while an older
// transaction is open, the event lies above the visibility horizon, and a
// follower woken then would find nothing and rest until its fallback poll.
func TestEventsWakeFollowersOnceReadable(t *testing.T) {
	ctx := context.Background()
	local, here := start(t)
	_, there := start(t)

	// An older transaction holding an id keeps the horizon below the append.
	older, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer older.Rollback(ctx)
	if _, err := older.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	store := postgres.NewEventStore(db.Pool)
	store.OnAppend(local.Appended)
	e := domain.EventData{ID: uuid.New(), Type: "Probe", SchemaVersion: 1, Data: []byte(`{}`), Metadata: domain.Metadata{CorrelationID: uuid.NewString()}}
	res, err := store.Append(ctx, "probe-"+uuid.NewString(), domain.NoStream, e)
	if err != nil {
		t.Fatal(err)
	}
	// Give the watcher time to find the horizon held (no assertion on it).
	time.Sleep(100 * time.Millisecond)
	if err := older.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	for name, c := range map[string]chan struct{}{"this instance": here.events, "another instance": there.events} {
		await(t, c, "events wake-up in "+name)
		evs, err := store.ReadAll(ctx, res.FirstPosition-1, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 || evs[0].ID != e.ID {
			t.Fatalf("%s woken before the event was readable: read %d events", name, len(evs))
		}
	}
}

// After the listening connection is lost, the listener reconnects, listens
// again and wakes everyone once, since notifications may have been missed.
func TestListenerReconnects(t *testing.T) {
	ctx := context.Background()
	_, s := start(t)
	var killed int
	err := db.Pool.QueryRow(ctx, `
SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN %'`).Scan(&killed)
	if err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("terminated %d listening sessions, want 1", killed)
	}
	for _, c := range []chan struct{}{s.events, s.work, s.readModels} {
		await(t, c, "wake-up after reconnecting")
	}
	// Listening again: a notification from anyone reaches it.
	if _, err := db.Pool.Exec(ctx, `SELECT pg_notify($1, 'elsewhere')`, string(wakeup.WorkChannel)); err != nil {
		t.Fatal(err)
	}
	await(t, s.work, "work notification after reconnecting")
}

// A command-line tool, which runs no Wakeups, wakes every follower of a
// running service after its writes.
func TestWakeAllFromACommand(t *testing.T) {
	_, s := start(t)
	if err := wakeup.WakeAll(context.Background(), db.Pool); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]chan struct{}{"events": s.events, "work": s.work, "read models": s.readModels} {
		await(t, c, name+" wake-up from a command")
	}
}
