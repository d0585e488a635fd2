-- +goose Up
-- Provider call rates shared by every instance when no Redis is configured:
-- one GCRA theoretical arrival time per budget (see TakeProviderCall in
-- sql/queries/work.sql). A budget is a provider at one rate, named
-- "builtwith:500000/2" (interval in microseconds / burst), so a changed rate
-- starts afresh instead of waiting out what the old rate scheduled. A row
-- is created by the budget's first call; a few rows per rate ever used.
CREATE TABLE provider_rate (
    budget text        PRIMARY KEY,
    tat    timestamptz NOT NULL
);

-- +goose Down
DROP TABLE provider_rate;
