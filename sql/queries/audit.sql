-- name: TargetHistory :many
-- A target's events and those of every job opened on it, in log order, so an
-- auditor follows request, provider fetches and score without knowing stream
-- names. Only events below the visibility horizon are returned (as ReadAll
-- does), so paging by position never skips one that commits late; until
-- bounds recorded_at for an as-of view.
WITH jobs AS (
    SELECT 'job-' || (j.data->>'job_id') AS stream_id
    FROM events j
    WHERE j.stream_id = sqlc.arg(target_stream)::text AND j.event_type = 'EnrichmentJobOpened'
)
SELECT e.position, e.stream_id, e.stream_version, e.event_id, e.event_type, e.schema_version, e.data, e.metadata, e.recorded_at
FROM events e
WHERE (e.stream_id = sqlc.arg(target_stream)::text OR e.stream_id IN (SELECT stream_id FROM jobs))
  AND e.position > sqlc.arg(after_position)::bigint
  AND e.position < (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 20)
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
  AND e.position < (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 20)
ORDER BY e.position
LIMIT sqlc.arg(max_events);
