-- +goose Up
-- The sweeper looks for open jobs past their expiry (OverdueJobs); only open
-- jobs are indexed, so the index stays as small as the jobs in flight.
CREATE INDEX enrichment_jobs_open_expiry ON enrichment_jobs (expires_at)
    WHERE status IN ('pending', 'running');

-- +goose Down
DROP INDEX enrichment_jobs_open_expiry;
