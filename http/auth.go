package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// HeaderAPIKey carries the caller's API key.
const HeaderAPIKey = "X-API-Key"

// openRoutes answer without a key: probes and the API description. Every
// other route, /metrics and any route added later included, needs one.
var openRoutes = map[string]bool{"/health": true, "/live": true, "/ready": true, "/openapi.json": true}

// DefaultKeyCacheTTL is how long an instance trusts what it last read about
// a key. It bounds how long a revoked key or an old tier keeps working here
// after the api_keys projection records the change.
const DefaultKeyCacheTTL = time.Second

// maxCachedKeys bounds the cache: a flood of made-up keys empties it
// rather than growing it.
const maxCachedKeys = 10_000

// KeySource finds a key by its keyed hash; postgres.APIKeys reads the
// api_keys lookup table. An unknown hash is readmodel.ErrNotFound.
type KeySource interface {
	KeyByHash(ctx context.Context, hash string) (readmodel.KeyIdentity, error)
}

// errInvalidKey is an unknown, revoked or malformed key.
var errInvalidKey = errors.New("invalid API key")

// AuthConfig configures an Authenticator.
type AuthConfig struct {
	Hasher domain.KeyHasher
	Keys   KeySource
	// Usage records when each key was last used; nil records nothing.
	Usage *KeyUsage
	// CacheTTL defaults to DefaultKeyCacheTTL.
	CacheTTL time.Duration
	// Now defaults to time.Now.
	Now func() time.Time
}

// Authenticator turns an X-API-Key into the Principal it names. It caches
// lookups by hash for a short time so a request costs no database round
// trip, and never holds the raw key beyond the call.
type Authenticator struct {
	cfg   AuthConfig
	mu    sync.Mutex
	cache map[string]cachedKey
}

type cachedKey struct {
	key     readmodel.KeyIdentity
	found   bool
	expires time.Time
}

// NewAuthenticator returns an authenticator over cfg.Keys.
func NewAuthenticator(cfg AuthConfig) *Authenticator {
	if cfg.Keys == nil {
		panic("httpapi.NewAuthenticator: nil key source")
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = DefaultKeyCacheTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Authenticator{cfg: cfg, cache: map[string]cachedKey{}}
}

// Authenticate returns the caller a key names, errInvalidKey for a key that
// is malformed, unknown or revoked, or the lookup's error.
func (a *Authenticator) Authenticate(ctx context.Context, raw string) (Principal, error) {
	if !domain.LooksLikeKey(raw) {
		return Principal{}, errInvalidKey
	}
	hash := a.cfg.Hasher.Hash(raw)
	now := a.cfg.Now()
	k, err := a.lookup(ctx, hash, now)
	if err != nil {
		return Principal{}, err
	}
	a.cfg.Usage.Record(k.KeyID, now)
	return Principal{KeyID: k.KeyID, Owner: k.Owner, Tier: k.Tier}, nil
}

func (a *Authenticator) lookup(ctx context.Context, hash string, now time.Time) (readmodel.KeyIdentity, error) {
	a.mu.Lock()
	c, ok := a.cache[hash]
	a.mu.Unlock()
	if !ok || !now.Before(c.expires) {
		k, err := a.cfg.Keys.KeyByHash(ctx, hash)
		switch {
		case errors.Is(err, readmodel.ErrNotFound):
		case err != nil:
			return readmodel.KeyIdentity{}, fmt.Errorf("authenticate: %w", err)
		}
		c = cachedKey{key: k, found: err == nil, expires: now.Add(a.cfg.CacheTTL)}
		a.mu.Lock()
		if len(a.cache) >= maxCachedKeys {
			clear(a.cache)
		}
		a.cache[hash] = c
		a.mu.Unlock()
	}
	if !c.found || c.key.Revoked {
		return readmodel.KeyIdentity{}, errInvalidKey
	}
	return c.key, nil
}

// Error codes of authentication and authorisation.
const (
	CodeMissingAPIKey = "MISSING_API_KEY"
	CodeInvalidAPIKey = "INVALID_API_KEY"
	CodeForbidden     = "FORBIDDEN"
)

// authenticate requires a valid X-API-Key on every route but openRoutes and
// records the caller as the request's Principal. A request that matches no
// route needs a key under /api, so the API's shape is not shown to callers
// without one. Neither the key nor any part of it is echoed.
func authenticate(a *Authenticator, log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !needsKey(c) {
			c.Next()
			return
		}
		raw := c.GetHeader(HeaderAPIKey)
		if raw == "" {
			abortWithError(c, http.StatusForbidden, CodeMissingAPIKey, "this route needs an API key in the "+HeaderAPIKey+" header", nil)
			return
		}
		if a == nil {
			abortWithError(c, http.StatusServiceUnavailable, CodeUnavailable, "API keys are not configured on this server", nil)
			return
		}
		p, err := a.Authenticate(c.Request.Context(), raw)
		switch {
		case errors.Is(err, errInvalidKey):
			abortWithError(c, http.StatusForbidden, CodeInvalidAPIKey, "the API key is unknown or revoked", nil)
			return
		case err != nil:
			log.LogAttrs(c.Request.Context(), slog.LevelError, "authenticate",
				slog.String("request_id", RequestID(c.Request.Context())), slog.String("error", err.Error()))
			abortWithError(c, http.StatusServiceUnavailable, CodeUnavailable, "cannot check API keys right now; retry shortly", nil)
			return
		}
		setPrincipal(c, p)
		c.Next()
	}
}

func needsKey(c *gin.Context) bool {
	if route := c.FullPath(); route != "" {
		return !openRoutes[route]
	}
	p := c.Request.URL.Path
	return p == "/api" || len(p) > 4 && p[:5] == "/api/"
}

// requireTier refuses a caller whose key's tier is below min.
func requireTier(min domain.Tier) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, ok := principalOf(c)
		if !ok || !p.Tier.AtLeast(min) {
			abortWithError(c, http.StatusForbidden, CodeForbidden,
				fmt.Sprintf("this route needs a %s key", min), map[string]any{"required_tier": string(min)})
			return
		}
		c.Next()
	}
}
