package commands

import (
	"context"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

// RevokeKey ends an API key for good.
type RevokeKey struct {
	KeyID     uuid.UUID
	RevokedBy string
	Reason    string
	Metadata  domain.Metadata
}

// RevokeKeyHandler revokes keys.
type RevokeKeyHandler struct {
	repo Repository
	now  Clock
}

// NewRevokeKeyHandler needs the store and a clock.
func NewRevokeKeyHandler(store EventStore, now Clock) *RevokeKeyHandler {
	if store == nil || now == nil {
		panic("commands.NewRevokeKeyHandler: nil dependency")
	}
	return &RevokeKeyHandler{repo: NewRepository(store), now: now}
}

// Handle records the revocation. A key revoked before is refused with
// domain.ErrKeyRevoked, an unknown one with domain.ErrUnknownKey.
func (h *RevokeKeyHandler) Handle(ctx context.Context, cmd RevokeKey) error {
	return keyChange(ctx, h.repo, cmd.KeyID, withActor(cmd.Metadata, cmd.RevokedBy), "revoke key",
		func(k *domain.APIKey) ([]domain.Event, error) { return k.Revoke(cmd.RevokedBy, cmd.Reason, h.now()) })
}
