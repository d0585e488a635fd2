package commands

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

// ChangeKeyTier moves an API key to another tier.
type ChangeKeyTier struct {
	KeyID     uuid.UUID
	Tier      domain.Tier
	ChangedBy string
	Metadata  domain.Metadata
}

// ChangeKeyTierHandler changes keys' tiers.
type ChangeKeyTierHandler struct {
	repo Repository
	now  Clock
}

// NewChangeKeyTierHandler needs the store and a clock.
func NewChangeKeyTierHandler(store EventStore, now Clock) *ChangeKeyTierHandler {
	if store == nil || now == nil {
		panic("commands.NewChangeKeyTierHandler: nil dependency")
	}
	return &ChangeKeyTierHandler{repo: NewRepository(store), now: now}
}

// Handle records the change; a key already at the tier is left as it is.
// A revoked or unknown key is refused (domain.ErrKeyRevoked,
// domain.ErrUnknownKey).
func (h *ChangeKeyTierHandler) Handle(ctx context.Context, cmd ChangeKeyTier) error {
	return keyChange(ctx, h.repo, cmd.KeyID, withActor(cmd.Metadata, cmd.ChangedBy), "change tier of key",
		func(k *domain.APIKey) ([]domain.Event, error) { return k.ChangeTier(cmd.Tier, cmd.ChangedBy, h.now()) })
}

// keyChange loads a key, decides and saves the decision at the version it
// was decided on, deciding again if another change won the race. Event ids
// derive from the key and the version, so a retried save stores nothing twice.
func keyChange(ctx context.Context, repo Repository, id uuid.UUID, meta domain.Metadata, what string, decide func(*domain.APIKey) ([]domain.Event, error)) error {
	err := repo.Retry(ctx, what+" "+id.String(), func() error {
		key, err := repo.APIKey(ctx, id)
		if err != nil {
			return err
		}
		evs, err := decide(key)
		if err != nil || len(evs) == 0 {
			return err
		}
		_, err = repo.Save(ctx, meta, Change{
			Stream: domain.APIKeyStream(id), Expected: domain.ExactVersion(key.Version()), Events: evs,
			ID: ByType(id.String(), fmt.Sprint(key.Version())),
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, id, err)
	}
	return nil
}

func withActor(meta domain.Metadata, actor string) domain.Metadata {
	if meta.Actor == "" {
		meta.Actor = actor
	}
	return meta
}
