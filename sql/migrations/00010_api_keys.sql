-- +goose Up
-- The API key lookup table, projected from the key streams. It holds the
-- keyed hash of each key (HMAC-SHA-256 with API_KEY_SALT), never the key.
CREATE TABLE api_keys (
    key_id      uuid PRIMARY KEY,
    hash        text NOT NULL UNIQUE,
    owner       text NOT NULL,
    tier        text NOT NULL,
    prefix      text NOT NULL,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);

-- When each key was last used. Use is not an event, so it lives beside the
-- projection's table: rebuilding api_keys from the log keeps it. The service
-- writes it in batches, at most once per key per flush.
CREATE TABLE api_key_usage (
    key_id        uuid PRIMARY KEY,
    last_used_at  timestamptz NOT NULL
);

-- +goose Down
DROP TABLE api_key_usage;
DROP TABLE api_keys;
