package readmodel

import (
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

// APIKey is a key as the admin listing shows it: never the key, never its
// hash.
type APIKey struct {
	KeyID     uuid.UUID
	Owner     string
	Tier      domain.Tier
	Prefix    string
	CreatedAt time.Time
	// LastUsedAt and RevokedAt are nil when the key was never used, or is
	// not revoked.
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// KeyIdentity is what authentication learns from a key's hash.
type KeyIdentity struct {
	KeyID   uuid.UUID
	Owner   string
	Tier    domain.Tier
	Revoked bool
}
