package domain

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// EventFilter selects the events an export reads. A zero field matches every
// event; the fields combine with AND.
type EventFilter struct {
	Stream string // exact stream id
	Type   string // exact event type
	After  int64  // only events with a greater position
	Since  time.Time
	Until  time.Time // recorded strictly before; Since is inclusive
}

// FilterError names the filter field that was given a value it cannot take,
// in the words both the command line (--since) and the query string (since)
// use.
type FilterError struct {
	Field  string
	Value  string
	Reason string
}

func (e *FilterError) Error() string {
	return fmt.Sprintf("%s %q: %s", e.Field, e.Value, e.Reason)
}

// EventFilterInput is a filter as a person typed it: every field optional.
type EventFilterInput struct {
	Stream, Type, After, Since, Until string
}

// ParseEventFilter checks a typed filter. Times are RFC 3339
// (2026-03-03T00:00:00Z); a time without a zone is refused rather than read
// in some local zone.
func ParseEventFilter(in EventFilterInput) (EventFilter, error) {
	f := EventFilter{Stream: strings.TrimSpace(in.Stream), Type: strings.TrimSpace(in.Type)}
	if s := strings.TrimSpace(in.After); s != "" {
		after, err := strconv.ParseInt(s, 10, 64)
		if err != nil || after < 0 {
			return EventFilter{}, &FilterError{Field: "after", Value: in.After, Reason: "want a position: a whole number, 0 or more"}
		}
		f.After = after
	}
	var err error
	if f.Since, err = parseFilterTime("since", in.Since); err != nil {
		return EventFilter{}, err
	}
	if f.Until, err = parseFilterTime("until", in.Until); err != nil {
		return EventFilter{}, err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return EventFilter{}, &FilterError{Field: "until", Value: in.Until, Reason: "must be later than since"}
	}
	return f, nil
}

func parseFilterTime(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &FilterError{Field: field, Value: s, Reason: "want a time in RFC3339 format, e.g. 2026-03-03T09:00:00Z"}
	}
	return t, nil
}

// ExportedEvent is one line of an event export: every stored field. Data is
// the payload exactly as stored, at SchemaVersion, so an export is a
// faithful copy of the log; when that version is older than the type's
// current one, CurrentData holds the payload brought up to
// CurrentSchemaVersion by the same upcasters replay uses, so a reader of the
// export never needs to know old shapes.
type ExportedEvent struct {
	Position             int64           `json:"position"`
	StreamID             string          `json:"stream_id"`
	StreamVersion        int64           `json:"stream_version"`
	EventID              uuid.UUID       `json:"event_id"`
	Type                 string          `json:"type"`
	SchemaVersion        int             `json:"schema_version"`
	Data                 json.RawMessage `json:"data"`
	CurrentSchemaVersion int             `json:"current_schema_version"`
	CurrentData          json.RawMessage `json:"current_data,omitempty"`
	Metadata             Metadata        `json:"metadata"`
	RecordedAt           time.Time       `json:"recorded_at"`
}

// NewExportedEvent returns the export line of a stored event.
func NewExportedEvent(re RecordedEvent) (ExportedEvent, error) {
	out := ExportedEvent{
		Position: re.Position, StreamID: re.StreamID, StreamVersion: re.StreamVersion,
		EventID: re.ID, Type: re.Type, SchemaVersion: max(re.SchemaVersion, 1),
		Data: re.Data, CurrentSchemaVersion: SchemaVersion(re.Type),
		Metadata: re.Metadata, RecordedAt: re.RecordedAt.UTC(),
	}
	if out.SchemaVersion < out.CurrentSchemaVersion {
		current, err := Upcast(re)
		if err != nil {
			return ExportedEvent{}, fmt.Errorf("export event %s at position %d: %w", re.ID, re.Position, err)
		}
		out.CurrentData = current
	}
	return out, nil
}

// ExportEncoder writes events as NDJSON: one JSON object per line.
type ExportEncoder struct {
	enc *json.Encoder
}

// NewExportEncoder writes to w; the caller buffers and flushes w.
func NewExportEncoder(w io.Writer) *ExportEncoder {
	enc := json.NewEncoder(w)
	// Payloads hold URLs and company names: keep them readable.
	enc.SetEscapeHTML(false)
	return &ExportEncoder{enc: enc}
}

// Encode writes one event as one line.
func (e *ExportEncoder) Encode(re RecordedEvent) error {
	line, err := NewExportedEvent(re)
	if err != nil {
		return err
	}
	if err := e.enc.Encode(line); err != nil {
		return fmt.Errorf("write event %s: %w", re.ID, err)
	}
	return nil
}
