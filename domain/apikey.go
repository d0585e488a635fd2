package domain

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// API key events live on one stream per key. They never hold the raw key:
// only its keyed hash (see KeyHasher) and its short public prefix.
const (
	TypeAPIKeyIssued      = "APIKeyIssued"
	TypeAPIKeyTierChanged = "APIKeyTierChanged"
	TypeAPIKeyRevoked     = "APIKeyRevoked"
)

// APIKeyIssued creates a key for its owner.
type APIKeyIssued struct {
	KeyID uuid.UUID `json:"key_id"`
	Owner string    `json:"owner"`
	Tier  Tier      `json:"tier"`
	// Prefix is the key's public beginning, shown so people can tell
	// their keys apart.
	Prefix string `json:"prefix"`
	// Hash is HMAC-SHA-256(API_KEY_SALT, raw key), hex encoded.
	Hash     string    `json:"hash"`
	IssuedBy string    `json:"issued_by"`
	IssuedAt time.Time `json:"issued_at"`
}

// APIKeyTierChanged moves a key to another tier.
type APIKeyTierChanged struct {
	KeyID     uuid.UUID `json:"key_id"`
	From      Tier      `json:"from"`
	To        Tier      `json:"to"`
	ChangedBy string    `json:"changed_by"`
	ChangedAt time.Time `json:"changed_at"`
}

// APIKeyRevoked ends a key for good.
type APIKeyRevoked struct {
	KeyID     uuid.UUID `json:"key_id"`
	RevokedBy string    `json:"revoked_by"`
	Reason    string    `json:"reason,omitempty"`
	RevokedAt time.Time `json:"revoked_at"`
}

func (APIKeyIssued) EventType() string      { return TypeAPIKeyIssued }
func (APIKeyTierChanged) EventType() string { return TypeAPIKeyTierChanged }
func (APIKeyRevoked) EventType() string     { return TypeAPIKeyRevoked }

func init() {
	decoders[TypeAPIKeyIssued] = decodeAs[APIKeyIssued]
	decoders[TypeAPIKeyTierChanged] = decodeAs[APIKeyTierChanged]
	decoders[TypeAPIKeyRevoked] = decodeAs[APIKeyRevoked]
}

// APIKeyStream is the stream of one key's lifecycle.
func APIKeyStream(id uuid.UUID) string { return "apikey-" + id.String() }

var (
	// ErrInvalidEmail refuses an owner that is not a plain email address.
	ErrInvalidEmail = errors.New("invalid email address")
	// ErrUnknownKey names a key that was never issued.
	ErrUnknownKey = errors.New("no such API key")
	// ErrKeyExists refuses to issue a key id twice.
	ErrKeyExists = errors.New("API key already issued")
	// ErrKeyRevoked refuses to change a revoked key.
	ErrKeyRevoked = errors.New("API key is revoked")
	// ErrNoActor refuses a key change that does not say who made it.
	ErrNoActor = errors.New("no actor named")
)

// maxEmailLength is the longest address SMTP allows.
const maxEmailLength = 254

// MaxRevokeReason bounds the reason stored with a revocation, in characters.
const MaxRevokeReason = 200

// ParseEmail accepts a bare address ("ana@example.com", no display name) and
// returns it in lower case: the owner is the requester of the jobs the key
// opens, and one person should be one requester whatever the case.
func ParseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxEmailLength {
		return "", fmt.Errorf("%w: want 1–%d characters", ErrInvalidEmail, maxEmailLength)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", fmt.Errorf("%w: want a bare address like ana@example.com", ErrInvalidEmail)
	}
	local, host, ok := strings.Cut(s, "@")
	if !ok || local == "" || !strings.Contains(host, ".") || strings.ContainsAny(s, " \"()<>[],;:\\") {
		return "", fmt.Errorf("%w: want a bare address like ana@example.com", ErrInvalidEmail)
	}
	return strings.ToLower(s), nil
}

// APIKey is the aggregate of one key's lifecycle.
type APIKey struct {
	issued  *APIKeyIssued
	tier    Tier
	revoked *APIKeyRevoked
	version int64
}

