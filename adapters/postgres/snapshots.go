package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
	"github.com/partnerforge/partnerforge/domain"
)

// ReadFromSnapshots reads each stream from its snapshot in the format
// asked for, all in one round trip (a pipelined batch), each by one
// statement: the snapshot only when the event it names is stored at its
// version (else nil, and the events from the stream's start), and up to
// limit events after it. The caller still checks each snapshot's digest and
// state (domain.LoadTargetFrom, LoadRequesterFrom).
func (s *EventStore) ReadFromSnapshots(ctx context.Context, limit int, reads ...domain.SnapshotRead) ([]domain.StreamTail, error) {
	params := make([]gen.ReadStreamFromSnapshotParams, len(reads))
	for i, r := range reads {
		params[i] = gen.ReadStreamFromSnapshotParams{StreamID: r.Stream, Format: r.Format, MaxEvents: int32(limit)}
	}
	out := make([]domain.StreamTail, len(reads))
	var first error
	gen.New(s.pool).ReadStreamFromSnapshot(ctx, params).Query(func(i int, rows []gen.ReadStreamFromSnapshotRow, err error) {
		if first != nil {
			return
		}
		if err == nil {
			out[i], err = streamTail(reads[i], rows)
		}
		if err != nil {
			first = fmt.Errorf("read stream %s from its snapshot: %w", reads[i].Stream, err)
		}
	})
	if first != nil {
		return nil, first
	}
	return out, nil
}

func streamTail(read domain.SnapshotRead, rows []gen.ReadStreamFromSnapshotRow) (domain.StreamTail, error) {
	if len(rows) == 0 {
		return domain.StreamTail{}, fmt.Errorf("no rows")
	}
	var tail domain.StreamTail
	if first := rows[0]; first.SnapshotVersion > 0 && first.SnapshotEventID != uuid.Nil {
		tail.Snapshot = &domain.Snapshot{
			Stream: read.Stream, Version: first.SnapshotVersion, EventID: first.SnapshotEventID,
			Format: read.Format, State: first.SnapshotState, Digest: first.SnapshotDigest,
		}
	}
	events := make([]gen.Event, 0, len(rows))
	for _, r := range rows {
		if r.Position == 0 {
			continue // the row of an empty tail
		}
		events = append(events, gen.Event{
			Position: r.Position, StreamID: r.StreamID, StreamVersion: r.StreamVersion, EventID: r.EventID,
			EventType: r.EventType, SchemaVersion: r.SchemaVersion, Data: r.Data, Metadata: r.Metadata,
			RecordedAt: r.RecordedAt,
		})
	}
	var err error
	tail.Events, err = toRecorded(events)
	return tail, err
}

// SaveSnapshot stores a snapshot unless the stream has a newer usable one
// in the same format.
func (s *EventStore) SaveSnapshot(ctx context.Context, snap domain.Snapshot) error {
	err := gen.New(s.pool).SaveSnapshot(ctx, gen.SaveSnapshotParams{
		StreamID: snap.Stream, StreamVersion: snap.Version, EventID: snap.EventID,
		Format: snap.Format, State: snap.State, Digest: snap.Digest,
	})
	if err != nil {
		return fmt.Errorf("save snapshot of %s at version %d: %w", snap.Stream, snap.Version, err)
	}
	return nil
}
