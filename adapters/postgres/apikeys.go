package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// APIKeys reads the api_keys lookup table and records key use.
type APIKeys struct {
	q *gen.Queries
}

// NewAPIKeys works through db.
func NewAPIKeys(db gen.DBTX) *APIKeys {
	if db == nil {
		panic("postgres.NewAPIKeys: nil db")
	}
	return &APIKeys{q: gen.New(db)}
}

// KeyByHash finds the key with a hash, or readmodel.ErrNotFound.
func (k *APIKeys) KeyByHash(ctx context.Context, hash string) (readmodel.KeyIdentity, error) {
	row, err := k.q.APIKeyByHash(ctx, hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return readmodel.KeyIdentity{}, fmt.Errorf("key: %w", readmodel.ErrNotFound)
	}
	if err != nil {
		return readmodel.KeyIdentity{}, fmt.Errorf("look up key: %w", err)
	}
	return readmodel.KeyIdentity{KeyID: row.KeyID, Owner: row.Owner, Tier: domain.Tier(row.Tier), Revoked: row.RevokedAt.Valid}, nil
}

// ListKeys lists every key, newest first.
func (k *APIKeys) ListKeys(ctx context.Context) ([]readmodel.APIKey, error) {
	rows, err := k.q.ListAPIKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	out := make([]readmodel.APIKey, len(rows))
	for i, r := range rows {
		out[i] = readmodel.APIKey{
			KeyID: r.KeyID, Owner: r.Owner, Tier: domain.Tier(r.Tier), Prefix: r.Prefix, CreatedAt: r.CreatedAt,
			LastUsedAt: optTime(r.LastUsedAt), RevokedAt: optTime(r.RevokedAt),
		}
	}
	return out, nil
}

// TouchKeys records when each key was last used, in one statement.
func (k *APIKeys) TouchKeys(ctx context.Context, used map[uuid.UUID]time.Time) error {
	if len(used) == 0 {
		return nil
	}
	p := gen.TouchAPIKeysParams{KeyIds: make([]uuid.UUID, 0, len(used)), UsedAt: make([]time.Time, 0, len(used))}
	for id, at := range used {
		p.KeyIds = append(p.KeyIds, id)
		p.UsedAt = append(p.UsedAt, at)
	}
	if err := k.q.TouchAPIKeys(ctx, p); err != nil {
		return fmt.Errorf("record key use: %w", err)
	}
	return nil
}

func optTime(t pgtype.Timestamptz) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}
