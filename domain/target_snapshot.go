package domain

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// TargetSnapshotFormat is the format of target snapshots; bump the shape
// number whenever targetState or the target's fold changes.
var TargetSnapshotFormat = SnapshotFormat("target", 1)

// targetState is a target's snapshot state: every field the fold keeps.
type targetState struct {
	Profile        *TargetProfile             `json:"profile"`
	ProfileEvent   uuid.UUID                  `json:"profile_event"`
	ProfileAt      time.Time                  `json:"profile_at"`
	BatchID        uuid.UUID                  `json:"batch_id"`
	Imported       *TargetImported            `json:"imported"`
	Withdrawn      bool                       `json:"withdrawn"`
	Added          bool                       `json:"added"`
	EnrichedBefore bool                       `json:"enriched_before"`
	Active         *EnrichmentJobOpened       `json:"active"`
	Known          map[InputGroup]InputSource `json:"known"`
	Settled        map[Provider]InputSource   `json:"settled"`
	// LastScore keeps the stored score's bytes as they are (base64), so a
	// score that is JSON null stays one.
	LastScore []byte `json:"last_score"`
}

// LoadTargetFrom folds the events of d's stream after a snapshot onto the
// snapshot's state. A snapshot of another stream or format, altered since it
// was sealed, or not followed by its next version, is refused with
// ErrSnapshotUnusable: the caller then folds the whole stream.
func LoadTargetFrom(d Domain, snap Snapshot, tail []RecordedEvent) (*Target, error) {
	if err := snap.check(TargetStream(d), TargetSnapshotFormat); err != nil {
		return nil, err
	}
	if err := followsSnapshot(snap, tail); err != nil {
		return nil, err
	}
	var st targetState
	if err := json.Unmarshal(snap.State, &st); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrSnapshotUnusable, snap.Stream, err)
	}
	t := &Target{
		domain: d, profile: st.Profile, profileEvent: st.ProfileEvent, profileAt: st.ProfileAt, batchID: st.BatchID,
		imported: st.Imported, withdrawn: st.Withdrawn, added: st.Added, enrichedBefore: st.EnrichedBefore,
		active: st.Active, known: st.Known, settled: st.Settled, lastScore: st.LastScore,
		version: snap.Version, last: snap.EventID,
	}
	if t.known == nil {
		t.known = map[InputGroup]InputSource{}
	}
	if t.settled == nil {
		t.settled = map[Provider]InputSource{}
	}
	return t, t.fold(tail)
}

// Snapshot is the target's state as a sealed snapshot of its stream.
func (t *Target) Snapshot() (Snapshot, error) {
	stream := TargetStream(t.domain)
	state, err := json.Marshal(targetState{
		Profile: t.profile, ProfileEvent: t.profileEvent, ProfileAt: t.profileAt, BatchID: t.batchID,
		Imported: t.imported, Withdrawn: t.withdrawn, Added: t.added, EnrichedBefore: t.enrichedBefore,
		Active: t.active, Known: t.known, Settled: t.settled, LastScore: t.lastScore,
	})
	if err != nil {
		return Snapshot{}, fmt.Errorf("snapshot %s: %w", stream, err)
	}
	s := Snapshot{Stream: stream, Version: t.version, EventID: t.last, Format: TargetSnapshotFormat, State: state}
	s.Seal()
	return s, nil
}
