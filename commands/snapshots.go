package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/partnerforge/partnerforge/domain"
)

// snapshotFold is how one aggregate is folded: from the whole stream, from
// a snapshot and the events after it, and back into a snapshot.
type snapshotFold[A interface{ Version() int64 }] struct {
	full     func([]domain.RecordedEvent) (A, error)
	from     func(domain.Snapshot, []domain.RecordedEvent) (A, error)
	snapshot func(A) (domain.Snapshot, error)
}

// loadSnapshotted loads an aggregate from its snapshot and the events after
// it, read in one round trip, or from the whole stream when the store keeps
// no snapshots or the snapshot cannot be used (domain.ErrSnapshotUnusable:
// altered, of an older format, or not followed by its next version). A
// snapshot only ever saves reading events: the aggregate is the same either
// way. A load that folded at least snapshotAfter events stores a new
// snapshot; failing to store one is not the command's failure.
func loadSnapshotted[A interface{ Version() int64 }](ctx context.Context, r Repository, stream, format string, f snapshotFold[A]) (A, error) {
	var zero A
	if r.snaps == nil {
		evs, err := r.Events(ctx, stream)
		if err != nil {
			return zero, err
		}
		return f.full(evs)
	}
	snap, tail, err := r.snaps.ReadFromSnapshot(ctx, stream, format, r.page)
	if err != nil {
		return zero, fmt.Errorf("read %s: %w", stream, err)
	}
	if len(tail) == r.page {
		if tail, err = r.rest(ctx, stream, tail, tail[len(tail)-1].StreamVersion); err != nil {
			return zero, err
		}
	}
	var agg A
	if snap != nil {
		agg, err = f.from(*snap, tail)
		if errors.Is(err, domain.ErrSnapshotUnusable) {
			// Fold the whole stream instead; the snapshot is replaced below.
			snap = nil
			if tail, err = r.Events(ctx, stream); err != nil {
				return zero, err
			}
		} else if err != nil {
			return zero, err
		}
	}
	if snap == nil {
		if agg, err = f.full(tail); err != nil {
			return zero, err
		}
	}
	if len(tail) >= r.snapshotAfter && agg.Version() > 0 {
		if s, err := f.snapshot(agg); err == nil {
			// A cache write: a failure leaves the old snapshot (or none),
			// which only makes the next load read more events.
			_ = r.snaps.SaveSnapshot(ctx, s)
		}
	}
	return agg, nil
}
