package domain_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

func TestParseEventFilter(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		in        domain.EventFilterInput
		want      domain.EventFilter
		wantField string // the field a FilterError names; "" for success
		wantText  string
	}{
		{name: "nothing", in: domain.EventFilterInput{}, want: domain.EventFilter{}},
		{name: "every field", in: domain.EventFilterInput{Stream: " target-a.com ", Type: "ScoreComputed", After: "42",
			Since: "2026-03-03T09:00:00Z", Until: "2026-03-03T11:00:00+01:00"},
			want: domain.EventFilter{Stream: "target-a.com", Type: "ScoreComputed", After: 42, Since: since, Until: since.Add(time.Hour)}},
		{name: "until equal to since", in: domain.EventFilterInput{Since: "2026-03-03T09:00:00Z", Until: "2026-03-03T10:00:00+01:00"},
			wantField: "until", wantText: "later than since"},
		{name: "zone offsets", in: domain.EventFilterInput{Since: "2026-03-03T10:00:00+01:00"}, want: domain.EventFilter{Since: since}},
		{name: "fractional seconds", in: domain.EventFilterInput{Until: "2026-03-03T09:00:00.5Z"}, want: domain.EventFilter{Until: since.Add(500 * time.Millisecond)}},
		{name: "negative position", in: domain.EventFilterInput{After: "-1"}, wantField: "after", wantText: "whole number"},
		{name: "position not a number", in: domain.EventFilterInput{After: "ten"}, wantField: "after", wantText: "whole number"},
		{name: "date only", in: domain.EventFilterInput{Since: "2026-03-03"}, wantField: "since", wantText: "RFC3339"},
		{name: "no zone", in: domain.EventFilterInput{Until: "2026-03-03T09:00:00"}, wantField: "until", wantText: "RFC3339"},
		{name: "until before since", in: domain.EventFilterInput{Since: "2026-03-03T09:00:00Z", Until: "2026-03-02T09:00:00Z"}, wantField: "until", wantText: "later than since"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ParseEventFilter(tt.in)
			if tt.wantField != "" {
				var fe *domain.FilterError
				if !errors.As(err, &fe) || fe.Field != tt.wantField || !strings.Contains(err.Error(), tt.wantText) {
					t.Fatalf("error %v, want a FilterError on %s saying %q", err, tt.wantField, tt.wantText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Stream != tt.want.Stream || got.Type != tt.want.Type || got.After != tt.want.After ||
				!got.Since.Equal(tt.want.Since) || !got.Until.Equal(tt.want.Until) {
				t.Fatalf("filter %+v, want %+v", got, tt.want)
			}
		})
	}
}

// An export line keeps the payload as stored and, for an event stored at an
// older schema version, adds it as replay reads it today.
func TestExportedEventLines(t *testing.T) {
	t.Parallel()
	v1, err := os.ReadFile("testdata/events/ScoreComputed.v1.json")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 3, 9, 30, 0, 0, time.FixedZone("CET", 3600))
	base := domain.RecordedEvent{
		Position: 7 << 20, StreamID: "target-a.com", StreamVersion: 3, RecordedAt: at,
		EventData: domain.EventData{ID: uuid.New(), Metadata: domain.Metadata{Actor: "cli", CorrelationID: "c-1"}},
	}
	old := base
	old.Type, old.SchemaVersion, old.Data = domain.TypeScoreComputed, 1, v1
	current := base
	current.Type, current.SchemaVersion, current.Data = domain.TypeTargetAdded, 1, json.RawMessage(`{"domain":"a.com"}`)

	tests := []struct {
		name        string
		re          domain.RecordedEvent
		wantCurrent bool
	}{
		{"stored at an old version", old, true},
		{"stored at the current version", current, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := domain.NewExportEncoder(&buf).Encode(tt.re); err != nil {
				t.Fatal(err)
			}
			if bytes.Count(buf.Bytes(), []byte("\n")) != 1 || !bytes.HasSuffix(buf.Bytes(), []byte("\n")) {
				t.Fatalf("want exactly one line, got %q", buf.String())
			}
			var line map[string]json.RawMessage
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatal(err)
			}
			for _, field := range []string{"position", "stream_id", "stream_version", "event_id", "type",
				"schema_version", "data", "current_schema_version", "metadata", "recorded_at"} {
				if _, ok := line[field]; !ok {
					t.Errorf("field %s missing from %s", field, buf.String())
				}
			}
			var got domain.ExportedEvent
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Position != tt.re.Position || got.EventID != tt.re.ID || got.StreamVersion != 3 ||
				got.Metadata != tt.re.Metadata || !got.RecordedAt.Equal(at) || got.RecordedAt.Location() != time.UTC {
				t.Errorf("line %+v does not carry the stored fields of %+v", got, tt.re)
			}
			if !jsonEqual(t, got.Data, tt.re.Data) {
				t.Errorf("data %s, want as stored %s", got.Data, tt.re.Data)
			}
			if got.CurrentSchemaVersion != domain.SchemaVersion(tt.re.Type) {
				t.Errorf("current_schema_version %d, want %d", got.CurrentSchemaVersion, domain.SchemaVersion(tt.re.Type))
			}
			if !tt.wantCurrent {
				if got.CurrentData != nil {
					t.Errorf("current_data %s on an event already current", got.CurrentData)
				}
				return
			}
			want, err := domain.Upcast(tt.re)
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(t, got.CurrentData, want) {
				t.Errorf("current_data %s, want the upcast payload %s", got.CurrentData, want)
			}
		})
	}
}
