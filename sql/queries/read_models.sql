-- The target list is read from target_list by statements built in
-- adapters/postgres/targetlist.go: its order needs an ORDER BY per sort key,
-- which sqlc cannot parametrise.

-- name: GetTargetRecord :one
-- The whole row as JSON: the record has fifty columns under their legacy
-- names, and the API shows them all, so the adapter decodes this into its
-- struct by name instead of copying fifty nullable columns by hand.
SELECT to_jsonb(t)::jsonb AS record FROM displacement_targets t WHERE t.domain = sqlc.arg(domain)::text;

-- name: TargetStats :many
-- Counts per dimension; an empty key stands for "unknown". A query over the
-- read model stays correct through a rebuild with nothing more to maintain,
-- and its four grouped scans take about 2 ms on the 2,687 demo targets.
SELECT 'tier'::text AS dimension, COALESCE(icp_tier::text, '')::text AS key, count(*)::bigint AS targets
FROM displacement_targets GROUP BY icp_tier
UNION ALL
SELECT 'vertical'::text, COALESCE(vertical, '')::text, count(*)::bigint
FROM displacement_targets GROUP BY vertical
UNION ALL
SELECT 'country'::text, COALESCE(country, '')::text, count(*)::bigint
FROM displacement_targets GROUP BY country
UNION ALL
SELECT 'enrichment_level'::text, COALESCE(enrichment_level, '')::text, count(*)::bigint
FROM displacement_targets GROUP BY enrichment_level;

-- name: CountAllTargets :one
SELECT count(*)::bigint AS total FROM displacement_targets;

-- name: GetJob :one
SELECT job_id, domain, status, progress, providers, result, error, requested_by, force,
       created_at, updated_at, expires_at, finished_at
FROM enrichment_jobs
WHERE job_id = sqlc.arg(job_id)::uuid;

-- name: ListJobs :many
-- Newest first; the job id breaks ties so that paging is stable. Each
-- filter is optional; CountJobs repeats them exactly. The total is a count
-- of its own: a count(*) OVER () here would read every matching job's row
-- (five times the cost of the count at a few thousand jobs), for every page.
SELECT job_id, domain, status, progress, providers, result, error, requested_by, force,
       created_at, updated_at, expires_at, finished_at
FROM enrichment_jobs
WHERE (sqlc.narg('requested_by')::text IS NULL OR requested_by = sqlc.narg('requested_by')::text)
  AND (sqlc.narg('domain')::text IS NULL OR domain = sqlc.narg('domain')::text)
  AND (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text)
ORDER BY created_at DESC, job_id DESC
LIMIT sqlc.arg('page_limit')::int OFFSET sqlc.arg('page_offset')::int;

-- name: CountJobs :one
SELECT count(*)::bigint AS total
FROM enrichment_jobs
WHERE (sqlc.narg('requested_by')::text IS NULL OR requested_by = sqlc.narg('requested_by')::text)
  AND (sqlc.narg('domain')::text IS NULL OR domain = sqlc.narg('domain')::text)
  AND (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text);
