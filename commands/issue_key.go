package commands

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

// IssueKey creates an API key for its owner.
type IssueKey struct {
	Owner    string // email
	Tier     domain.Tier
	IssuedBy string
	Metadata domain.Metadata
}

// IssuedKey is the one answer that holds the raw key: show it to the owner
// and drop it. Nothing stores it.
type IssuedKey struct {
	KeyID  uuid.UUID
	Key    domain.RawKey
	Prefix string
	Owner  string
	Tier   domain.Tier
}

// IssueKeyHandler issues API keys.
type IssueKeyHandler struct {
	repo   Repository
	hasher domain.KeyHasher
	rand   io.Reader
	now    Clock
}

// NewIssueKeyHandler needs the store, the hasher of API_KEY_SALT and a
// clock. Keys draw their randomness from crypto/rand.
func NewIssueKeyHandler(store EventStore, hasher domain.KeyHasher, now Clock) *IssueKeyHandler {
	if store == nil || now == nil {
		panic("commands.NewIssueKeyHandler: nil dependency")
	}
	return &IssueKeyHandler{repo: NewRepository(store), hasher: hasher, rand: rand.Reader, now: now}
}

// Handle makes a new random key and records its issue, with its hash and
// public prefix only, on a new stream.
func (h *IssueKeyHandler) Handle(ctx context.Context, cmd IssueKey) (IssuedKey, error) {
	raw, err := domain.NewRawKey(h.rand)
	if err != nil {
		return IssuedKey{}, err
	}
	id := uuid.New()
	key, err := h.repo.APIKey(ctx, id)
	if err != nil {
		return IssuedKey{}, fmt.Errorf("issue key: %w", err)
	}
	issued, err := key.Issue(domain.IssueKey{
		KeyID: id, Owner: cmd.Owner, Tier: cmd.Tier, Prefix: raw.Prefix(),
		Hash: h.hasher.Hash(raw.Reveal()), IssuedBy: cmd.IssuedBy,
	}, h.now())
	if err != nil {
		return IssuedKey{}, fmt.Errorf("issue key: %w", err)
	}
	meta := cmd.Metadata
	if meta.Actor == "" {
		meta.Actor = cmd.IssuedBy
	}
	if _, err := h.repo.Save(ctx, meta, Change{
		Stream: domain.APIKeyStream(id), Expected: domain.NoStream,
		Events: []domain.Event{issued}, ID: ByType(id.String()),
	}); err != nil {
		return IssuedKey{}, fmt.Errorf("issue key: %w", err)
	}
	return IssuedKey{KeyID: id, Key: raw, Prefix: issued.Prefix, Owner: issued.Owner, Tier: issued.Tier}, nil
}
