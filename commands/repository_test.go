package commands

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/memstore"
	"github.com/partnerforge/partnerforge/domain"
)

func TestRepositoryReadsEveryPage(t *testing.T) {
	store := memstore.New(time.Now)
	repo := NewRepository(store)
	repo.page = 3
	d := domain.MustParseDomain("paged.example.com")
	for i := range 7 {
		ev := domain.TargetAdded{Domain: d, AddedBy: fmt.Sprint(i)}
		if _, err := repo.Save(context.Background(), domain.Metadata{}, Change{
			Stream: domain.TargetStream(d), Expected: domain.ExactVersion(int64(i)), Events: []domain.Event{ev}, ID: ByType("page", fmt.Sprint(i)),
		}); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := repo.Events(context.Background(), domain.TargetStream(d))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 7 || evs[6].StreamVersion != 7 {
		t.Fatalf("read %d events, last version %d; want 7 and 7", len(evs), evs[len(evs)-1].StreamVersion)
	}
}

func TestRepositorySaveIsDeterministic(t *testing.T) {
	store := memstore.New(time.Now)
	repo := NewRepository(store)
	d := domain.MustParseDomain("same.example.com")
	job := uuid.New()
	decision := func() []Change {
		return []Change{
			{Stream: domain.TargetStream(d), Expected: domain.AnyVersion, Events: []domain.Event{domain.TargetAdded{Domain: d}, domain.EnrichmentJobOpened{Domain: d, JobID: job}}, ID: ByType(job.String())},
			{Stream: domain.JobStream(job), Expected: domain.AnyVersion, Events: []domain.Event{domain.EnrichmentRequested{JobID: job, Domain: d}}, ID: ByIndex(job.String(), "opened")},
		}
	}
	first, err := repo.Save(context.Background(), domain.Metadata{Actor: "a"}, decision()...)
	if err != nil {
		t.Fatal(err)
	}
	again, err := repo.Save(context.Background(), domain.Metadata{Actor: "a"}, decision()...)
	if err != nil {
		t.Fatal(err)
	}
	for i := range first {
		if first[i].Duplicate || !again[i].Duplicate || again[i].LastPosition != first[i].LastPosition {
			t.Errorf("change %d: first %+v, again %+v; want the repeat to be a duplicate of the first", i, first[i], again[i])
		}
	}
	if n := len(mustRead(t, store)); n != 3 {
		t.Errorf("%d events stored, want 3", n)
	}
}

func TestRepositorySaveIsAtomic(t *testing.T) {
	store := memstore.New(time.Now)
	repo := NewRepository(store)
	d := domain.MustParseDomain("atomic.example.com")
	job := uuid.New()
	_, err := repo.Save(context.Background(), domain.Metadata{},
		Change{Stream: domain.TargetStream(d), Expected: domain.NoStream, Events: []domain.Event{domain.TargetAdded{Domain: d}}, ID: ByType("x")},
		Change{Stream: domain.JobStream(job), Expected: domain.ExactVersion(4), Events: []domain.Event{domain.EnrichmentRequested{JobID: job, Domain: d}}, ID: ByType("x")},
	)
	if !errors.Is(err, domain.ErrConcurrencyConflict) {
		t.Fatalf("want a conflict, got %v", err)
	}
	if n := len(mustRead(t, store)); n != 0 {
		t.Errorf("%d events stored by a refused save", n)
	}
}

func TestRepositoryRetry(t *testing.T) {
	conflict := &domain.ConcurrencyError{Stream: "s", Expected: 1, Actual: 2}
	other := errors.New("provider down")
	tests := []struct {
		name      string
		failures  int // conflicts before success
		fail      error
		wantCalls int
		wantErr   error
	}{
		{"no conflict", 0, nil, 1, nil},
		{"two conflicts, then success", 2, nil, 3, nil},
		{"always a conflict", 1000, nil, maxConflictRetries, domain.ErrConcurrencyConflict},
		{"another error is not retried", 0, other, 1, other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := NewRepository(memstore.New(time.Now)).Retry(context.Background(), "decide", func() error {
				calls++
				if tt.fail != nil {
					return tt.fail
				}
				if calls <= tt.failures {
					return conflict
				}
				return nil
			})
			if calls != tt.wantCalls {
				t.Errorf("decided %d times, want %d", calls, tt.wantCalls)
			}
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func mustRead(t *testing.T, store *memstore.Store) []domain.RecordedEvent {
	t.Helper()
	evs, err := store.ReadAll(context.Background(), 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// The wait after a lost race is random, never zero, and bounded: doubling
// from 1 ms up to maxConflictBackoff.
func TestConflictBackoff(t *testing.T) {
	tests := []struct {
		lost  int
		bound time.Duration
	}{
		{0, time.Millisecond},
		{3, 8 * time.Millisecond},
		{5, 32 * time.Millisecond},
		{6, maxConflictBackoff},
		{maxConflictRetries, maxConflictBackoff},
		{1000, maxConflictBackoff},
	}
	for _, tt := range tests {
		for range 200 {
			if d := conflictBackoff(tt.lost); d <= 0 || d > tt.bound+1 {
				t.Fatalf("conflictBackoff(%d) = %s, want in (0, %s]", tt.lost, d, tt.bound)
			}
		}
	}
}
