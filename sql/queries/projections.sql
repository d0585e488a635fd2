-- name: LockProjection :exec
-- Serialises the instances that follow one projection: a second process
-- waits here until the first commits, then reads the checkpoint it left.
-- Advisory locks take no transaction id, so waiting holds back nobody's
-- pg_snapshot_xmin horizon.
SELECT pg_advisory_xact_lock(hashtext('partnerforge.projection'), hashtext(sqlc.arg(name)::text));

-- name: ProjectionPosition :one
SELECT COALESCE((SELECT c.position FROM projection_checkpoints c WHERE c.name = sqlc.arg(name)::text), 0)::bigint AS position;

-- name: SaveProjectionPosition :exec
INSERT INTO projection_checkpoints (name, position, updated_at)
VALUES (sqlc.arg(name)::text, sqlc.arg(position)::bigint, now())
ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = EXCLUDED.updated_at,
    -- A batch committed: whatever failed before has been applied.
    failed_position = NULL, failed_event_id = NULL, failed_error = NULL,
    failed_attempts = 0, failed_since = NULL;

-- name: ProjectionCheckpoints :many
SELECT * FROM projection_checkpoints ORDER BY name;

-- name: ProjectionVersion :one
-- The checkpoint and the generation of one projection: together they version
-- its read model (see postgres.ProjectionVersion).
SELECT COALESCE(c.position, 0)::bigint AS position, COALESCE(c.generation, 0)::bigint AS generation
FROM (SELECT 1) AS one
LEFT JOIN projection_checkpoints c ON c.name = sqlc.arg(name)::text;

-- name: SwapProjectionCheckpoint :exec
-- A rebuilt read model replaces the live one: the checkpoint moves to where
-- the new model stands and the generation counts the swap.
INSERT INTO projection_checkpoints (name, position, generation, updated_at)
VALUES (sqlc.arg(name)::text, sqlc.arg(position)::bigint, 1, now())
ON CONFLICT (name) DO UPDATE SET
    position = EXCLUDED.position,
    generation = projection_checkpoints.generation + 1,
    updated_at = EXCLUDED.updated_at,
    failed_position = NULL, failed_event_id = NULL, failed_error = NULL,
    failed_attempts = 0, failed_since = NULL;

-- name: RecordProjectionFailure :exec
-- Counts the consecutive failures on one event; a different event starts the
-- count again.
INSERT INTO projection_checkpoints (name, failed_position, failed_event_id, failed_error, failed_attempts, failed_since)
VALUES (sqlc.arg(name)::text, sqlc.arg(failed_position)::bigint, sqlc.narg(failed_event_id)::uuid,
        sqlc.arg(failed_error)::text, 1, now())
ON CONFLICT (name) DO UPDATE SET
    failed_attempts = CASE WHEN projection_checkpoints.failed_position = EXCLUDED.failed_position
        THEN projection_checkpoints.failed_attempts + 1 ELSE 1 END,
    failed_since = CASE WHEN projection_checkpoints.failed_position = EXCLUDED.failed_position
        THEN projection_checkpoints.failed_since ELSE EXCLUDED.failed_since END,
    failed_position = EXCLUDED.failed_position,
    failed_event_id = EXCLUDED.failed_event_id,
    failed_error = EXCLUDED.failed_error;

-- name: ClearProjectionFailure :exec
UPDATE projection_checkpoints
SET failed_position = NULL, failed_event_id = NULL, failed_error = NULL, failed_attempts = 0, failed_since = NULL
WHERE name = sqlc.arg(name)::text AND failed_attempts > 0;

-- name: ProjectionBehind :one
-- Whether the log holds readable events past the projection's checkpoint:
-- the runner's cheap poll, one index probe.
SELECT EXISTS (
    SELECT 1 FROM events e
    WHERE e.position > COALESCE((SELECT c.position FROM projection_checkpoints c WHERE c.name = sqlc.arg(name)::text), 0)
      AND e.position < (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 20)
)::boolean AS behind;

