package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// ReadinessCheck reports whether a dependency is ready to serve; /ready runs
// every check and answers 503 naming those that failed.
type ReadinessCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// Deps are what the HTTP layer needs from the application.
type Deps struct {
	Logger    *slog.Logger
	Readiness []ReadinessCheck
	// Metrics serves /metrics when set.
	Metrics http.Handler
	// Enrich opens enrichment jobs for POST /api/enrich/{domain}; without
	// it the route answers 503.
	Enrich EnrichmentRequester
	// CORSExtraOrigins are browser origins allowed besides
	// DefaultCORSOrigins (CORS_EXTRA_ORIGINS, see ParseOrigins).
	CORSExtraOrigins []string
	// TargetsVersion, when set, lets the target read routes answer from a
	// cache while the displacement_targets read model stands still.
	TargetsVersion ReadVersion

	// Reads serves the dashboard's read routes; without it they answer 503.
	Reads ReadModels
	// JobStreams lets the job status route answer from the event log, never
	// behind the job's stream; without it the jobs projection answers.
	JobStreams JobStreams
	// Events serves the admin export of the log; without it the route
	// answers 503.
	Events EventLog

	// testAuth, in tests only, stands in for the authentication middleware
	// on the admin routes: it sets the principal that requireTier reads.
	// In production the authentication middleware of the chain sets it.
	testAuth gin.HandlerFunc
}

// NewRouter builds the gin engine with every route and middleware.
func NewRouter(d Deps) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.NoRoute(notFoundRoute)
	r.NoMethod(methodNotAllowed)
	r.Use(middlewareChain(d)...)

	r.GET("/health", writeOK)
	r.GET("/live", writeOK)
	r.GET("/ready", readiness(d.Readiness))
	r.GET("/openapi.json", openAPIDocument)
	if d.Metrics != nil {
		r.GET("/metrics", gin.WrapH(d.Metrics))
	}
	api := r.Group("/api")
	registerReadRoutes(api, d)
	registerEnrichRoutes(api, d)
	registerAdminRoutes(api, d)
	return r
}

// companyRoute takes everything after /api/companies/ as the domain, slashes
// included: a trailing slash, or a website's address pasted whole
// (/api/companies/https://www.costco.com/), finds the company and answers
// JSON. With a one-segment parameter gin would answer such paths with an
// HTML redirect or a 404.
const companyRoute = "/companies/*domain"

// pastedDomain hands h the domain parameter without the leading slash a
// catch-all parameter keeps; domain.ParseDomain reads what remains, scheme,
// path and all.
func pastedDomain(h gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		for i, p := range c.Params {
			if p.Key == "domain" {
				c.Params[i].Value = strings.TrimPrefix(p.Value, "/")
			}
		}
		h(c)
	}
}

func readiness(checks []ReadinessCheck) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		failed := map[string]any{}
		for _, chk := range checks {
			if err := chk.Check(ctx); err != nil {
				failed[chk.Name] = err.Error()
			}
		}
		if len(failed) > 0 {
			abortWithError(c, http.StatusServiceUnavailable, CodeUnavailable, "not ready", failed)
			return
		}
		writeJSON(c, http.StatusOK, gin.H{"status": "ready"})
	}
}

// recoverer turns a panic into the standard INTERNAL error and logs it.
func recoverer(log *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, err any) {
		log.Error("panic serving request", slog.String("path", c.Request.URL.Path), slog.Any("panic", err))
		abortWithError(c, http.StatusInternalServerError, CodeInternal, "internal error", nil)
	})
}
