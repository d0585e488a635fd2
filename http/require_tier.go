package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/partnerforge/partnerforge/domain"
)

// CodeForbidden answers a caller whose key may not use the route.
const CodeForbidden = "FORBIDDEN"

// requireTier lets through only callers whose key is of tier min or above.
// The principal is set by the authentication middleware earlier in the
// chain; a request without one (no key, or authentication not configured)
// is refused like a request with too low a tier, so an admin route is never
// open by default.
func requireTier(min domain.Tier) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, ok := principalOf(c)
		if !ok {
			abortWithError(c, http.StatusForbidden, CodeForbidden,
				"this route needs an API key of tier "+string(min), map[string]any{"required_tier": string(min)})
			return
		}
		if !p.Tier.AtLeast(min) {
			abortWithError(c, http.StatusForbidden, CodeForbidden,
				"this route needs an API key of tier "+string(min)+"; this key is "+string(p.Tier),
				map[string]any{"required_tier": string(min), "tier": string(p.Tier)})
			return
		}
		c.Next()
	}
}
