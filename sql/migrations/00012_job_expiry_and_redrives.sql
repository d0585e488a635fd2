-- +goose Up
-- The sweeper looks for open jobs past their expiry (OverdueJobs); only open
-- jobs are indexed, so the index stays as small as the jobs in flight.
CREATE INDEX enrichment_jobs_open_expiry ON enrichment_jobs (expires_at)
    WHERE status IN ('pending', 'running');

-- What an admin re-drove from the poison queue (watermill_events_poison,
-- which watermill creates and only ever appends to): the entry, when, and
-- how the handler answered this time ('' when it succeeded).
CREATE TABLE poison_redrives (
    poison_offset bigint      PRIMARY KEY,
    redriven_at   timestamptz NOT NULL,
    error         text        NOT NULL
);

-- +goose Down
DROP TABLE poison_redrives;
DROP INDEX enrichment_jobs_open_expiry;
