-- name: TargetHistory :many
-- A target's events and those of every job opened on it, in log order, so an
-- auditor follows request, provider fetches and score without knowing stream
-- names; until bounds recorded_at for an as-of view. Every committed event is
-- returned; the caller cuts its paging cursor at the visibility horizon.
WITH jobs AS (
    SELECT 'job-' || (j.data->>'job_id') AS stream_id
    FROM events j
    WHERE j.stream_id = sqlc.arg(target_stream)::text AND j.event_type = 'EnrichmentJobOpened'
)
SELECT e.position, e.stream_id, e.stream_version, e.event_id, e.event_type, e.schema_version, e.data, e.metadata, e.recorded_at
FROM events e
WHERE (e.stream_id = sqlc.arg(target_stream)::text OR e.stream_id IN (SELECT stream_id FROM jobs))
  AND e.position > sqlc.arg(after_position)::bigint
  AND e.recorded_at <= sqlc.arg(until)::timestamptz
ORDER BY e.position
LIMIT sqlc.arg(max_events);

-- name: JobHistory :many
-- A job's events and the events it caused on its target's stream (the job
-- opened and closed there, the score it computed), in log order.
WITH job AS (
    SELECT 'target-' || (r.data->>'domain') AS target_stream
    FROM events r
    WHERE r.stream_id = sqlc.arg(job_stream)::text AND r.stream_version = 1
)
SELECT e.position, e.stream_id, e.stream_version, e.event_id, e.event_type, e.schema_version, e.data, e.metadata, e.recorded_at
FROM events e
WHERE (e.stream_id = sqlc.arg(job_stream)::text
       OR (e.stream_id = (SELECT target_stream FROM job) AND e.data->>'job_id' = sqlc.arg(job_id)::text))
  AND e.position > sqlc.arg(after_position)::bigint
ORDER BY e.position
LIMIT sqlc.arg(max_events);

-- name: VisibilityHorizon :one
-- Every event below this position belongs to a finished transaction: none
-- can appear below it later. Read before a page, it bounds how far the
-- page's cursor may go.
SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 20)::bigint AS horizon;
