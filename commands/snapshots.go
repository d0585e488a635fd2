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

func targetFold(d domain.Domain) snapshotFold[*domain.Target] {
	return snapshotFold[*domain.Target]{
		full: func(evs []domain.RecordedEvent) (*domain.Target, error) { return domain.LoadTarget(d, evs) },
		from: func(s domain.Snapshot, tail []domain.RecordedEvent) (*domain.Target, error) {
			return domain.LoadTargetFrom(d, s, tail)
		},
		snapshot: func(t *domain.Target) (domain.Snapshot, error) { return t.Snapshot() },
	}
}

func requesterFold(who string) snapshotFold[*domain.Requester] {
	stream := domain.RequesterStream(who)
	return snapshotFold[*domain.Requester]{
		full: domain.LoadRequester,
		from: func(s domain.Snapshot, tail []domain.RecordedEvent) (*domain.Requester, error) {
			return domain.LoadRequesterFrom(stream, s, tail)
		},
		snapshot: func(q *domain.Requester) (domain.Snapshot, error) { return q.Snapshot(stream) },
	}
}

// readTails reads the streams from their snapshots in one round trip, or,
// when the store keeps no snapshots, each whole stream in turn (with no
// snapshot).
func (r Repository) readTails(ctx context.Context, reads ...domain.SnapshotRead) ([]domain.StreamTail, error) {
	if r.snaps == nil {
		out := make([]domain.StreamTail, len(reads))
		for i, rd := range reads {
			evs, err := r.Events(ctx, rd.Stream)
			if err != nil {
				return nil, err
			}
			out[i].Events = evs
		}
		return out, nil
	}
	tails, err := r.snaps.ReadFromSnapshots(ctx, r.page, reads...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", reads[0].Stream, err)
	}
	for i, t := range tails {
		if n := len(t.Events); n == r.page {
			if tails[i].Events, err = r.rest(ctx, reads[i].Stream, t.Events, t.Events[n-1].StreamVersion); err != nil {
				return nil, err
			}
		}
	}
	return tails, nil
}

// foldSnapshotted folds an aggregate from its snapshot and the events after
// it, or from the whole stream when there is no snapshot or it cannot be
// used (domain.ErrSnapshotUnusable: altered, of another stream or format,
// or not followed by its next version) — then the stream is read again
// whole. A snapshot only ever saves reading events: the aggregate is the
// same either way. A load that folded at least snapshotAfter events stores
// a new snapshot; failing to store one is not the command's failure.
func foldSnapshotted[A interface{ Version() int64 }](ctx context.Context, r Repository, stream string, t domain.StreamTail, f snapshotFold[A]) (A, error) {
	var (
		zero A
		agg  A
		err  error
	)
	snap, tail := t.Snapshot, t.Events
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
	if r.snaps != nil && len(tail) >= r.snapshotAfter && agg.Version() > 0 {
		if s, err := f.snapshot(agg); err == nil {
			// A cache write: a failure leaves the old snapshot (or none),
			// which only makes the next load read more events.
			_ = r.snaps.SaveSnapshot(ctx, s)
		}
	}
	return agg, nil
}
