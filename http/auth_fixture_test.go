package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// The tests' API keys: a fixed hasher and an in-memory key table. Servers
// built by withTestAuth accept every key testKey made, and every request
// sent through http.DefaultTransport (see TestMain) or withTestKey carries
// testAdminKey unless it names a key of its own.
var (
	testHasher = func() domain.KeyHasher {
		h, err := domain.NewKeyHasher("http tests' salt, long enough")
		if err != nil {
			panic(err)
		}
		return h
	}()
	testKeyTable   = &staticKeys{byHash: map[string]readmodel.KeyIdentity{}}
	testAdminKey   = testKey("admin@example.com", domain.TierAdmin)
	testAdminID    = testKeyTable.idOf(testAdminKey)
	plainTransport = http.DefaultTransport
	// unknownKey has a key's shape but no server knows it.
	unknownKey = domain.KeyPrefix + strings.Repeat("A", 43)
)

// staticKeys is a KeySource over a map.
type staticKeys struct {
	mu     sync.Mutex
	byHash map[string]readmodel.KeyIdentity
}

func (s *staticKeys) KeyByHash(_ context.Context, hash string) (readmodel.KeyIdentity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.byHash[hash]
	if !ok {
		return readmodel.KeyIdentity{}, readmodel.ErrNotFound
	}
	return k, nil
}

func (s *staticKeys) idOf(raw string) uuid.UUID {
	k, _ := s.KeyByHash(context.Background(), testHasher.Hash(raw))
	return k.KeyID
}

// testKey returns the raw key of owner at tier, the same for the same
// arguments, and makes the test servers accept it.
func testKey(owner string, tier domain.Tier) string {
	sum := sha256.Sum256([]byte(owner + "\x00" + string(tier)))
	raw := domain.KeyPrefix + base64.RawURLEncoding.EncodeToString(sum[:])
	testKeyTable.mu.Lock()
	defer testKeyTable.mu.Unlock()
	testKeyTable.byHash[testHasher.Hash(raw)] = readmodel.KeyIdentity{
		KeyID: uuid.NewSHA1(uuid.NameSpaceOID, sum[:]), Owner: owner, Tier: tier,
	}
	return raw
}

// withTestAuth gives d an authenticator over the tests' keys, unless it has
// one.
func withTestAuth(d Deps) Deps {
	if d.Auth == nil {
		d.Auth = NewAuthenticator(AuthConfig{Hasher: testHasher, Keys: testKeyTable})
	}
	return d
}

// keyTransport sends testAdminKey with every request that names no key.
type keyTransport struct{ base http.RoundTripper }

func (t keyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if _, named := req.Header[http.CanonicalHeaderKey(HeaderAPIKey)]; named {
		return t.base.RoundTrip(req)
	}
	req = req.Clone(req.Context())
	req.Header.Set(HeaderAPIKey, testAdminKey)
	return t.base.RoundTrip(req)
}

// withTestKey wraps a client's transport in keyTransport.
func withTestKey(base http.RoundTripper) http.RoundTripper { return keyTransport{base: base} }
