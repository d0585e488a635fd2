-- +goose Up
-- A target's enrichment level now follows from what is known of it (the
-- sources each ScoreComputed names), not from which providers delivered in
-- its last job, so the per-job memory of deliveries is no longer needed.
-- Rebuild displacement_targets after upgrading to correct levels that a
-- partial refresh lowered before.
DROP TABLE target_job_providers;

-- +goose Down
CREATE TABLE target_job_providers (
    job_id    uuid NOT NULL,
    provider  text NOT NULL,
    PRIMARY KEY (job_id, provider)
);
