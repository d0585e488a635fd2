package httpapi

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// ProjectionRebuilds starts read-model rebuilds in the background and tells
// how they go; projections.Rebuilds implements it.
type ProjectionRebuilds interface {
	Start(name string) (readmodel.RebuildStatus, error)
	Status(name string) (readmodel.RebuildStatus, bool)
}

// RebuildAccepted is the answer of POST /api/admin/projections/{name}/rebuild.
type RebuildAccepted struct {
	readmodel.RebuildStatus
	StatusURL string `json:"status_url"`
}

func registerAdminProjectionRoutes(admin gin.IRouter, d Deps) {
	admin.POST("/projections/:name/rebuild", startRebuild(d.Rebuilds))
	admin.GET("/projections/:name/rebuild", rebuildStatus(d.Rebuilds))
}

// startRebuild serves POST /api/admin/projections/{name}/rebuild: the
// rebuild runs in the background, beside the live read model, which keeps
// serving until the swap.
func startRebuild(r ProjectionRebuilds) gin.HandlerFunc {
	return func(c *gin.Context) {
		if r == nil {
			abortWithError(c, http.StatusServiceUnavailable, CodeUnavailable, "rebuilds are not configured on this server", nil)
			return
		}
		name := c.Param("name")
		st, err := r.Start(name)
		switch {
		case errors.Is(err, readmodel.ErrUnknownProjection):
			abortWithError(c, http.StatusNotFound, CodeNotFound, err.Error(), map[string]any{"projection": echo(name)})
			return
		case errors.Is(err, readmodel.ErrRebuildBusy):
			abortWithError(c, http.StatusConflict, CodeConflict, "a rebuild of "+echo(name)+" is already running",
				map[string]any{"projection": echo(name), "status_url": rebuildURL(name)})
			return
		case err != nil:
			abortWithError(c, http.StatusInternalServerError, CodeInternal, "internal error", nil)
			return
		}
		c.Header("Location", rebuildURL(name))
		writeJSON(c, http.StatusAccepted, RebuildAccepted{RebuildStatus: st, StatusURL: rebuildURL(name)})
	}
}

// rebuildStatus serves GET /api/admin/projections/{name}/rebuild: the last
// rebuild of the projection this instance started.
func rebuildStatus(r ProjectionRebuilds) gin.HandlerFunc {
	return func(c *gin.Context) {
		if r == nil {
			abortWithError(c, http.StatusServiceUnavailable, CodeUnavailable, "rebuilds are not configured on this server", nil)
			return
		}
		name := c.Param("name")
		st, ok := r.Status(name)
		if !ok {
			abortWithError(c, http.StatusNotFound, CodeNotFound, "no rebuild of "+echo(name)+" was started on this instance",
				map[string]any{"projection": echo(name)})
			return
		}
		writeJSON(c, http.StatusOK, st)
	}
}

func rebuildURL(name string) string { return "/api/admin/projections/" + name + "/rebuild" }
