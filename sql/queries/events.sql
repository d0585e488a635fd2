-- name: AppendEvents :batchmany
-- Appends a batch to one stream in a single statement. It raises
-- events_version_conflict (SQLSTATE PF409, the actual version in DETAIL)
-- unless the stream is at the expected version (-1 accepts any), and
-- events_transaction_full (PF413) past the transaction's 2^20 positions; a
-- raise aborts the transaction, so several of these statements pipelined in
-- one round trip commit all or nothing. Two concurrent appenders of the same
-- version cannot both win: the second hits events_stream_version_key.
-- Positions continue after any events this transaction already appended.
-- Storing is publishing: watermill subscribers read this table itself
-- (adapters/messaging.EventsSchema).
WITH current_version AS (
    SELECT COALESCE(max(e.stream_version), 0)::bigint AS version
    FROM events e
    WHERE e.stream_id = sqlc.arg(stream_id)::text
), allowed AS (
    SELECT CASE
               WHEN sqlc.arg(expected_version)::bigint = -1 OR cv.version = sqlc.arg(expected_version)::bigint THEN cv.version
               ELSE events_version_conflict(sqlc.arg(stream_id)::text, sqlc.arg(expected_version)::bigint, cv.version)
           END AS version
    FROM current_version cv
), xact AS (
    SELECT (pg_current_xact_id()::text::bigint << 20) AS base
), taken AS (
    SELECT COALESCE(
        (SELECT max(e.position) FROM events e, xact
          WHERE e.position > xact.base AND e.position < xact.base + 1048576),
        (SELECT base FROM xact))::bigint AS position
), start AS (
    SELECT CASE
               WHEN taken.position + cardinality(sqlc.arg(event_ids)::uuid[]) < xact.base + 1048576 THEN taken.position
               ELSE events_transaction_full()
           END AS position
    FROM taken, xact
), inserted AS (
    INSERT INTO events (position, stream_id, stream_version, event_id, event_type, schema_version, data, metadata)
    SELECT start.position + i, sqlc.arg(stream_id)::text, allowed.version + i,
           (sqlc.arg(event_ids)::uuid[])[i], (sqlc.arg(event_types)::text[])[i],
           (sqlc.arg(schema_versions)::int[])[i], (sqlc.arg(datas)::jsonb[])[i],
           (sqlc.arg(metadatas)::jsonb[])[i]
    FROM allowed, start, generate_subscripts(sqlc.arg(event_ids)::uuid[], 1) AS i
    RETURNING position, stream_version, recorded_at
)
SELECT ins.position, ins.stream_version, ins.recorded_at
FROM inserted ins
ORDER BY ins.position;

-- name: StreamVersion :one
SELECT COALESCE(max(stream_version), 0)::bigint AS version
FROM events
WHERE stream_id = $1;

-- name: EventsByID :many
SELECT position, stream_id, stream_version, event_id
FROM events
WHERE event_id = ANY(sqlc.arg(event_ids)::uuid[])
ORDER BY position;

-- name: ReadStream :many
SELECT position, stream_id, stream_version, event_id, event_type, schema_version, data, metadata, recorded_at
FROM events
WHERE stream_id = sqlc.arg(stream_id) AND stream_version > sqlc.arg(after_version)
ORDER BY stream_version
LIMIT sqlc.arg(max_events);

-- name: ReadAll :many
-- Reads the log in position order, but only below the visibility horizon:
-- every transaction whose id is below pg_snapshot_xmin has finished, so no
-- event can later appear below that horizon. Events of transactions still
-- in flight wait for the next call.
SELECT position, stream_id, stream_version, event_id, event_type, schema_version, data, metadata, recorded_at
FROM events
WHERE position > sqlc.arg(after_position)
  AND position < (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 20)
ORDER BY position
LIMIT sqlc.arg(max_events);

-- name: HeadPosition :one
-- The highest position a follower can currently read up to.
SELECT COALESCE(max(position), 0)::bigint AS position
FROM events
WHERE position < (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 20);

-- name: ExportEvents :many
-- One page of an export: the events after a position that match every filter
-- given (a NULL filter matches all), in position order and below the
-- visibility horizon, as ReadAll. since is inclusive, until exclusive.
-- Keyset paging on the primary key keeps each page's cost bounded however
-- long the log is.
SELECT position, stream_id, stream_version, event_id, event_type, schema_version, data, metadata, recorded_at
FROM events
WHERE position > sqlc.arg(after_position)
  AND position < (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 20)
  AND (sqlc.narg(stream_id)::text IS NULL OR stream_id = sqlc.narg(stream_id)::text)
  AND (sqlc.narg(event_type)::text IS NULL OR event_type = sqlc.narg(event_type)::text)
  AND (sqlc.narg(since)::timestamptz IS NULL OR recorded_at >= sqlc.narg(since)::timestamptz)
  AND (sqlc.narg(until)::timestamptz IS NULL OR recorded_at < sqlc.narg(until)::timestamptz)
