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

// SnapshotStore keeps snapshots of long streams' aggregates. A store that
// implements it next to EventStore lets the repository load a target or a
// requester from its snapshot and the events after it, in one round trip,
// instead of reading the whole stream. Snapshots are a cache: the
// repository checks each one (domain.LoadTargetFrom, LoadRequesterFrom) and
// folds the whole stream when it cannot use it, and decisions are saved with
// the expected version the events give, as always.
type SnapshotStore interface {
	// ReadFromSnapshots returns, for each read, the stream's snapshot in its
	// format if the event it names is stored at its version (else nil), and
	// up to limit events after it (after version 0 without one), each
	// stream read at one instant and all of them in one round trip.
	ReadFromSnapshots(ctx context.Context, limit int, reads ...domain.SnapshotRead) ([]domain.StreamTail, error)
	// SaveSnapshot stores a snapshot unless the stream has a newer usable
	// one in the same format.
	SaveSnapshot(ctx context.Context, s domain.Snapshot) error
}

// Clock returns the current time; tests pass a fixed one.
type Clock func() time.Time

// Repository is the one place commands load aggregates and save decisions:
// it reads every page of a stream, folds it, encodes decided events under
// deterministic ids, appends all streams of a decision at once with their
// expected versions, and retries a decision that lost a race.
type Repository struct {
	store EventStore
	// snaps is the store's SnapshotStore side, nil when it has none (a
	// store bound to a caller's transaction reads whole streams).
	snaps SnapshotStore
	page  int
	// snapshotAfter is how many events a load folds beyond the snapshot it
	// started from (or from the start) before it stores a new snapshot.
	snapshotAfter int
}

// NewRepository returns a repository over store; it loads targets and
// requesters from snapshots when store is also a SnapshotStore.
func NewRepository(store EventStore) Repository {
	if store == nil {
		panic("commands.NewRepository: nil store")
	}
	snaps, _ := store.(SnapshotStore)
	return Repository{store: store, snaps: snaps, page: defaultReadPage, snapshotAfter: DefaultSnapshotAfter}
}

const defaultReadPage = 1000

// DefaultSnapshotAfter: a load that folds this many events beyond its
// snapshot stores a new one. Writing it costs a round trip once per that
// many events; reading the events after a snapshot costs little per event,
// so the tail stays short without snapshotting on every load.
const DefaultSnapshotAfter = 32

// WithoutSnapshots returns the repository reading whole streams, as a store
// without snapshots does: the baseline the snapshot path is measured
// against, and the reference its tests compare with.
func (r Repository) WithoutSnapshots() Repository {
	r.snaps = nil
	return r
}

// Events reads a whole stream, page by page.
func (r Repository) Events(ctx context.Context, stream string) ([]domain.RecordedEvent, error) {
	return r.rest(ctx, stream, nil, 0)
}

// rest reads the pages of stream after version after and appends them to
// all.
func (r Repository) rest(ctx context.Context, stream string, all []domain.RecordedEvent, after int64) ([]domain.RecordedEvent, error) {
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
	tails, err := r.readTails(ctx, domain.SnapshotRead{Stream: domain.TargetStream(d), Format: domain.TargetSnapshotFormat})
	if err != nil {
		return nil, err
	}
	return foldSnapshotted(ctx, r, domain.TargetStream(d), tails[0], targetFold(d))
}

// TargetAndRequester loads a target and a requester — what opening a job
// needs — reading both streams in one round trip when the store keeps
// snapshots. Without snapshots the requester is nil: reading its whole
// stream before knowing that a job opens would cost more than the round
// trip saved; load it with Requester when the decision needs it.
func (r Repository) TargetAndRequester(ctx context.Context, d domain.Domain, who string) (*domain.Target, *domain.Requester, error) {
	if r.snaps == nil {
		t, err := r.Target(ctx, d)
		return t, nil, err
	}
	tails, err := r.readTails(ctx,
		domain.SnapshotRead{Stream: domain.TargetStream(d), Format: domain.TargetSnapshotFormat},
		domain.SnapshotRead{Stream: domain.RequesterStream(who), Format: domain.RequesterSnapshotFormat})
	if err != nil {
		return nil, nil, err
	}
	t, err := foldSnapshotted(ctx, r, domain.TargetStream(d), tails[0], targetFold(d))
	if err != nil {
		return nil, nil, err
	}
	q, err := foldSnapshotted(ctx, r, domain.RequesterStream(who), tails[1], requesterFold(who))
	if err != nil {
		return nil, nil, err
	}
	return t, q, nil
}

// Job loads an enrichment job.
func (r Repository) Job(ctx context.Context, id uuid.UUID) (*domain.Job, error) {
	evs, err := r.Events(ctx, domain.JobStream(id))
	if err != nil {
		return nil, err
	}
	return domain.LoadJob(evs)
}

// Requester loads a requester's jobs in flight and today's count.
func (r Repository) Requester(ctx context.Context, who string) (*domain.Requester, error) {
	tails, err := r.readTails(ctx, domain.SnapshotRead{Stream: domain.RequesterStream(who), Format: domain.RequesterSnapshotFormat})
	if err != nil {
		return nil, err
	}
	return foldSnapshotted(ctx, r, domain.RequesterStream(who), tails[0], requesterFold(who))
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
