package messaging_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/messaging"
	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/domain"
)

// A handler that keeps failing on an event gives it up to the poison queue;
// the entry names the handler, the event and the error, and a re-drive runs
// the handler on the stored event again and records how it went.
func TestPoisonedEventsAreListedAndRedriven(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	store := postgres.NewEventStore(db.Pool)
	stream := "target-poison-" + uuid.NewString()[:8] + ".example"
	name := "test_poison_" + uuid.NewString()[:8]

	var broken atomic.Bool
	broken.Store(true)
	var handled atomic.Int32
	handler := messaging.NewHandler(name, messaging.On(func(_ context.Context, rec domain.RecordedEvent, _ domain.TargetAdded) error {
		if rec.StreamID != stream {
			return nil
		}
		if broken.Load() {
			return errors.New("provider profile unreadable")
		}
		handled.Add(1)
		return nil
	}))

	data, err := domain.Encode(domain.TargetAdded{Domain: domain.MustParseDomain("poison.example")}, domain.Metadata{Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := store.Append(ctx, stream, domain.NoStream, data)
	if err != nil {
		t.Fatal(err)
	}

	router, err := messaging.NewRouter(db.Pool, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := messaging.AddHandler(router, db.Pool, handler, messaging.SubscriberConfig{PollInterval: 10 * time.Millisecond}, quiet); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- router.Run(runCtx) }()
	defer func() { stop(); <-done }()

	entry := waitPoisoned(t, ctx, name)
	want := messaging.Poisoned{Handler: name, EventID: data.ID, Type: domain.TypeTargetAdded, StreamID: stream,
		Position: res.FirstPosition, StreamVersion: 1}
	if entry.Handler != want.Handler || entry.EventID != want.EventID || entry.Type != want.Type ||
		entry.StreamID != want.StreamID || entry.Position != want.Position || entry.StreamVersion != want.StreamVersion {
		t.Fatalf("entry %+v, want %+v", entry, want)
	}
	if !strings.Contains(entry.Error, "provider profile unreadable") || entry.At.IsZero() || entry.Redriven != nil {
		t.Fatalf("entry %+v: want the handler's error, a time, and no re-drive yet", entry)
	}

	handlers := []messaging.Handler{handler}
	// Still broken: the re-drive fails and says so, and the entry keeps it.
	if err := messaging.Redrive(ctx, db.Pool, store, handlers, entry); err == nil || !strings.Contains(err.Error(), "failed again") {
		t.Fatalf("re-drive of a broken handler: %v", err)
	}
	if got := byID(t, ctx, entry.ID); got.Redriven == nil || !strings.Contains(got.RedriveError, "unreadable") {
		t.Fatalf("after a failed re-drive: %+v", got)
	}

	broken.Store(false)
	tests := []struct {
		name string
		id   string
	}{
		{"by entry number", itoa(entry.ID)},
		{"by event id, again: harmless", entry.EventID.String()},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found, err := messaging.PoisonedByID(ctx, db.Pool, tt.id)
			if err != nil || len(found) != 1 || found[0].ID != entry.ID {
				t.Fatalf("PoisonedByID(%s) = %+v, %v; want entry %d", tt.id, found, err, entry.ID)
			}
			if err := messaging.Redrive(ctx, db.Pool, store, handlers, found[0]); err != nil {
				t.Fatal(err)
			}
			if n := handled.Load(); n != int32(i+1) {
				t.Fatalf("handled %d times, want %d", n, i+1)
			}
			if got := byID(t, ctx, entry.ID); got.Redriven == nil || got.RedriveError != "" {
				t.Fatalf("after a re-drive that succeeded: %+v", got)
			}
		})
	}

	if err := messaging.Redrive(ctx, db.Pool, store, nil, entry); !errors.Is(err, messaging.ErrUnknownHandler) {
		t.Fatalf("re-drive without its handler: %v, want ErrUnknownHandler", err)
	}
	if _, err := messaging.PoisonedByID(ctx, db.Pool, "bogus"); err == nil {
		t.Fatal("PoisonedByID accepted an id that is neither a number nor a uuid")
	}
}

// waitPoisoned polls the poison queue until the handler's entry appears.
func waitPoisoned(t *testing.T, ctx context.Context, handler string) messaging.Poisoned {
	t.Helper()
	for {
		all, err := messaging.ListPoisoned(ctx, db.Pool)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range all {
			if p.Handler == handler {
				return p
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("handler %s never gave up on the event", handler)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func byID(t *testing.T, ctx context.Context, id int64) messaging.Poisoned {
	t.Helper()
	found, err := messaging.PoisonedByID(ctx, db.Pool, itoa(id))
	if err != nil || len(found) != 1 {
		t.Fatalf("entry %d: %+v, %v", id, found, err)
	}
	return found[0]
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
