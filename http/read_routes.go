package httpapi

import "github.com/gin-gonic/gin"

// registerReadRoutes adds the dashboard's read routes (targets, companies,
// jobs, stats).
func registerReadRoutes(api gin.IRouter, d Deps) {}
