-- name: UpsertAPIKey :exec
-- The api_keys projection writes a key's row when it is issued.
INSERT INTO api_keys (key_id, hash, owner, tier, prefix, created_at)
VALUES (sqlc.arg(key_id)::uuid, sqlc.arg(hash)::text, sqlc.arg(owner)::text, sqlc.arg(tier)::text,
        sqlc.arg(prefix)::text, sqlc.arg(created_at)::timestamptz)
ON CONFLICT (key_id) DO NOTHING;

-- name: SetAPIKeyTier :exec
UPDATE api_keys SET tier = sqlc.arg(tier)::text WHERE key_id = sqlc.arg(key_id)::uuid;

-- name: RevokeAPIKey :exec
UPDATE api_keys SET revoked_at = COALESCE(revoked_at, sqlc.arg(revoked_at)::timestamptz)
WHERE key_id = sqlc.arg(key_id)::uuid;

-- name: APIKeyByHash :one
-- Authentication: the key whose hash a request's key has.
SELECT key_id, owner, tier, revoked_at FROM api_keys WHERE hash = sqlc.arg(hash)::text;

-- name: ListAPIKeys :many
-- Every key, newest first, without its hash.
SELECT k.key_id, k.owner, k.tier, k.prefix, k.created_at, k.revoked_at, u.last_used_at
FROM api_keys k LEFT JOIN api_key_usage u USING (key_id)
ORDER BY k.created_at DESC, k.key_id;

-- name: TouchAPIKeys :exec
-- Records a batch of uses: one row per key, never moving a time backwards.
INSERT INTO api_key_usage (key_id, last_used_at)
SELECT unnest(sqlc.arg(key_ids)::uuid[]), unnest(sqlc.arg(used_at)::timestamptz[])
ON CONFLICT (key_id) DO UPDATE SET
    last_used_at = GREATEST(api_key_usage.last_used_at, EXCLUDED.last_used_at);
