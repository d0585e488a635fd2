// Package memstore is an event store in memory with the PostgreSQL store's
// contract: multi-stream atomic appends with expected versions, idempotent
// re-appends by event id, and reads by stream and by position. Decision
// tests of commands run on it in milliseconds, without a database.
package memstore

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

// Store keeps every event in memory. The zero value is not usable; call New.
type Store struct {
	mu       sync.Mutex
	now      func() time.Time
	log      []domain.RecordedEvent
	streams  map[string][]int // stream → indexes into log
	byID     map[uuid.UUID]int
	position int64
	snaps    map[string]domain.Snapshot
}

// New returns an empty store whose events are recorded at now().
func New(now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{now: now, streams: map[string][]int{}, byID: map[uuid.UUID]int{}, snaps: map[string]domain.Snapshot{}}
}

// Append appends events to one stream.
func (s *Store) Append(ctx context.Context, stream string, expected domain.ExpectedVersion, events ...domain.EventData) (domain.AppendResult, error) {
	res, err := s.AppendStreams(ctx, domain.StreamAppend{Stream: stream, Expected: expected, Events: events})
	if err != nil {
		return domain.AppendResult{}, err
	}
	return res[0], nil
}

// AppendStreams appends to several streams at once: all parts are stored or
// none is. A repeat of an append whose events are all stored, each in its
// stream, is a no-op reported with Duplicate; a partial overlap is
// domain.ErrDuplicateEvent; a version mismatch is a *ConcurrencyError.
func (s *Store) AppendStreams(ctx context.Context, parts ...domain.StreamAppend) ([]domain.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := domain.ValidateAppend(parts); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	stored := 0
	total := 0
	for _, p := range parts {
		for _, e := range p.Events {
			total++
			if i, ok := s.byID[e.ID]; ok {
				if s.log[i].StreamID != p.Stream {
					return nil, fmt.Errorf("append to %s: event %s is stored in stream %s: %w", p.Stream, e.ID, s.log[i].StreamID, domain.ErrDuplicateEvent)
				}
				stored++
			}
		}
	}
	if stored > 0 {
		if stored != total {
			return nil, fmt.Errorf("append: %d of %d events already stored: %w", stored, total, domain.ErrDuplicateEvent)
		}
		return s.duplicates(parts), nil
	}
	for _, p := range parts {
		actual := int64(len(s.streams[p.Stream]))
		if p.Expected != domain.AnyVersion && int64(p.Expected) != actual {
			return nil, &domain.ConcurrencyError{Stream: p.Stream, Expected: p.Expected, Actual: actual}
		}
	}
	now := s.now().UTC()
	res := make([]domain.AppendResult, len(parts))
	for i, p := range parts {
		for j, e := range p.Events {
			s.position++
			version := int64(len(s.streams[p.Stream])) + 1
			s.log = append(s.log, domain.RecordedEvent{
				Position: s.position, StreamID: p.Stream, StreamVersion: version, EventData: e, RecordedAt: now,
			})
			idx := len(s.log) - 1
			s.streams[p.Stream] = append(s.streams[p.Stream], idx)
			s.byID[e.ID] = idx
			if j == 0 {
				res[i].FirstPosition = s.position
			}
			res[i].LastPosition, res[i].NextExpectedVersion = s.position, version
		}
	}
	return res, nil
}

func (s *Store) duplicates(parts []domain.StreamAppend) []domain.AppendResult {
	res := make([]domain.AppendResult, len(parts))
	for i, p := range parts {
		first, last := s.log[s.byID[p.Events[0].ID]], s.log[s.byID[p.Events[len(p.Events)-1].ID]]
		res[i] = domain.AppendResult{FirstPosition: first.Position, LastPosition: last.Position, NextExpectedVersion: last.StreamVersion, Duplicate: true}
	}
	return res
}

// ReadStream returns up to limit events of stream after afterVersion.
func (s *Store) ReadStream(ctx context.Context, stream string, afterVersion int64, limit int) ([]domain.RecordedEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readStream(stream, afterVersion, limit), nil
}

// ReadFromSnapshots returns each stream's snapshot in the format asked
// for, if the event it names is stored at its version, and up to limit
// events after it: the PostgreSQL store's contract
// (adapters/eventstoretest).
func (s *Store) ReadFromSnapshots(ctx context.Context, limit int, reads ...domain.SnapshotRead) ([]domain.StreamTail, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]domain.StreamTail, len(reads))
	for i, r := range reads {
		snap, ok := s.snaps[r.Stream]
		if !ok || snap.Format != r.Format || !s.storedAt(r.Stream, snap.Version, snap.EventID) {
			out[i].Events = s.readStream(r.Stream, 0, limit)
			continue
		}
		out[i] = domain.StreamTail{Snapshot: &snap, Events: s.readStream(r.Stream, snap.Version, limit)}
	}
	return out, nil
}

// SaveSnapshot stores a snapshot unless a usable one of a later version in
// the same format is stored.
func (s *Store) SaveSnapshot(ctx context.Context, snap domain.Snapshot) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.snaps[snap.Stream]
	if ok && old.Format == snap.Format && s.storedAt(old.Stream, old.Version, old.EventID) &&
		(old.Version > snap.Version || old.Version == snap.Version && bytes.Equal(old.Digest, snap.Digest)) {
		return nil
	}
	snap.State, snap.Digest = bytes.Clone(snap.State), bytes.Clone(snap.Digest)
	s.snaps[snap.Stream] = snap
	return nil
}

// PutSnapshot stores a snapshot as given, whatever is stored: tests use it
// to plant a damaged one.
func (s *Store) PutSnapshot(snap domain.Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snaps[snap.Stream] = snap
}

func (s *Store) storedAt(stream string, version int64, id uuid.UUID) bool {
	idx := s.streams[stream]
	return version >= 1 && version <= int64(len(idx)) && s.log[idx[version-1]].ID == id
}

func (s *Store) readStream(stream string, afterVersion int64, limit int) []domain.RecordedEvent {
	idx := s.streams[stream]
	var out []domain.RecordedEvent
	for _, i := range idx[min(int(max(afterVersion, 0)), len(idx)):] {
		if len(out) == limit {
			break
		}
		out = append(out, s.log[i])
	}
	return out
}

// ReadAll returns up to limit events of the whole log after afterPosition.
func (s *Store) ReadAll(ctx context.Context, afterPosition int64, limit int) ([]domain.RecordedEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.RecordedEvent
	for _, e := range s.log {
		if e.Position > afterPosition && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}