// LoadAPIKey folds a key's stream.
func LoadAPIKey(events []RecordedEvent) (*APIKey, error) {
	k := &APIKey{}
	for _, re := range events {
		e, err := Decode(re)
		if err != nil {
			return nil, err
		}
		switch e := e.(type) {
		case APIKeyIssued:
			k.issued, k.tier = &e, e.Tier
		case APIKeyTierChanged:
			k.tier = e.To
		case APIKeyRevoked:
			k.revoked = &e
		default:
			return nil, fmt.Errorf("unexpected %s in API key stream %s", e.EventType(), re.StreamID)
		}
		k.version = re.StreamVersion
	}
	return k, nil
}

// Version is the stream version the key was loaded at.
func (k *APIKey) Version() int64 { return k.version }

// Issued is the key's issue record, nil for a key never issued.
func (k *APIKey) Issued() *APIKeyIssued { return k.issued }

// Tier is the key's current tier.
func (k *APIKey) Tier() Tier { return k.tier }

// Revoked reports whether the key was revoked.
func (k *APIKey) Revoked() bool { return k.revoked != nil }

// IssueKey is what issuing a key needs; the hash and prefix come from
// NewKeySecret and KeyHasher, never the raw key itself.
type IssueKey struct {
	KeyID    uuid.UUID
	Owner    string
	Tier     Tier
	Prefix   string
	Hash     string
	IssuedBy string
}

// Issue decides the issue of a new key on a stream that has none.
func (k *APIKey) Issue(req IssueKey, now time.Time) (APIKeyIssued, error) {
	if k.issued != nil {
		return APIKeyIssued{}, fmt.Errorf("issue key %s: %w", req.KeyID, ErrKeyExists)
	}
	owner, err := ParseEmail(req.Owner)
	if err != nil {
		return APIKeyIssued{}, err
	}
	tier, err := ParseTier(string(req.Tier))
	if err != nil {
		return APIKeyIssued{}, err
	}
	switch {
	case req.KeyID == uuid.Nil:
		return APIKeyIssued{}, errors.New("issue key: no key id")
	case !validKeyHash(req.Hash):
		return APIKeyIssued{}, errors.New("issue key: the hash must be 64 hex digits")
	case !strings.HasPrefix(req.Prefix, KeyPrefix) || len(req.Prefix) > len(KeyPrefix)+prefixChars:
		return APIKeyIssued{}, fmt.Errorf("issue key: prefix %q is not a key's public prefix", req.Prefix)
	case strings.TrimSpace(req.IssuedBy) == "":
		return APIKeyIssued{}, fmt.Errorf("issue key: %w", ErrNoActor)
	}
	return APIKeyIssued{
		KeyID: req.KeyID, Owner: owner, Tier: tier, Prefix: req.Prefix, Hash: req.Hash,
		IssuedBy: req.IssuedBy, IssuedAt: now.UTC(),
	}, nil
}

// ChangeTier decides a move to another tier. Asking for the tier the key
// has decides nothing: the request is already satisfied.
func (k *APIKey) ChangeTier(to Tier, by string, now time.Time) ([]Event, error) {
	if err := k.checkChangeable(by); err != nil {
		return nil, err
	}
	to, err := ParseTier(string(to))
	if err != nil {
		return nil, err
	}
	if to == k.tier {
		return nil, nil
	}
	return []Event{APIKeyTierChanged{KeyID: k.issued.KeyID, From: k.tier, To: to, ChangedBy: by, ChangedAt: now.UTC()}}, nil
}

// Revoke decides the end of a key. The reason is kept to MaxRevokeReason
// characters.
func (k *APIKey) Revoke(by, reason string, now time.Time) ([]Event, error) {
	if err := k.checkChangeable(by); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > MaxRevokeReason {
		reason = string([]rune(reason)[:MaxRevokeReason])
	}
	return []Event{APIKeyRevoked{KeyID: k.issued.KeyID, RevokedBy: by, Reason: reason, RevokedAt: now.UTC()}}, nil
}

func (k *APIKey) checkChangeable(by string) error {
	switch {
	case k.issued == nil:
		return ErrUnknownKey
	case k.revoked != nil:
		return fmt.Errorf("key %s: %w", k.issued.KeyID, ErrKeyRevoked)
	case strings.TrimSpace(by) == "":
		return ErrNoActor
	}
	return nil
}
