package httpapi

import "github.com/gin-gonic/gin"

// securityHeaders sets the headers every response carries, errors and
// preflights included. nosniff stops a browser from guessing a type other
// than the declared JSON, so an answer that echoes input can never be run
// as a script or rendered as a page. The dashboard's pages add their own
// Content-Security-Policy (web.ContentSecurityPolicy): only they are HTML.
func securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("X-Content-Type-Options", "nosniff")
		c.Next()
	}
}
