package httpapi

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// apiPaths are the service's own paths: an unknown path under one of them
// is the API's JSON 404, never the dashboard's index.html, so a client with
// a typo in a route gets an error it can read.
var apiPaths = []string{"/api", "/health", "/live", "/ready", "/metrics", "/openapi.json"}

// dashboardOrNotFound answers what no route matched: GET and HEAD outside
// apiPaths go to the dashboard (its files, or index.html for the app's own
// routes), everything else is the JSON 404.
func dashboardOrNotFound(dashboard http.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		m := c.Request.Method
		if dashboard == nil || (m != http.MethodGet && m != http.MethodHead) || isAPIPath(c.Request.URL.Path) {
			notFoundRoute(c)
			return
		}
		// gin answers 404 unless the handler writes a status; the dashboard
		// always does.
		dashboard.ServeHTTP(c.Writer, c.Request)
		c.Abort()
	}
}

func isAPIPath(p string) bool {
	for _, prefix := range apiPaths {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			return true
		}
	}
	return false
}
