package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// KeyPrefix begins every API key, so a key found in a log or a repository
// is recognisable as ours.
const KeyPrefix = "pf_live_"

const (
	// keyRandomBytes is how much randomness a key carries.
	keyRandomBytes = 32
	// prefixChars of the random part are public: with KeyPrefix they let
	// people tell their keys apart, and they leave 232 secret bits.
	prefixChars = 4
	// MinSaltBytes is the shortest API_KEY_SALT accepted.
	MinSaltBytes = 16
)

// rawKeyLength is the length of every key NewRawKey makes.
var rawKeyLength = len(KeyPrefix) + base64.RawURLEncoding.EncodedLen(keyRandomBytes)

// RawKey is an API key as the client sends it. It is shown once, when the
// key is issued, and never stored: its String, LogValue and JSON forms are
// redacted so that it cannot reach a log line or a response by accident;
// Reveal is the one deliberate way to the secret.
type RawKey struct{ s string }

// NewRawKey makes a key from keyRandomBytes of rand (crypto/rand.Reader in
// production).
func NewRawKey(rand io.Reader) (RawKey, error) {
	b := make([]byte, keyRandomBytes)
	if _, err := io.ReadFull(rand, b); err != nil {
		return RawKey{}, fmt.Errorf("new API key: read random bytes: %w", err)
	}
	return RawKey{s: KeyPrefix + base64.RawURLEncoding.EncodeToString(b)}, nil
}

// Reveal returns the secret, for the one answer that shows it.
func (k RawKey) Reveal() string { return k.s }

// Prefix is the key's public beginning.
func (k RawKey) Prefix() string {
	if len(k.s) < len(KeyPrefix)+prefixChars {
		return ""
	}
	return k.s[:len(KeyPrefix)+prefixChars]
}

func (k RawKey) String() string               { return k.Prefix() + "…(redacted)" }
func (k RawKey) GoString() string             { return k.String() }
func (k RawKey) LogValue() slog.Value         { return slog.StringValue(k.String()) }
func (k RawKey) MarshalJSON() ([]byte, error) { return []byte(`"` + k.String() + `"`), nil }

// LooksLikeKey reports whether s has the shape of a key NewRawKey makes, so
// junk is refused without a lookup.
func LooksLikeKey(s string) bool {
	if len(s) != rawKeyLength || !strings.HasPrefix(s, KeyPrefix) {
		return false
	}
	for i := len(KeyPrefix); i < len(s); i++ {
		switch ch := s[i]; {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9', ch == '-', ch == '_':
		default:
			return false
		}
	}
	return true
}

// KeyHasher computes the keyed hash under which a key is stored and looked
// up: HMAC-SHA-256 with the server's secret salt. Without the salt a stolen
// table or event log cannot be used to test guessed keys.
type KeyHasher struct{ salt []byte }

// ErrWeakSalt refuses a salt shorter than MinSaltBytes.
var ErrWeakSalt = errors.New("API key salt too short")

// NewKeyHasher returns a hasher with salt.
func NewKeyHasher(salt string) (KeyHasher, error) {
	if len(salt) < MinSaltBytes {
		return KeyHasher{}, fmt.Errorf("%w: want at least %d bytes", ErrWeakSalt, MinSaltBytes)
	}
	return KeyHasher{salt: []byte(salt)}, nil
}

// Hash returns the key's hash as 64 hex digits.
func (h KeyHasher) Hash(raw string) string {
	if len(h.salt) == 0 {
		panic("domain.KeyHasher: zero value; use NewKeyHasher")
	}
	m := hmac.New(sha256.New, h.salt)
	m.Write([]byte(raw))
	return hex.EncodeToString(m.Sum(nil))
}

func validKeyHash(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}
