package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

// givenOpenedToday appends n jobs the requester opened today (already
// expired, so only the daily budget can refuse) and returns the stream.
func givenOpenedToday(t *testing.T, store *postgres.EventStore, who string, n int) []domain.RecordedEvent {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	evs := make([]domain.EventData, n)
	for i := range evs {
		var err error
		evs[i], err = domain.Encode(domain.RequesterJobStarted{
			Requester: who, JobID: uuid.New(), Domain: domain.MustParseDomain("earlier.example.com"),
			ExpiresAt: now.Add(-time.Minute), StartedAt: now,
		}, domain.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
	}
	stream := domain.RequesterStream(who)
	if _, err := store.Append(ctx, stream, domain.NoStream, evs...); err != nil {
		t.Fatal(err)
	}
	stored, err := store.ReadStream(ctx, stream, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

// Opening jobs concurrently for one requester whose long stream is loaded
// through a snapshot — none, current, stale, altered, or naming another
// event — accepts exactly as many as the day's budget has left: the
// snapshot never changes a decision, and the expected version still guards
// every append.
func TestConcurrentOpensSpendTheDailyBudgetExactly(t *testing.T) {
	t.Parallel()
	const (
		openedBefore = 40
		budget       = openedBefore + 5
		concurrent   = 16
	)
	store := postgres.NewEventStore(db.Pool)
	sealed := func(t *testing.T, stream string, evs []domain.RecordedEvent, at int) domain.Snapshot {
		t.Helper()
		r, err := domain.LoadRequester(evs[:at])
		if err != nil {
			t.Fatal(err)
		}
		s, err := r.Snapshot(stream)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name  string
		plant func(t *testing.T, stream string, evs []domain.RecordedEvent) *domain.Snapshot
	}{
		{"no snapshot", func(*testing.T, string, []domain.RecordedEvent) *domain.Snapshot { return nil }},
		{"snapshot at the head", func(t *testing.T, stream string, evs []domain.RecordedEvent) *domain.Snapshot {
			s := sealed(t, stream, evs, len(evs))
			return &s
		}},
		{"stale snapshot", func(t *testing.T, stream string, evs []domain.RecordedEvent) *domain.Snapshot {
			s := sealed(t, stream, evs, 10)
			return &s
		}},
		{"altered snapshot: today's count wiped, digest kept", func(t *testing.T, stream string, evs []domain.RecordedEvent) *domain.Snapshot {
			s := sealed(t, stream, evs, len(evs))
			s.State = bytes.Replace(s.State, []byte(fmt.Sprintf(`"started_n":%d`, openedBefore)), []byte(`"started_n":0`), 1)
			if !bytes.Contains(s.State, []byte(`"started_n":0`)) {
				t.Fatalf("state %s not altered", s.State)
			}
			return &s
		}},
		{"snapshot naming another event", func(t *testing.T, stream string, evs []domain.RecordedEvent) *domain.Snapshot {
			s := sealed(t, stream, evs, 5)
			s.EventID = uuid.New()
			s.Seal()
			return &s
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			who := "rep-" + uuid.NewString()[:8] + "@example.com"
			stream := domain.RequesterStream(who)
			evs := givenOpenedToday(t, store, who, openedBefore)
			if s := tt.plant(t, stream, evs); s != nil {
				if err := store.SaveSnapshot(ctx, *s); err != nil {
					t.Fatal(err)
				}
			}
			h := commands.NewRequestEnrichmentHandler(store, domain.DefaultEnrichmentPolicy, 1000, time.Now)
			var (
				wg                sync.WaitGroup
				mu                sync.Mutex
				accepted, refused int
				unexpected        []error
				slug              = strings.NewReplacer("@", "-", ".", "-").Replace(who)
			)
			for i := range concurrent {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := h.Handle(ctx, commands.RequestEnrichment{
						Domain: domain.MustParseDomain(fmt.Sprintf("%s-%d.example.com", slug, i)), Add: true,
						RequestedBy: who, EnrichmentsPerDay: budget,
					})
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						accepted++
					case errors.Is(err, domain.ErrDailyEnrichmentLimit):
						refused++
					default:
						unexpected = append(unexpected, err)
					}
				}()
			}
			wg.Wait()
			if len(unexpected) > 0 {
				t.Fatalf("unexpected errors: %v", unexpected)
			}
			if accepted != budget-openedBefore || refused != concurrent-accepted {
				t.Fatalf("accepted %d, refused %d; want exactly %d accepted", accepted, refused, budget-openedBefore)
			}
			// The whole stream, folded without any snapshot, agrees.
			all, err := commands.NewRepository(store).WithoutSnapshots().Events(ctx, stream)
			if err != nil {
				t.Fatal(err)
			}
			r, err := domain.LoadRequester(all)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.StartedOn(time.Now()); got != budget {
				t.Fatalf("the stream counts %d jobs today, want %d", got, budget)
			}
		})
	}
}
