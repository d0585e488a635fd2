-- name: EnqueueJob :execrows
-- Records a job's work and one fetch task per provider in one statement.
-- The tasks are inserted only with a new work row: once a job's work
-- exists, whoever enqueues it again (the dispatcher after the fast path, a
-- redelivery) adds nothing, and a task already done is never re-created.
-- Nor is work for a job whose stream moved past the version the caller
-- decided on: its work was created, done and dropped meanwhile (a job
-- records outcomes only while its work exists), and enqueuing again would
-- fetch twice.
WITH work AS (
    INSERT INTO enrichment_work (job_id, domain, ticker, expires_at)
    SELECT sqlc.arg(job_id), sqlc.arg(domain), sqlc.arg(ticker), sqlc.arg(expires_at)
    WHERE NOT EXISTS (
        SELECT 1 FROM events
        WHERE stream_id = sqlc.arg(job_stream) AND stream_version > sqlc.arg(seen_version)
    )
    ON CONFLICT (job_id) DO NOTHING
    RETURNING job_id
)
INSERT INTO fetch_tasks (job_id, provider)
SELECT work.job_id, p.provider
FROM work, unnest(sqlc.arg(providers)::text[]) AS p(provider);

-- name: ClaimFetchTasks :many
-- Leases up to max_tasks tasks that are not leased or whose lease ran out (a
-- worker died, or stopped long enough to miss its extensions). SKIP LOCKED
-- lets several workers and instances claim concurrently without waiting on
-- each other. Each claim bumps leases: the new count is the claim's fencing
-- token, which every later write of the claimant must present.
WITH claimable AS (
    SELECT t.job_id, t.provider
    FROM fetch_tasks t
    WHERE t.lease_until IS NULL OR t.lease_until < now()
    ORDER BY t.lease_until NULLS FIRST, t.created_at
    LIMIT sqlc.arg(max_tasks)
    FOR UPDATE SKIP LOCKED
)
UPDATE fetch_tasks t
SET lease_until = now() + make_interval(secs => sqlc.arg(lease_seconds)::float8),
    leases = t.leases + 1
FROM claimable c, enrichment_work w
WHERE t.job_id = c.job_id AND t.provider = c.provider AND w.job_id = t.job_id
RETURNING t.job_id, t.provider, t.leases, w.domain, w.ticker;

-- name: ExtendFetchLease :execrows
-- Extends a lease while its fetch runs, only for the claim holding the
-- current token: no row means another worker has taken the task over (or it
-- is done), and the fetch should stop.
UPDATE fetch_tasks
SET lease_until = now() + make_interval(secs => sqlc.arg(lease_seconds)::float8)
WHERE job_id = sqlc.arg(job_id) AND provider = sqlc.arg(provider) AND leases = sqlc.arg(token)::int;

-- name: DeleteFetchTask :execrows
-- Drops a done task, provided the token is still current. The transaction
-- that records the task's outcome runs it first: no row means the lease was
-- taken over (or the task is done), and otherwise the deleted row stays
-- locked until the outcome commits with it, so a claim by another worker
-- skips it meanwhile.
DELETE FROM fetch_tasks
WHERE job_id = sqlc.arg(job_id) AND provider = sqlc.arg(provider) AND leases = sqlc.arg(token)::int;

-- name: CountJobFetchTasks :one
SELECT count(*)::bigint AS tasks FROM fetch_tasks WHERE job_id = $1;

-- name: WorkExists :one
SELECT EXISTS (SELECT 1 FROM enrichment_work WHERE job_id = $1) AS queued;

-- name: DeleteWork :exec
DELETE FROM enrichment_work WHERE job_id = $1;

-- name: ExpiredWork :many
SELECT job_id FROM enrichment_work WHERE expires_at < $1 ORDER BY expires_at LIMIT $2;

-- name: OpenWork :many
-- Jobs with no task left: every provider reported, but the job may not have
-- been finished (its completion message is still on its way, or was lost in
-- a crash before the handler ran).
SELECT w.job_id FROM enrichment_work w
WHERE NOT EXISTS (SELECT 1 FROM fetch_tasks t WHERE t.job_id = w.job_id)
  AND w.created_at < $1
ORDER BY w.created_at
LIMIT $2;

-- name: CountFetchTasks :one
SELECT count(*)::bigint AS tasks, count(*) FILTER (WHERE lease_until > now())::bigint AS leased
FROM fetch_tasks;

-- name: TakeQuota :one
-- Spends one unit of a provider's daily budget; no row when it is spent.
INSERT INTO provider_quota AS q (provider, day, used)
VALUES (sqlc.arg(provider), sqlc.arg(day), 1)
ON CONFLICT (provider, day) DO UPDATE SET used = q.used + 1
WHERE q.used < sqlc.arg(daily_limit)::int
RETURNING used;

-- name: OverdueJobs :many
-- Open jobs past their expiry that have no work row: the job, not its work,
-- decides when it ends, so a job whose dispatch never enqueued anything
-- (its message poisoned, say) still expires. Read from the jobs projection,
-- which may lag: a job it has not reached yet is found by a later sweep.
SELECT j.job_id FROM enrichment_jobs j
WHERE j.status IN ('pending', 'running')
  AND j.expires_at < sqlc.arg(now)
  AND NOT EXISTS (SELECT 1 FROM enrichment_work w WHERE w.job_id = j.job_id)
ORDER BY j.expires_at
LIMIT sqlc.arg(max_jobs);

-- name: TakeProviderCall :one
-- Spends one call of a provider's rate budget, shared by every instance: a
-- GCRA (generic cell rate algorithm) kept as one theoretical arrival time
-- per budget and moved in one statement, so concurrent callers queue on
-- the row and never both take the last call. A call is allowed when the
-- arrival time it would set lies at most burst intervals ahead; a refused
-- call changes nothing.
WITH taken AS (
    INSERT INTO provider_rate AS r (budget, tat)
    VALUES (sqlc.arg(budget), now() + make_interval(secs => sqlc.arg(interval_seconds)::float8))
    ON CONFLICT (budget) DO UPDATE
    SET tat = greatest(r.tat, now()) + make_interval(secs => sqlc.arg(interval_seconds)::float8)
    WHERE greatest(r.tat, now()) + make_interval(secs => sqlc.arg(interval_seconds)::float8)
        <= now() + make_interval(secs => sqlc.arg(interval_seconds)::float8 * sqlc.arg(burst)::int)
    RETURNING r.tat
)
SELECT EXISTS (SELECT 1 FROM taken) AS taken;

-- name: ProviderCallWait :one
-- How long until one call of a refused budget fits, read after the
-- refusal: the refusing statement's own snapshot may predate the calls that
-- filled the budget.
SELECT coalesce((
    SELECT extract(epoch FROM greatest(p.tat, now()) - now())::float8
        + sqlc.arg(interval_seconds)::float8 * (1 - sqlc.arg(burst)::int)
    FROM provider_rate p WHERE p.budget = sqlc.arg(budget)
), 0)::float8 AS wait_seconds;