-- name: EventsBetween :one
-- How many events lie after one position up to another: a projection's lag.
SELECT count(*)::bigint AS events
FROM events
WHERE position > sqlc.arg(after_position)::bigint AND position <= sqlc.arg(up_to)::bigint;

-- name: UpsertImportedTarget :exec
-- The imported profile (cleaned by the projection, see projections/targets.go)
-- replaces every legacy column. Its JSON names are the
-- column names, so jsonb_populate_record maps it without a column list to
-- keep in step. The legacy score replaces any computed one, so the model
-- version and exclusion are cleared with it.
INSERT INTO displacement_targets (
    domain,
    company_name, partner_tech, vertical, country, city, state, tech_spend, emails, phones,
    socials, exec_titles, sw_monthly_visits, sw_bounce_rate, sw_pages_per_visit,
    sw_avg_duration, sw_search_traffic_pct, sw_rank_global, matched_case_studies, lead_score,
    created_at, icp_tier, icp_score, score_reasons, icp_tier_name, score_breakdown, ticker,
    is_public, enrichment_level, last_enriched, revenue, gross_margin, traffic_growth,
    current_search, trigger_events, exec_quote, exec_name, exec_title, quote_source,
    competitors_using_algolia, displacement_angle, financials_json, hiring_signals,
    tech_stack_json, partner_tech_keys,
    updated_at, import_batch_id, score_model_version, excluded, excluded_reason)
SELECT sqlc.arg(domain)::text,
       p.company_name, p.partner_tech, p.vertical, p.country, p.city, p.state, p.tech_spend,
       p.emails, p.phones, p.socials, p.exec_titles, p.sw_monthly_visits, p.sw_bounce_rate,
       p.sw_pages_per_visit, p.sw_avg_duration, p.sw_search_traffic_pct, p.sw_rank_global,
       p.matched_case_studies, p.lead_score, p.created_at, p.icp_tier, p.icp_score,
       p.score_reasons, p.icp_tier_name, p.score_breakdown, p.ticker, p.is_public,
       p.enrichment_level, p.last_enriched, p.revenue, p.gross_margin, p.traffic_growth,
       p.current_search, p.trigger_events, p.exec_quote, p.exec_name, p.exec_title,
       p.quote_source, p.competitors_using_algolia, p.displacement_angle, p.financials_json,
       p.hiring_signals, p.tech_stack_json, sqlc.arg(partner_tech_keys)::text[],
       sqlc.arg(updated_at)::timestamptz, sqlc.arg(batch_id)::uuid, NULL, false, NULL
FROM jsonb_populate_record(NULL::displacement_targets, sqlc.arg(profile)::jsonb) AS p
ON CONFLICT (domain) DO UPDATE SET
    company_name = EXCLUDED.company_name, partner_tech = EXCLUDED.partner_tech,
    partner_tech_keys = EXCLUDED.partner_tech_keys,
    vertical = EXCLUDED.vertical, country = EXCLUDED.country, city = EXCLUDED.city,
    state = EXCLUDED.state, tech_spend = EXCLUDED.tech_spend, emails = EXCLUDED.emails,
    phones = EXCLUDED.phones, socials = EXCLUDED.socials, exec_titles = EXCLUDED.exec_titles,
    sw_monthly_visits = EXCLUDED.sw_monthly_visits, sw_bounce_rate = EXCLUDED.sw_bounce_rate,
    sw_pages_per_visit = EXCLUDED.sw_pages_per_visit,
    sw_avg_duration = EXCLUDED.sw_avg_duration,
    sw_search_traffic_pct = EXCLUDED.sw_search_traffic_pct,
    sw_rank_global = EXCLUDED.sw_rank_global,
    matched_case_studies = EXCLUDED.matched_case_studies, lead_score = EXCLUDED.lead_score,
    created_at = EXCLUDED.created_at, icp_tier = EXCLUDED.icp_tier,
    icp_score = EXCLUDED.icp_score, score_reasons = EXCLUDED.score_reasons,
    icp_tier_name = EXCLUDED.icp_tier_name, score_breakdown = EXCLUDED.score_breakdown,
    ticker = EXCLUDED.ticker, is_public = EXCLUDED.is_public,
    enrichment_level = EXCLUDED.enrichment_level, last_enriched = EXCLUDED.last_enriched,
    revenue = EXCLUDED.revenue, gross_margin = EXCLUDED.gross_margin,
    traffic_growth = EXCLUDED.traffic_growth, current_search = EXCLUDED.current_search,
    trigger_events = EXCLUDED.trigger_events, exec_quote = EXCLUDED.exec_quote,
    exec_name = EXCLUDED.exec_name, exec_title = EXCLUDED.exec_title,
    quote_source = EXCLUDED.quote_source,
    competitors_using_algolia = EXCLUDED.competitors_using_algolia,
    displacement_angle = EXCLUDED.displacement_angle,
    financials_json = EXCLUDED.financials_json, hiring_signals = EXCLUDED.hiring_signals,
    tech_stack_json = EXCLUDED.tech_stack_json,
    updated_at = GREATEST(displacement_targets.updated_at, EXCLUDED.updated_at),
    import_batch_id = EXCLUDED.import_batch_id,
    score_model_version = NULL, excluded = false, excluded_reason = NULL;

