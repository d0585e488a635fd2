package httpapi

import (
	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

// Principal is the caller an API key identifies: set by the authentication
// middleware, read by the rate limiter and by handlers that record who asked.
// It never holds the raw key.
type Principal struct {
	KeyID uuid.UUID
	Owner string // the key owner's email; the requester of the jobs it opens
	Tier  domain.Tier
}

const principalKey = "partnerforge.principal"

// setPrincipal records the authenticated caller on the request.
func setPrincipal(c *gin.Context, p Principal) { c.Set(principalKey, p) }

// principalOf returns the authenticated caller, if the request has one.
func principalOf(c *gin.Context) (Principal, bool) {
	v, ok := c.Get(principalKey)
	if !ok {
		return Principal{}, false
	}
	p, ok := v.(Principal)
	return p, ok
}
