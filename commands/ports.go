package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

// EventStore is what commands need of the event log. Both the pool-backed
// store and a store bound to a subscriber's transaction implement it.
type EventStore interface {
	ReadStream(ctx context.Context, stream string, afterVersion int64, limit int) ([]domain.RecordedEvent, error)
	AppendStreams(ctx context.Context, parts ...domain.StreamAppend) ([]domain.AppendResult, error)
}

// Clock returns the current time; tests pass a fixed one.
type Clock func() time.Time

const readPage = 1000

// readStream reads a whole stream.
func readStream(ctx context.Context, store EventStore, stream string) ([]domain.RecordedEvent, error) {
	var (
		all   []domain.RecordedEvent
		after int64
	)
	for {
		page, err := store.ReadStream(ctx, stream, after, readPage)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < readPage {
			return all, nil
		}
		after = page[len(page)-1].StreamVersion
	}
}

func loadTarget(ctx context.Context, store EventStore, d domain.Domain) (*domain.Target, error) {
	evs, err := readStream(ctx, store, domain.TargetStream(d))
	if err != nil {
		return nil, err
	}
	return domain.LoadTarget(d, evs)
}

func loadJob(ctx context.Context, store EventStore, id uuid.UUID) (*domain.Job, error) {
	evs, err := readStream(ctx, store, domain.JobStream(id))
	if err != nil {
		return nil, err
	}
	return domain.LoadJob(evs)
}

func loadRequester(ctx context.Context, store EventStore, who string) (*domain.Requester, error) {
	evs, err := readStream(ctx, store, domain.RequesterStream(who))
	if err != nil {
		return nil, err
	}
	return domain.LoadRequester(evs)
}

// encodeAll encodes events under ids derived from key plus each event's type,
// so that deciding the same thing twice appends nothing new.
func encodeAll(key string, meta domain.Metadata, events ...domain.Event) ([]domain.EventData, error) {
	out := make([]domain.EventData, len(events))
	for i, e := range events {
		var err error
		if out[i], err = domain.EncodeWithID(domain.EventID(key, e.EventType()), e, meta); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// maxConflictRetries bounds how often a command reloads and decides again
// after losing a race to a concurrent writer.
const maxConflictRetries = 20

// retryOnConflict runs fn until it does not fail with a concurrency
// conflict.
func retryOnConflict(ctx context.Context, what string, fn func() error) error {
	var err error
	for range maxConflictRetries {
		if err = fn(); !errors.Is(err, domain.ErrConcurrencyConflict) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return fmt.Errorf("%s: gave up after %d conflicts: %w", what, maxConflictRetries, err)
}
