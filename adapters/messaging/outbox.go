package messaging

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/partnerforge/partnerforge/domain"
)

// Topic is the single topic every event is published to.
const Topic = "events"

// Metadata keys carried by every message.
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

// Outbox publishes stored events to watermill inside the appending
// transaction: a rolled-back append delivers nothing, a committed one
// delivers exactly what it stored.
type Outbox struct {
	logger watermill.LoggerAdapter
}

// NewOutbox returns an outbox logging through logger.
func NewOutbox(logger watermill.LoggerAdapter) *Outbox {
	return &Outbox{logger: logger}
}

// Publish is a postgres.AppendHook.
func (o *Outbox) Publish(ctx context.Context, tx pgx.Tx, events []domain.RecordedEvent) error {
	// A publisher bound to a transaction is a thin value; one per append is
	// how watermill-sql publishes transactionally.
	pub, err := wsql.NewPublisher(wsql.TxFromPgx(tx), wsql.PublisherConfig{SchemaAdapter: wsql.DefaultPostgreSQLSchema{}}, o.logger)
	if err != nil {
		return fmt.Errorf("outbox publisher: %w", err)
	}
	msgs := make([]*message.Message, len(events))
	for i, e := range events {
		msgs[i] = ToMessage(e)
		msgs[i].SetContext(ctx)
	}
	if err := pub.Publish(Topic, msgs...); err != nil {
		return fmt.Errorf("outbox publish: %w", err)
	}
	return nil
}

// ToMessage encodes a stored event as a watermill message whose UUID is the
// event id, so handlers can deduplicate redeliveries by it.
func ToMessage(e domain.RecordedEvent) *message.Message {
	msg := message.NewMessage(e.ID.String(), message.Payload(e.Data))
	msg.Metadata = message.Metadata{
		MetaEventType:     e.Type,
		MetaSchemaVersion: strconv.Itoa(e.SchemaVersion),
		MetaStreamID:      e.StreamID,
		MetaStreamVersion: strconv.FormatInt(e.StreamVersion, 10),
		MetaPosition:      strconv.FormatInt(e.Position, 10),
	}
	setIf(msg.Metadata, MetaCorrelationID, e.Metadata.CorrelationID)
	setIf(msg.Metadata, MetaCausationID, e.Metadata.CausationID)
	setIf(msg.Metadata, MetaActor, e.Metadata.Actor)
	setIf(msg.Metadata, MetaRequestID, e.Metadata.RequestID)
	if !e.RecordedAt.IsZero() {
		msg.Metadata[MetaRecordedAt] = e.RecordedAt.UTC().Format(time.RFC3339Nano)
	}
	return msg
}

func setIf(m message.Metadata, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// FromMessage decodes a message published by the outbox. RecordedAt is zero
// when the message was published before the commit time was known.
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