-- name: InsertAddedTarget :exec
-- A target added by hand starts as its domain alone; enrichment fills it.
INSERT INTO displacement_targets (domain, updated_at)
VALUES (sqlc.arg(domain)::text, sqlc.arg(updated_at)::timestamptz)
ON CONFLICT (domain) DO NOTHING;

-- name: DeleteImportedTarget :exec
-- Only the batch that last imported a target may withdraw it.
DELETE FROM displacement_targets
WHERE domain = sqlc.arg(domain)::text AND import_batch_id = sqlc.arg(batch_id)::uuid;

-- name: UpsertTargetTraffic :exec
-- SimilarWeb's answer. A global rank of 0 means unknown and keeps the old one.
INSERT INTO displacement_targets (
    domain, sw_monthly_visits, sw_bounce_rate, sw_pages_per_visit, sw_avg_duration,
    sw_search_traffic_pct, sw_rank_global, traffic_growth, updated_at)
VALUES (sqlc.arg(domain)::text, sqlc.arg(monthly_visits)::bigint, sqlc.arg(bounce_rate)::float8,
        sqlc.arg(pages_per_visit)::float8, sqlc.arg(avg_duration)::bigint,
        sqlc.arg(search_traffic_share)::float8, sqlc.narg(rank_global)::bigint,
        sqlc.arg(traffic_growth_points)::float8, sqlc.arg(updated_at)::timestamptz)
ON CONFLICT (domain) DO UPDATE SET
    sw_monthly_visits = EXCLUDED.sw_monthly_visits,
    sw_bounce_rate = EXCLUDED.sw_bounce_rate,
    sw_pages_per_visit = EXCLUDED.sw_pages_per_visit,
    sw_avg_duration = EXCLUDED.sw_avg_duration,
    sw_search_traffic_pct = EXCLUDED.sw_search_traffic_pct,
    sw_rank_global = COALESCE(EXCLUDED.sw_rank_global, displacement_targets.sw_rank_global),
    traffic_growth = EXCLUDED.traffic_growth,
    updated_at = GREATEST(displacement_targets.updated_at, EXCLUDED.updated_at);

-- name: UpsertTargetTech :exec
-- BuiltWith's answer (or its fallback). No search vendor detected is a
-- finding, so it clears the legacy current_search.
INSERT INTO displacement_targets (domain, tech_stack_json, current_search, updated_at)
VALUES (sqlc.arg(domain)::text, sqlc.arg(tech_stack)::jsonb, sqlc.narg(current_search)::text,
        sqlc.arg(updated_at)::timestamptz)
ON CONFLICT (domain) DO UPDATE SET
    tech_stack_json = EXCLUDED.tech_stack_json,
    current_search = EXCLUDED.current_search,
    updated_at = GREATEST(displacement_targets.updated_at, EXCLUDED.updated_at);

