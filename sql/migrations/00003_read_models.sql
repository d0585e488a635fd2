-- +goose Up
-- Read models: disposable views of the event log, rebuilt by replaying it
-- (see projections/). Nothing here is a source of truth; a projection may
-- truncate its tables and start again from position 0 at any time.

-- pg_trgm serves the case-insensitive substring search on company name and
-- domain; it ships with PostgreSQL's contrib package.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Where each projection has got to in the log. A projection writes its read
-- model and its checkpoint in one transaction, so a restart neither skips
-- nor repeats an event.
CREATE TABLE projection_checkpoints (
    name        text        PRIMARY KEY,
    position    bigint      NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per target: the legacy columns under their legacy names (so an
-- imported profile maps onto the row by name), then what enrichment and
-- scoring added. Unknown values are NULL, never '' or 0.
CREATE TABLE displacement_targets (
    domain                    text PRIMARY KEY,
    company_name              text,
    partner_tech              text,
    vertical                  text,
    country                   text,
    city                      text,
    state                     text,
    tech_spend                bigint,
    emails                    jsonb,
    phones                    jsonb,
    socials                   jsonb,
    exec_titles               jsonb,
    sw_monthly_visits         bigint,
    -- Shares are fractions 0–1, as in domain.TargetProfile.
    sw_bounce_rate            double precision,
    sw_pages_per_visit        double precision,
    sw_avg_duration           bigint,
    sw_search_traffic_pct     double precision,
    sw_rank_global            bigint,
    matched_case_studies      jsonb,
    lead_score                bigint,
    created_at                timestamptz,
    icp_tier                  integer,
    icp_score                 integer,
    score_reasons             jsonb,
    icp_tier_name             text,
    score_breakdown           jsonb,
    ticker                    text,
    is_public                 boolean,
    enrichment_level          text,
    last_enriched             timestamptz,
    revenue                   double precision,
    gross_margin              double precision,
    -- Percentage points, as the legacy list kept it (12.5 means +12.5 %).
    traffic_growth            double precision,
    current_search            text,
    trigger_events            jsonb,
    exec_quote                text,
    exec_name                 text,
    exec_title                text,
    quote_source              text,
    competitors_using_algolia jsonb,
    displacement_angle        text,
    financials_json           jsonb,
    hiring_signals            jsonb,
    tech_stack_json           jsonb,

    -- The recorded time of the last event that changed the row.
    updated_at                timestamptz NOT NULL,
    last_job_id               uuid,
    -- NULL while the score is the legacy list's own.
    score_model_version       text,
    excluded                  boolean NOT NULL DEFAULT false,
    excluded_reason           text,
    -- NULL for a target that was enriched but never imported.
    import_batch_id           uuid
);

-- Filters and sorts of GET /api/targets. On the demo's 2,700 rows the
-- planner rightly prefers a sequential scan and an in-memory sort; the
-- indexes matter once the list grows.
CREATE INDEX displacement_targets_tier_score ON displacement_targets (icp_tier, icp_score DESC);
CREATE INDEX displacement_targets_score ON displacement_targets (icp_score DESC NULLS LAST, domain);
CREATE INDEX displacement_targets_vertical ON displacement_targets (vertical);
CREATE INDEX displacement_targets_country ON displacement_targets (country);
CREATE INDEX displacement_targets_partner_tech ON displacement_targets (lower(partner_tech));
CREATE INDEX displacement_targets_name ON displacement_targets (lower(company_name), domain);
CREATE INDEX displacement_targets_last_enriched ON displacement_targets (last_enriched DESC NULLS LAST, domain);
CREATE INDEX displacement_targets_revenue ON displacement_targets (revenue DESC NULLS LAST, domain);
CREATE INDEX displacement_targets_visits ON displacement_targets (sw_monthly_visits DESC NULLS LAST, domain);
CREATE INDEX displacement_targets_name_trgm ON displacement_targets USING gin (company_name gin_trgm_ops);
CREATE INDEX displacement_targets_domain_trgm ON displacement_targets USING gin (domain gin_trgm_ops);
-- Revert finds a batch's rows.
CREATE INDEX displacement_targets_import_batch ON displacement_targets (import_batch_id);

-- Which providers delivered in each job, so that closing a job can tell how
-- complete its enrichment was. Owned by the displacement_targets projection
-- and rebuilt with it.
CREATE TABLE target_job_providers (
    job_id    uuid NOT NULL,
    provider  text NOT NULL,
    PRIMARY KEY (job_id, provider)
);

-- One row per enrichment job, as GET /api/enrich/status and /api/enrich/jobs
-- show it.
CREATE TABLE enrichment_jobs (
    job_id        uuid        PRIMARY KEY,
    domain        text        NOT NULL,
    status        text        NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'partial', 'failed')),
    progress      integer     NOT NULL CHECK (progress BETWEEN 0 AND 100),
    -- {provider: {status, error, attempts, latency_ms, http_status, note}}
    providers     jsonb       NOT NULL,
    -- {score, tier} when completed; {score, tier, failed} when partial;
    -- {failed} when failed.
    result        jsonb,
    error         text,
    requested_by  text        NOT NULL,
    force         boolean     NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    finished_at   timestamptz
);
CREATE INDEX enrichment_jobs_created ON enrichment_jobs (created_at DESC, job_id);
CREATE INDEX enrichment_jobs_requester ON enrichment_jobs (requested_by, created_at DESC, job_id);
CREATE INDEX enrichment_jobs_domain ON enrichment_jobs (domain);

-- +goose Down
DROP TABLE enrichment_jobs;
DROP TABLE target_job_providers;
DROP TABLE displacement_targets;
DROP TABLE projection_checkpoints;
