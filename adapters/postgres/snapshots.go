package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
	"github.com/partnerforge/partnerforge/domain"
)

// ReadFromSnapshot returns stream's snapshot in format and up to limit
// events after it, in one statement: the snapshot only when the event it
// names is stored at its version (else nil, and the events from the
// stream's start). The caller still checks the snapshot's digest and
// state (domain.LoadTargetFrom, LoadRequesterFrom).
func (s *EventStore) ReadFromSnapshot(ctx context.Context, stream, format string, limit int) (*domain.Snapshot, []domain.RecordedEvent, error) {
	rows, err := gen.New(s.pool).ReadStreamFromSnapshot(ctx, gen.ReadStreamFromSnapshotParams{
		StreamID: stream, Format: format, MaxEvents: int32(limit),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read stream %s from its snapshot: %w", stream, err)
	}
	if len(rows) == 0 {
		return nil, nil, fmt.Errorf("read stream %s from its snapshot: no rows", stream)
	}
	var snap *domain.Snapshot
	if first := rows[0]; first.SnapshotVersion > 0 && first.SnapshotEventID != uuid.Nil {
		snap = &domain.Snapshot{
			Stream: stream, Version: first.SnapshotVersion, EventID: first.SnapshotEventID,
			Format: format, State: first.SnapshotState, Digest: first.SnapshotDigest,
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
	tail, err := toRecorded(events)
	if err != nil {
		return nil, nil, fmt.Errorf("read stream %s from its snapshot: %w", stream, err)
	}
	return snap, tail, nil
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
