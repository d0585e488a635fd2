package messaging

import (
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

// Topic is the single topic every event is published to.
const Topic = "events"

// Metadata keys carried by every message. The event store's append statement
// writes them (sql/queries/events.sql); the domain.Metadata keys travel under
// their JSON names.
const (
	MetaEventType     = "event_type"
	MetaSchemaVersion = "schema_version"
	MetaStreamID      = "stream_id"
	MetaStreamVersion = "stream_version"
	MetaPosition      = "position"
	MetaCorrelationID = "correlation_id"
	MetaCausationID   = "causation_id"
	MetaActor         = "actor"
	MetaRequestID     = "request_id"
	MetaRecordedAt    = "recorded_at"
)

// FromMessage decodes a message the event store published.
func FromMessage(msg *message.Message) (domain.RecordedEvent, error) {
	id, err := uuid.Parse(msg.UUID)
	if err != nil {
		return domain.RecordedEvent{}, fmt.Errorf("message %q: event id: %w", msg.UUID, err)
	}
	md := msg.Metadata
	e := domain.RecordedEvent{
		StreamID: md.Get(MetaStreamID),
		EventData: domain.EventData{
			ID:   id,
			Type: md.Get(MetaEventType),
			Data: []byte(msg.Payload),
			Metadata: domain.Metadata{
				CorrelationID: md.Get(MetaCorrelationID),
				CausationID:   md.Get(MetaCausationID),
				Actor:         md.Get(MetaActor),
				RequestID:     md.Get(MetaRequestID),
			},
		},
	}
	if e.Type == "" || e.StreamID == "" {
		return domain.RecordedEvent{}, fmt.Errorf("message %s: missing event type or stream id", msg.UUID)
	}
	if e.Position, err = strconv.ParseInt(md.Get(MetaPosition), 10, 64); err != nil {
		return domain.RecordedEvent{}, fmt.Errorf("message %s: position: %w", msg.UUID, err)
	}
	if e.StreamVersion, err = strconv.ParseInt(md.Get(MetaStreamVersion), 10, 64); err != nil {
		return domain.RecordedEvent{}, fmt.Errorf("message %s: stream version: %w", msg.UUID, err)
	}
	if e.SchemaVersion, err = strconv.Atoi(md.Get(MetaSchemaVersion)); err != nil {
		return domain.RecordedEvent{}, fmt.Errorf("message %s: schema version: %w", msg.UUID, err)
	}
	if s := md.Get(MetaRecordedAt); s != "" {
		if e.RecordedAt, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return domain.RecordedEvent{}, fmt.Errorf("message %s: recorded at: %w", msg.UUID, err)
		}
	}
	return e, nil
}
