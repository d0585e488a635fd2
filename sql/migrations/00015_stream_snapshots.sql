-- +goose Up
-- Snapshots of aggregates folded from long streams, so that loading one
-- reads the snapshot and the events after it instead of the whole stream.
-- A snapshot is a cache, never the truth: the events table stays the only
-- source of every decision. One row per stream, replaced by a newer one.
--
-- event_id is the id of the event at stream_version: a reader uses the
-- snapshot only when that very event is stored there, so a snapshot that
-- claims a version the stream never reached, or that was taken of another
-- history, is ignored. format names the aggregate's state shape and the
-- event schema versions it was folded with; a reader asks for its own
-- format, so a snapshot written by another build is ignored too. digest
-- (SHA-256 over stream, version, event id, format and state) detects a
-- state changed after it was written; state is json, not jsonb, so that it
-- reads back byte for byte as it was sealed.
CREATE TABLE stream_snapshots (
    stream_id      text        PRIMARY KEY,
    stream_version bigint      NOT NULL CHECK (stream_version >= 1),
    event_id       uuid        NOT NULL,
    format         text        NOT NULL,
    state          json        NOT NULL,
    digest         bytea       NOT NULL,
    taken_at       timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE stream_snapshots;
