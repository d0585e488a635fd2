package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Snapshot is an aggregate's state folded up to a version of its stream. It
// is a cache that saves reading the stream's head, never a source of truth:
// a load that finds no snapshot, or one it cannot trust, folds the whole
// stream and decides exactly the same, and every append is still guarded by
// the expected version the stream's events give.
type Snapshot struct {
	Stream string
	// Version is the stream version the state was folded up to; EventID is
	// the id of the event stored there. A reader trusts the snapshot only
	// when that very event is stored at that version.
	Version int64
	EventID uuid.UUID
	// Format is the aggregate's snapshot format when it was taken (see
	// SnapshotFormat): a build that folds differently ignores it.
	Format string
	State  json.RawMessage
	// Digest is Seal's SHA-256 over everything above.
	Digest []byte
}

// ErrSnapshotUnusable says a snapshot cannot stand in for its stream's
// head; the caller folds the whole stream instead.
var ErrSnapshotUnusable = errors.New("snapshot unusable")

// Seal sets the digest over the snapshot's fields.
func (s *Snapshot) Seal() { s.Digest = s.digest() }

func (s Snapshot) digest() []byte {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(s.Stream), binary.BigEndian.AppendUint64(nil, uint64(s.Version)), s.EventID[:], []byte(s.Format), s.State} {
		// Each part's length first, so no two field lists hash alike.
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(part))))
		h.Write(part)
	}
	return h.Sum(nil)
}

// check refuses a snapshot that is not of stream in format, or whose
// contents changed after Seal.
func (s Snapshot) check(stream, format string) error {
	switch {
	case s.Stream != stream:
		return fmt.Errorf("%w: taken of %s, not %s", ErrSnapshotUnusable, s.Stream, stream)
	case s.Format != format:
		return fmt.Errorf("%w: format %q, not %q", ErrSnapshotUnusable, s.Format, format)
	case s.Version < 1 || s.EventID == uuid.Nil:
		return fmt.Errorf("%w: no version", ErrSnapshotUnusable)
	case !bytes.Equal(s.Digest, s.digest()):
		return fmt.Errorf("%w: digest does not match", ErrSnapshotUnusable)
	}
	return nil
}

// followsSnapshot refuses a tail that does not start right after the
// snapshot's version: the fold would skip events.
func followsSnapshot(s Snapshot, tail []RecordedEvent) error {
	if len(tail) > 0 && tail[0].StreamVersion != s.Version+1 {
		return fmt.Errorf("%w: stream %s tail starts at version %d, snapshot is at %d", ErrSnapshotUnusable, s.Stream, tail[0].StreamVersion, s.Version)
	}
	return nil
}

// SnapshotFormat names an aggregate's snapshot shape together with the
// schema version of every event type, so that a snapshot folded before an
// upcaster was added (when old payloads read differently) is never used by
// a build that reads them through it: the format differs, and the stream is
// folded afresh.
func SnapshotFormat(aggregate string, shape int) string {
	types := slices.Sorted(maps.Keys(upcasters))
	var b strings.Builder
	b.WriteString(aggregate + "/" + strconv.Itoa(shape))
	for _, t := range types {
		b.WriteString(";" + t + "=" + strconv.Itoa(SchemaVersion(t)))
	}
	return b.String()
}

// SnapshotRead asks for a stream from its snapshot in a format.
type SnapshotRead struct {
	Stream, Format string
}

// StreamTail is a stream as read from its snapshot: the snapshot, when the
// event it names is stored at its version (else nil), and the events after
// it (from the stream's start without one).
type StreamTail struct {
	Snapshot *Snapshot
	Events   []RecordedEvent
}