ORDER BY position
LIMIT sqlc.arg(max_events);

-- name: ReadStreamFromSnapshot :batchmany
-- Loads a stream: its snapshot in the given format, if the event the
-- snapshot names is stored at the snapshot's version, and up to max_events
-- events after it (after version 0 without a usable snapshot). A batch of
-- these loads several streams in one round trip.
-- There is always at least one row; position is 0 on a row that carries no
-- event (an empty tail). The snapshot's state and digest come on the first
-- row only. Snapshot and tail are read by one statement, so one snapshot of
-- the database: the tail starts right after the snapshot's version.
WITH snap AS (
    SELECT s.stream_version, s.event_id, s.state, s.digest
    FROM stream_snapshots s
    JOIN events se ON se.stream_id = s.stream_id
                  AND se.stream_version = s.stream_version
                  AND se.event_id = s.event_id
    WHERE s.stream_id = sqlc.arg(stream_id)::text AND s.format = sqlc.arg(format)::text
), base AS (
    SELECT COALESCE((SELECT stream_version FROM snap), 0)::bigint AS version
), tail AS (
    SELECT e.position, e.stream_id, e.stream_version, e.event_id, e.event_type, e.schema_version,
           e.data, e.metadata, e.recorded_at
    FROM events e, base
    WHERE e.stream_id = sqlc.arg(stream_id)::text AND e.stream_version > base.version
    ORDER BY e.stream_version
    LIMIT sqlc.arg(max_events)
), numbered AS (
    SELECT tail.*, row_number() OVER (ORDER BY tail.stream_version) AS n FROM tail
)
SELECT base.version AS snapshot_version,
       COALESCE((SELECT snap.event_id FROM snap), '00000000-0000-0000-0000-000000000000'::uuid)::uuid AS snapshot_event_id,
       (CASE WHEN COALESCE(numbered.n, 1) = 1 THEN (SELECT snap.state FROM snap) END)::json AS snapshot_state,
       (CASE WHEN COALESCE(numbered.n, 1) = 1 THEN (SELECT snap.digest FROM snap) END)::bytea AS snapshot_digest,
       COALESCE(numbered.position, 0)::bigint AS position,
       COALESCE(numbered.stream_id, '')::text AS stream_id,
       COALESCE(numbered.stream_version, 0)::bigint AS stream_version,
       COALESCE(numbered.event_id, '00000000-0000-0000-0000-000000000000'::uuid)::uuid AS event_id,
       COALESCE(numbered.event_type, '')::text AS event_type,
       COALESCE(numbered.schema_version, 0)::int AS schema_version,
       COALESCE(numbered.data, 'null'::jsonb)::jsonb AS data,
       COALESCE(numbered.metadata, '{}'::jsonb)::jsonb AS metadata,
       COALESCE(numbered.recorded_at, 'epoch'::timestamptz)::timestamptz AS recorded_at
FROM base
LEFT JOIN numbered ON true
ORDER BY numbered.stream_version;

-- name: SaveSnapshot :exec
-- Stores a stream's snapshot unless a usable one of a later version in the
-- same format is already there: concurrent writers leave the newest. One the
-- reader cannot use is replaced: another format, a different state at the
-- same version (altered after it was written), or a version whose event is
-- not the one it names.
INSERT INTO stream_snapshots (stream_id, stream_version, event_id, format, state, digest)
VALUES (sqlc.arg(stream_id), sqlc.arg(stream_version), sqlc.arg(event_id), sqlc.arg(format), sqlc.arg(state), sqlc.arg(digest))
ON CONFLICT (stream_id) DO UPDATE
SET stream_version = EXCLUDED.stream_version, event_id = EXCLUDED.event_id, format = EXCLUDED.format,
    state = EXCLUDED.state, digest = EXCLUDED.digest, taken_at = now()
WHERE stream_snapshots.format <> EXCLUDED.format
   OR stream_snapshots.stream_version < EXCLUDED.stream_version
   OR (stream_snapshots.stream_version = EXCLUDED.stream_version AND stream_snapshots.digest <> EXCLUDED.digest)
   OR NOT EXISTS (
       SELECT 1 FROM events e
       WHERE e.stream_id = stream_snapshots.stream_id
         AND e.stream_version = stream_snapshots.stream_version
         AND e.event_id = stream_snapshots.event_id);
