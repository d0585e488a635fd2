-- +goose Up
-- watermill subscribers now read the events table itself (see
-- adapters/messaging.EventsSchema), so the outbox copy is gone. The consumer
-- groups' offsets counted rows of the old table: they are dropped, and every
-- handler, being idempotent, sees the log once more from the start.
DROP TABLE IF EXISTS "watermill_offsets_events";
DROP TABLE "watermill_events";

-- +goose Down
CREATE TABLE "watermill_events" (
    "offset"         BIGSERIAL,
    "uuid"           VARCHAR(36) NOT NULL,
    "created_at"     TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "payload"        JSON        DEFAULT NULL,
    "metadata"       JSON        DEFAULT NULL,
    "transaction_id" xid8        NOT NULL,
    PRIMARY KEY ("transaction_id", "offset")
);
