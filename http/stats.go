package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// stats serves GET /api/stats: target counts per tier, vertical, country
// and enrichment level.
func (rr *readRoutes) stats(c *gin.Context) {
	s, err := rr.reads.Stats(c.Request.Context())
	if err != nil {
		rr.internal(c, err)
		return
	}
	writeJSON(c, http.StatusOK, s)
}
