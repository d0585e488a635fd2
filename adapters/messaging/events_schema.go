package messaging

import (
	"errors"
	"fmt"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
)

// EventsSchema lets watermill-sql subscribers read the event log itself:
// the events table is the topic, so storing an event is publishing it, with
// no second row and no second copy of its payload. An event is never stored
// without being delivered, nor delivered without being stored.
//
// watermill-sql orders a topic by (transaction id, offset) and reads only
// below pg_snapshot_xmin. An event's position is its transaction's id << 20
// plus its index in the transaction (sql/migrations/00001), so position order
// is that order, the transaction id is position >> 20, and the offset is the
// position. The consumer groups' offsets stay in watermill's own table
// (DefaultPostgreSQLOffsetsAdapter).
type EventsSchema struct {
	// DefaultPostgreSQLSchema provides the isolation level and the row
	// decoding: the select below returns the columns it expects.
	wsql.DefaultPostgreSQLSchema
}

// schemaInitLock is the advisory lock subscribers take while they create
// the offsets table (any fixed key would do; this is "pfschema").
const schemaInitLock = 0x7066736368656d61

// SchemaInitializingQueries creates nothing: the events table is a
// migration's. It takes a transaction-scoped advisory lock, which the
// offsets adapter's CREATE TABLE IF NOT EXISTS that follows in the same
// transaction runs under: two instances starting at once against a new
// database would otherwise both create the table, and one would stop with
// a unique violation on pg_type (found by make faults).
func (EventsSchema) SchemaInitializingQueries(wsql.SchemaInitializingQueriesParams) ([]wsql.Query, error) {
	return []wsql.Query{{Query: fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", int64(schemaInitLock))}}, nil
}

// InsertQuery refuses: events are appended by the event store, with their
// stream versions, never published through watermill.
func (EventsSchema) InsertQuery(wsql.InsertQueryParams) (wsql.Query, error) {
	return wsql.Query{}, errors.New("the events topic is written by the event store only")
}

// SelectQuery reads the next batch after the consumer group's last acked
// position, below the visibility horizon. Each message carries the event's
// metadata plus its envelope (type, stream, version, position, time) as
// strings.
func (s EventsSchema) SelectQuery(params wsql.SelectQueryParams) (wsql.Query, error) {
	next, err := params.OffsetsAdapter.NextOffsetQuery(wsql.NextOffsetQueryParams{Topic: params.Topic, ConsumerGroup: params.ConsumerGroup})
	if err != nil {
		return wsql.Query{}, err
	}
	batch := s.SubscribeBatchSize
	if batch <= 0 {
		batch = 100
	}
	q := `
	SELECT * FROM (
		WITH last_processed AS (` + next.Query + `)
		SELECT e.position AS "offset",
		       ((e.position >> 20)::text)::xid8 AS transaction_id,
		       e.event_id::text AS uuid,
		       e.data AS payload,
		       e.metadata || jsonb_build_object(
		           '` + MetaEventType + `', e.event_type,
		           '` + MetaSchemaVersion + `', e.schema_version::text,
		           '` + MetaStreamID + `', e.stream_id,
		           '` + MetaStreamVersion + `', e.stream_version::text,
		           '` + MetaPosition + `', e.position::text,
		           '` + MetaRecordedAt + `', to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')) AS metadata
		FROM events e
		WHERE e.position > (SELECT offset_acked FROM last_processed)
		  AND e.position < (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 20)
		ORDER BY e.position
		LIMIT ` + fmt.Sprint(batch) + `
	) AS messages
	ORDER BY "offset"`
	return wsql.Query{Query: q, Args: next.Args}, nil
}
