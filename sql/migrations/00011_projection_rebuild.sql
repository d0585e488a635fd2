-- +goose Up
-- generation counts the times a projection's read model was replaced whole
-- by a rebuild (projections.Runner.Rebuild swaps a shadow table in). A swap
-- may leave the checkpoint where it was while every row may have changed, so
-- response caches keyed on the checkpoint also key on the generation.
ALTER TABLE projection_checkpoints ADD COLUMN generation bigint NOT NULL DEFAULT 0;

-- The event a projection last failed to apply, while it keeps failing: the
-- runner never skips an event, so an event it cannot apply stops the read
-- model there. Recorded outside the failed batch's transaction (which rolls
-- back) and cleared by the next batch that commits; /ready and
-- `partnerforge projections status` report it.
ALTER TABLE projection_checkpoints
    ADD COLUMN failed_position bigint,
    ADD COLUMN failed_event_id uuid,
    ADD COLUMN failed_error    text,
    ADD COLUMN failed_attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN failed_since    timestamptz;

-- +goose Down
ALTER TABLE projection_checkpoints
    DROP COLUMN failed_since,
    DROP COLUMN failed_attempts,
    DROP COLUMN failed_error,
    DROP COLUMN failed_event_id,
    DROP COLUMN failed_position,
    DROP COLUMN generation;
