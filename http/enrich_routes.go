package httpapi

import "github.com/gin-gonic/gin"

// registerEnrichRoutes adds POST /api/enrich/{domain}.
func registerEnrichRoutes(api gin.IRouter, d Deps) {}