-- name: UpsertTargetFinancials :exec
-- Yahoo Finance's answer. Figures it omits (NULL) keep the known ones; a
-- company with a quoted ticker is public.
INSERT INTO displacement_targets (domain, ticker, is_public, revenue, gross_margin, financials_json, updated_at)
VALUES (sqlc.arg(domain)::text, sqlc.narg(ticker)::text, sqlc.narg(ticker)::text IS NOT NULL,
        sqlc.narg(revenue)::float8, sqlc.narg(gross_margin)::float8, sqlc.arg(financials)::jsonb,
        sqlc.arg(updated_at)::timestamptz)
ON CONFLICT (domain) DO UPDATE SET
    ticker = COALESCE(EXCLUDED.ticker, displacement_targets.ticker),
    is_public = EXCLUDED.is_public OR COALESCE(displacement_targets.is_public, false),
    revenue = COALESCE(EXCLUDED.revenue, displacement_targets.revenue),
    gross_margin = COALESCE(EXCLUDED.gross_margin, displacement_targets.gross_margin),
    financials_json = EXCLUDED.financials_json,
    updated_at = GREATEST(displacement_targets.updated_at, EXCLUDED.updated_at);

-- name: UpsertTargetScore :exec
-- The enrichment level follows what the score was computed from; it keeps
-- the higher of the known and the new level (level_rank orders them), so it
-- never drops below what the legacy list said. A score recomputed outside any
-- job (scores recompute) has no job_id and keeps the last job's.
INSERT INTO displacement_targets (
    domain, icp_score, icp_tier, icp_tier_name, score_breakdown, score_reasons,
    score_model_version, excluded, excluded_reason, last_job_id, enrichment_level, updated_at)
VALUES (sqlc.arg(domain)::text, sqlc.arg(score)::int, sqlc.arg(tier)::int, sqlc.arg(tier_name)::text,
        sqlc.arg(breakdown)::jsonb, sqlc.arg(reasons)::jsonb, sqlc.arg(model_version)::text,
        sqlc.arg(excluded)::boolean, sqlc.narg(excluded_reason)::text, sqlc.narg(job_id)::uuid,
        sqlc.arg(level)::text, sqlc.arg(updated_at)::timestamptz)
ON CONFLICT (domain) DO UPDATE SET
    enrichment_level = CASE
        WHEN sqlc.arg(level_rank)::int >= CASE displacement_targets.enrichment_level
            WHEN 'full' THEN 3 WHEN 'standard' THEN 2 WHEN 'basic' THEN 1 ELSE 0 END
        THEN EXCLUDED.enrichment_level
        ELSE displacement_targets.enrichment_level END,
    icp_score = EXCLUDED.icp_score,
    icp_tier = EXCLUDED.icp_tier,
    icp_tier_name = EXCLUDED.icp_tier_name,
    score_breakdown = EXCLUDED.score_breakdown,
    score_reasons = EXCLUDED.score_reasons,
    score_model_version = EXCLUDED.score_model_version,
    excluded = EXCLUDED.excluded,
    excluded_reason = EXCLUDED.excluded_reason,
    last_job_id = COALESCE(EXCLUDED.last_job_id, displacement_targets.last_job_id),
    updated_at = GREATEST(displacement_targets.updated_at, EXCLUDED.updated_at);

-- name: MarkTargetEnriched :exec
INSERT INTO displacement_targets (domain, last_enriched, last_job_id, updated_at)
VALUES (sqlc.arg(domain)::text, sqlc.arg(enriched_at)::timestamptz,
        sqlc.arg(job_id)::uuid, sqlc.arg(updated_at)::timestamptz)
ON CONFLICT (domain) DO UPDATE SET
    last_enriched = EXCLUDED.last_enriched,
    last_job_id = EXCLUDED.last_job_id,
    updated_at = GREATEST(displacement_targets.updated_at, EXCLUDED.updated_at);

