-- +goose Up
-- Provider call rates shared by every instance when no Redis is configured:
-- one GCRA theoretical arrival time per provider (see TakeProviderCall in
-- sql/queries/work.sql). A row is created by the first call.
CREATE TABLE provider_rate (
    provider text        PRIMARY KEY,
    tat      timestamptz NOT NULL
);

-- +goose Down
DROP TABLE provider_rate;
