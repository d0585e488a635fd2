package projections

import (
	"context"
	"fmt"

	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
	"github.com/partnerforge/partnerforge/domain"
)

// APIKeysName is the api_keys projection's name.
const APIKeysName = "api_keys"

// APIKeys projects the lookup table authentication reads: hash → key id,
// owner, tier, revocation. Last use is kept beside it (api_key_usage) by the
// service, so a rebuild does not forget it.
type APIKeys struct{}

func (APIKeys) Name() string     { return APIKeysName }
func (APIKeys) Tables() []string { return []string{"api_keys"} }

func (APIKeys) Handles(eventType string) bool {
	switch eventType {
	case domain.TypeAPIKeyIssued, domain.TypeAPIKeyTierChanged, domain.TypeAPIKeyRevoked:
		return true
	}
	return false
}

func (APIKeys) Apply(ctx context.Context, db gen.DBTX, _ domain.RecordedEvent, e domain.Event) error {
	q := gen.New(db)
	var err error
	switch e := e.(type) {
	case domain.APIKeyIssued:
		err = q.UpsertAPIKey(ctx, gen.UpsertAPIKeyParams{
			KeyID: e.KeyID, Hash: e.Hash, Owner: e.Owner, Tier: string(e.Tier), Prefix: e.Prefix, CreatedAt: e.IssuedAt,
		})
	case domain.APIKeyTierChanged:
		err = q.SetAPIKeyTier(ctx, gen.SetAPIKeyTierParams{KeyID: e.KeyID, Tier: string(e.To)})
	case domain.APIKeyRevoked:
		err = q.RevokeAPIKey(ctx, gen.RevokeAPIKeyParams{KeyID: e.KeyID, RevokedAt: e.RevokedAt})
	default:
		return fmt.Errorf("api_keys projection: unexpected %s", e.EventType())
	}
	if err != nil {
		return fmt.Errorf("api_keys projection: %s: %w", e.EventType(), err)
	}
	return nil
}
