package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// ErrConcurrencyConflict is returned (wrapped) when an append names an
// expected stream version that is not the stream's current version. Callers
// reload the stream, decide again and retry.
var ErrConcurrencyConflict = errors.New("concurrency conflict")

// ErrDuplicateEvent is returned (wrapped) when some, but not all, of the
// events in one append were already stored, or an event id is already stored
// in another stream. Re-appending a whole batch that is already stored is not
// an error: it is a no-op.
var ErrDuplicateEvent = errors.New("event id already stored")

// ExpectedVersion is the optimistic-concurrency guard of an append: the
// version the caller believes the stream has. Stream versions count events,
// so the first event of a stream has version 1.
type ExpectedVersion int64

const (
	// AnyVersion appends whatever the stream's version is.
	AnyVersion ExpectedVersion = -1
	// NoStream requires that the stream has no events yet.
	NoStream ExpectedVersion = 0
)

// ExactVersion requires the stream to be at version v (v ≥ 1; 0 is NoStream).
func ExactVersion(v int64) ExpectedVersion { return ExpectedVersion(v) }

func (e ExpectedVersion) String() string {
	switch {
	case e == AnyVersion:
		return "any"
	case e == NoStream:
		return "no stream"
	default:
		return fmt.Sprintf("version %d", int64(e))
	}
}

// Metadata travels with every event. It answers the auditor's "who, why and
// in response to what": the correlation id ties every event of one user
// request together, the causation id names the event or command that caused
// this one.
type Metadata struct {
	CorrelationID string `json:"correlation_id,omitempty"`
	CausationID   string `json:"causation_id,omitempty"`
	Actor         string `json:"actor,omitempty"`
	RequestID     string `json:"request_id,omitempty"`
}

// EventData is an event ready to be stored: its payload already encoded.
type EventData struct {
	ID            uuid.UUID
	Type          string
	SchemaVersion int
	Data          json.RawMessage
	Metadata      Metadata
}

// RecordedEvent is an event as the store holds it.
type RecordedEvent struct {
	// Position orders the whole log: a reader following positions sees events
	// in the order their transactions became visible. Positions are unique and
	// increasing but not dense.
	Position      int64
	StreamID      string
	StreamVersion int64
	EventData
	RecordedAt time.Time
}

// AppendResult tells the caller where its events landed.
type AppendResult struct {
	// FirstPosition and LastPosition bound the appended events' positions.
	FirstPosition, LastPosition int64
	// NextExpectedVersion is the stream's version after the append.
	NextExpectedVersion int64
	// Duplicate is true when every event was already stored and nothing was
	// appended.
	Duplicate bool
}

// StreamAppend is one stream's part of a multi-stream append: all parts
// commit together or none does.
type StreamAppend struct {
	Stream   string
	Expected ExpectedVersion
	Events   []EventData
}

// ConcurrencyError says which version the stream really had. It matches
// ErrConcurrencyConflict with errors.Is. Every event store returns it.
type ConcurrencyError struct {
	Stream   string
	Expected ExpectedVersion
	Actual   int64
}

func (e *ConcurrencyError) Error() string {
	return fmt.Sprintf("append to %s: expected %s, stream is at version %d: %v", e.Stream, e.Expected, e.Actual, ErrConcurrencyConflict)
}

// Unwrap lets errors.Is(err, ErrConcurrencyConflict) match.
func (e *ConcurrencyError) Unwrap() error { return ErrConcurrencyConflict }

// MaxAppendEvents bounds the events of one append, across its parts; larger
// imports append in several calls.
const MaxAppendEvents = 10_000

// ValidateAppend checks what every event store refuses before it looks at
// the log: no parts, an empty stream id, an invalid expected version, a part
// without events, an event without id or type or with invalid JSON, one id
// twice, more than MaxAppendEvents events.
func ValidateAppend(parts []StreamAppend) error {
	if len(parts) == 0 {
		return errors.New("append: nothing to append")
	}
	total := 0
	seen := map[uuid.UUID]struct{}{}
	for _, p := range parts {
		switch {
		case p.Stream == "":
			return errors.New("append: empty stream id")
		case p.Expected < AnyVersion:
			return fmt.Errorf("append to %s: invalid expected version %d", p.Stream, int64(p.Expected))
		case len(p.Events) == 0:
			return fmt.Errorf("append to %s: no events", p.Stream)
		}
		for i, e := range p.Events {
			if e.ID == uuid.Nil {
				return fmt.Errorf("append to %s: event %d (%s) has no id", p.Stream, i, e.Type)
			}
			if e.Type == "" {
				return fmt.Errorf("append to %s: event %d has no type", p.Stream, i)
			}
			if !json.Valid(e.Data) {
				return fmt.Errorf("append to %s: event %d (%s) data is not valid JSON", p.Stream, i, e.Type)
			}
			if _, dup := seen[e.ID]; dup {
				return fmt.Errorf("append to %s: event id %s appears twice in one append: %w", p.Stream, e.ID, ErrDuplicateEvent)
			}
			seen[e.ID] = struct{}{}
		}
		total += len(p.Events)
	}
	if total > MaxAppendEvents {
		return fmt.Errorf("append: %d events exceed the limit of %d per append", total, MaxAppendEvents)
	}
	return nil
}