-- name: SyncTargetList :exec
-- Copies a target's list columns from displacement_targets into target_list,
-- or removes its list row when the target is gone. The targets projection
-- runs it after each change to a target, in the same transaction, so the
-- narrow list table never differs from the wide row (verify compares both
-- with a fresh fold).
WITH src AS (
    SELECT domain, company_name, partner_tech, partner_tech_keys, vertical, country,
           city, state, icp_score, icp_tier, icp_tier_name, lead_score, sw_monthly_visits,
           sw_search_traffic_pct, traffic_growth, revenue, ticker, is_public, current_search,
           enrichment_level, last_enriched, excluded, updated_at
    FROM displacement_targets WHERE domain = sqlc.arg(domain)::text
), gone AS (
    DELETE FROM target_list
    WHERE target_list.domain = sqlc.arg(domain)::text AND NOT EXISTS (SELECT 1 FROM src)
)
INSERT INTO target_list (domain, company_name, partner_tech, partner_tech_keys, vertical, country,
    city, state, icp_score, icp_tier, icp_tier_name, lead_score, sw_monthly_visits,
    sw_search_traffic_pct, traffic_growth, revenue, ticker, is_public, current_search,
    enrichment_level, last_enriched, excluded, updated_at)
SELECT * FROM src
ON CONFLICT (domain) DO UPDATE SET
    company_name = EXCLUDED.company_name, partner_tech = EXCLUDED.partner_tech,
    partner_tech_keys = EXCLUDED.partner_tech_keys, vertical = EXCLUDED.vertical,
    country = EXCLUDED.country, city = EXCLUDED.city, state = EXCLUDED.state,
    icp_score = EXCLUDED.icp_score, icp_tier = EXCLUDED.icp_tier,
    icp_tier_name = EXCLUDED.icp_tier_name, lead_score = EXCLUDED.lead_score,
    sw_monthly_visits = EXCLUDED.sw_monthly_visits,
    sw_search_traffic_pct = EXCLUDED.sw_search_traffic_pct,
    traffic_growth = EXCLUDED.traffic_growth, revenue = EXCLUDED.revenue,
    ticker = EXCLUDED.ticker, is_public = EXCLUDED.is_public,
    current_search = EXCLUDED.current_search, enrichment_level = EXCLUDED.enrichment_level,
    last_enriched = EXCLUDED.last_enriched, excluded = EXCLUDED.excluded,
    updated_at = EXCLUDED.updated_at;

-- name: UpsertJob :exec
-- The jobs projection folds each event into the row in Go (see
-- projections/readmodel) and writes the whole row back.
INSERT INTO enrichment_jobs (
    job_id, domain, status, progress, providers, result, error, requested_by, force,
    created_at, updated_at, expires_at, finished_at)
VALUES (sqlc.arg(job_id)::uuid, sqlc.arg(domain)::text, sqlc.arg(status)::text, sqlc.arg(progress)::int,
        sqlc.arg(providers)::jsonb, sqlc.narg(result)::jsonb, sqlc.narg(error)::text,
        sqlc.arg(requested_by)::text, sqlc.arg(force)::boolean, sqlc.arg(created_at)::timestamptz,
        sqlc.arg(updated_at)::timestamptz, sqlc.arg(expires_at)::timestamptz,
        sqlc.narg(finished_at)::timestamptz)
ON CONFLICT (job_id) DO UPDATE SET
    status = EXCLUDED.status,
    progress = EXCLUDED.progress,
    providers = EXCLUDED.providers,
    result = EXCLUDED.result,
    error = EXCLUDED.error,
    updated_at = EXCLUDED.updated_at,
    finished_at = EXCLUDED.finished_at;

-- name: LastCommittedPosition :one
-- The position of the newest committed event. It may lie above the
-- visibility horizon ReadAll respects while an older transaction is still
-- open; a follower catching up to it waits for the horizon to pass it.
SELECT COALESCE(max(position), 0)::bigint AS position FROM events;
