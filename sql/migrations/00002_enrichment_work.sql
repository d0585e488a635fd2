-- +goose Up
-- The work queue of the enrichment pipeline. It is operational state, not
-- truth: rows are derived from EnrichmentRequested events by the dispatcher
-- and removed when the job finishes. Provider fetches run outside any
-- subscriber transaction; a worker leases a task, fetches, appends the
-- outcome with a deterministic event id and deletes the task, so a crash at
-- any point is resumed by another lease without duplicate events.
CREATE TABLE enrichment_work (
    job_id      uuid        PRIMARY KEY,
    domain      text        NOT NULL,
    ticker      text        NOT NULL DEFAULT '',
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX enrichment_work_expires_at ON enrichment_work (expires_at);

CREATE TABLE fetch_tasks (
    job_id       uuid        NOT NULL REFERENCES enrichment_work (job_id) ON DELETE CASCADE,
    provider     text        NOT NULL,
    leases       integer     NOT NULL DEFAULT 0,
    lease_until  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, provider)
);
CREATE INDEX fetch_tasks_claimable ON fetch_tasks (lease_until NULLS FIRST, created_at);

-- Daily provider budgets survive restarts.
CREATE TABLE provider_quota (
    provider  text    NOT NULL,
    day       date    NOT NULL,
    used      integer NOT NULL DEFAULT 0 CHECK (used >= 0),
    PRIMARY KEY (provider, day)
);

-- +goose Down
DROP TABLE provider_quota;
DROP TABLE fetch_tasks;
DROP TABLE enrichment_work;
