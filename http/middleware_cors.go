package httpapi

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// DefaultCORSOrigins are the dashboard's development servers (Next.js and
// Vite), allowed outside production only. Deployed dashboards are added with
// CORS_EXTRA_ORIGINS.
var DefaultCORSOrigins = []string{"http://localhost:3000", "http://localhost:5173"}

// The CORS contract: what a browser on an allowed origin may send and read.
const (
	corsAllowMethods  = "GET, POST, PATCH, DELETE, OPTIONS"
	corsAllowHeaders  = "Content-Type, X-Request-ID, X-API-Key, If-None-Match"
	corsExposeHeaders = "ETag, X-Request-ID, Location, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"
	corsMaxAge        = "600" // seconds a browser may cache a preflight answer
)

// ParseOrigins splits a comma-separated origin list such as
// CORS_EXTRA_ORIGINS, trimming blanks and trailing slashes (browsers send
// origins without one).
func ParseOrigins(list string) []string {
	var out []string
	for o := range strings.SplitSeq(list, ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			out = append(out, o)
		}
	}
	return out
}

// corsOrigins are the origins a server built from d allows: the local
// development servers only outside production, where any page on the
// user's machine could claim them, plus the configured extra origins.
func corsOrigins(d Deps) []string {
	var out []string
	if !d.Production {
		out = append(out, DefaultCORSOrigins...)
	}
	return append(out, d.CORSExtraOrigins...)
}

// cors lets the dashboard's origins call the API from a browser. Requests
// from other origins are served without CORS headers, so the browser keeps
// their responses from the page; non-browser clients are unaffected.
// Preflights end here with 204 whatever the origin.
func cors(origins []string) gin.HandlerFunc {
	allowed := map[string]bool{}
	for _, o := range origins {
		allowed[strings.TrimRight(o, "/")] = true
	}
	return func(c *gin.Context) {
		origin := c.GetHeader("Origin")
		h := c.Writer.Header()
		preflight := c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != ""
		if origin != "" {
			// The answer depends on Origin: shared caches must key on it.
			h.Add("Vary", "Origin")
		}
		if origin != "" && allowed[origin] {
			h.Set("Access-Control-Allow-Origin", origin)
			if preflight {
				h.Add("Vary", "Access-Control-Request-Method")
				h.Add("Vary", "Access-Control-Request-Headers")
				h.Set("Access-Control-Allow-Methods", corsAllowMethods)
				h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
				h.Set("Access-Control-Max-Age", corsMaxAge)
			} else {
				h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
			}
		}
		if preflight {
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		c.Next()
	}
}
