package commands

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

// EventStore is what commands need of the event log: the PostgreSQL store
// (bound to the pool or to a caller's transaction) and the in-memory store
// implement it, and both pass adapters/eventstoretest.
type EventStore interface {
	ReadStream(ctx context.Context, stream string, afterVersion int64, limit int) ([]domain.RecordedEvent, error)
	AppendStreams(ctx context.Context, parts ...domain.StreamAppend) ([]domain.AppendResult, error)
}

// Clock returns the current time; tests pass a fixed one.
type Clock func() time.Time

// Repository is the one place commands load aggregates and save decisions:
// it reads every page of a stream, folds it, encodes decided events under
// deterministic ids, appends all streams of a decision at once with their
// expected versions, and retries a decision that lost a race.
type Repository struct {
	store EventStore
	page  int
}

// NewRepository returns a repository over store.
func NewRepository(store EventStore) Repository {
	if store == nil {
		panic("commands.NewRepository: nil store")
	}
	return Repository{store: store, page: defaultReadPage}
}

const defaultReadPage = 1000

// Events reads a whole stream, page by page.
func (r Repository) Events(ctx context.Context, stream string) ([]domain.RecordedEvent, error) {
	var (
		all   []domain.RecordedEvent
		after int64
	)
	for {
		page, err := r.store.ReadStream(ctx, stream, after, r.page)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", stream, err)
		}
		all = append(all, page...)
		if len(page) < r.page {
			return all, nil
		}
		after = page[len(page)-1].StreamVersion
	}
}

// Target loads a target; one never seen is a new, empty target.
func (r Repository) Target(ctx context.Context, d domain.Domain) (*domain.Target, error) {
	evs, err := r.Events(ctx, domain.TargetStream(d))
	if err != nil {
		return nil, err
	}
	return domain.LoadTarget(d, evs)
}

// Job loads an enrichment job.
func (r Repository) Job(ctx context.Context, id uuid.UUID) (*domain.Job, error) {
	evs, err := r.Events(ctx, domain.JobStream(id))
	if err != nil {
		return nil, err
	}
	return domain.LoadJob(evs)
}

// Requester loads a requester's jobs in flight.
func (r Repository) Requester(ctx context.Context, who string) (*domain.Requester, error) {
	evs, err := r.Events(ctx, domain.RequesterStream(who))
	if err != nil {
		return nil, err
	}
	return domain.LoadRequester(evs)
}

// ImportBatch loads an import batch.
func (r Repository) ImportBatch(ctx context.Context, id uuid.UUID) (*domain.ImportBatch, error) {
	evs, err := r.Events(ctx, domain.ImportStream(id))
	if err != nil {
		return nil, err
	}
	return domain.LoadImportBatch(evs)
}

// APIKey loads an API key; one never issued has no Issued record.
func (r Repository) APIKey(ctx context.Context, id uuid.UUID) (*domain.APIKey, error) {
	evs, err := r.Events(ctx, domain.APIKeyStream(id))
	if err != nil {
		return nil, err
	}
	return domain.LoadAPIKey(evs)
}

// Change is one stream's part of a decision.
type Change struct {
	Stream   string
	Expected domain.ExpectedVersion
	Events   []domain.Event
	// ID names each event. Ids derived from what was decided (the job, the
	// batch, the provider) make deciding the same thing twice append
	// nothing new: the store reports the repeat as a duplicate.
	ID func(i int, e domain.Event) uuid.UUID
}

// ByType names events by key and their type: for a stream part holding at
// most one event of each type per key.
func ByType(key ...string) func(int, domain.Event) uuid.UUID {
	return func(_ int, e domain.Event) uuid.UUID {
		return domain.EventID(append(key[:len(key):len(key)], e.EventType())...)
	}
}

// ByIndex names events by key and their place in the part.
func ByIndex(key ...string) func(int, domain.Event) uuid.UUID {
	return func(i int, _ domain.Event) uuid.UUID {
		return domain.EventID(append(key[:len(key):len(key)], fmt.Sprint(i))...)
	}
}

// Save appends every change at once: all are stored or none is.
func (r Repository) Save(ctx context.Context, meta domain.Metadata, changes ...Change) ([]domain.AppendResult, error) {
	parts := make([]domain.StreamAppend, len(changes))
	for i, c := range changes {
		if c.ID == nil {
			return nil, fmt.Errorf("save %s: no event ids", c.Stream)
		}
		evs := make([]domain.EventData, len(c.Events))
		for j, e := range c.Events {
			var err error
			if evs[j], err = domain.EncodeWithID(c.ID(j, e), e, meta); err != nil {
				return nil, fmt.Errorf("save %s: %w", c.Stream, err)
			}
		}
		parts[i] = domain.StreamAppend{Stream: c.Stream, Expected: c.Expected, Events: evs}
	}
	return r.store.AppendStreams(ctx, parts...)
}

// maxConflictRetries bounds how often a decision is made again after losing
// a race to a concurrent writer.
const maxConflictRetries = 20

// maxConflictBackoff caps the wait before deciding again after a lost race.
const maxConflictBackoff = 40 * time.Millisecond

// conflictBackoff is how long to wait after the n-th lost race (from 0): a
// random time up to a bound that doubles from 1 ms, so that writers who
// collided do not reload and collide again in lock step. Without it, a
// requester stream written by a dozen concurrent requests and job endings
// made some requests lose twenty races in a row.
func conflictBackoff(n int) time.Duration {
	bound := min(time.Millisecond<<min(n, 10), maxConflictBackoff)
	return rand.N(bound) + 1
}

// Retry runs decide until it does not fail with a concurrency conflict. Each
// run loads what it needs afresh, so a lost race is decided again on the
// winner's events, after a short random wait (conflictBackoff).
func (r Repository) Retry(ctx context.Context, what string, decide func() error) error {
	var err error
	for n := range maxConflictRetries {
		if err = decide(); !errors.Is(err, domain.ErrConcurrencyConflict) {
			return err
		}
		if n == maxConflictRetries-1 {
			break
		}
		t := time.NewTimer(conflictBackoff(n))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	return fmt.Errorf("%s: gave up after %d conflicts: %w", what, maxConflictRetries, err)
}
