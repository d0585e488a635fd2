-- +goose Up
-- The append-only log: the only source of truth. Nothing ever updates or
-- deletes a row here.
--
-- position orders the whole log. It is derived from the appending
-- transaction's id (transaction_id << 20, plus the event's index within the
-- transaction), so position order is the order in which transactions start
-- writing, and every event with a position below
-- pg_snapshot_xmin(pg_current_snapshot()) << 20 belongs to a finished
-- transaction. A reader that only reads below that horizon can never skip an
-- event that commits later with a lower position (see docs/event-store.md).
CREATE TABLE events (
    position        bigint      PRIMARY KEY,
    stream_id       text        NOT NULL,
    stream_version  bigint      NOT NULL,
    event_id        uuid        NOT NULL,
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL DEFAULT 1,
    data            jsonb       NOT NULL,
    metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version),
    CONSTRAINT events_event_id_key UNIQUE (event_id),
    CONSTRAINT events_stream_version_positive CHECK (stream_version >= 1),
    CONSTRAINT events_stream_id_not_empty CHECK (stream_id <> '')
);

-- Refuse changes to history at the database level too.
-- +goose StatementBegin
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % refused', TG_OP;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();

-- The watermill outbox topic every event is published to, in the same
-- transaction that stores it. The shape is watermill-sql's
-- DefaultPostgreSQLSchema; its publisher cannot create tables inside a
-- transaction, so the table is created here.
CREATE TABLE "watermill_events" (
    "offset"         BIGSERIAL,
    "uuid"           VARCHAR(36) NOT NULL,
    "created_at"     TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "payload"        JSON        DEFAULT NULL,
    "metadata"       JSON        DEFAULT NULL,
    "transaction_id" xid8        NOT NULL,
    PRIMARY KEY ("transaction_id", "offset")
);

-- +goose Down
DROP TABLE "watermill_events";
DROP TABLE events;
DROP FUNCTION events_append_only();
