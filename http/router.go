package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/partnerforge/partnerforge/adapters/ratelimit"
	"github.com/partnerforge/partnerforge/domain"
)

// ReadinessCheck reports whether a dependency is ready to serve; /ready runs
// every check and answers 503 naming those that failed, with a generic
// reason (the error itself goes to the log: it may name hosts or users).
type ReadinessCheck struct {
	Name  string
	Check func(ctx context.Context) error
	// Warning, when set, makes the check advisory: a failure leaves the
	// service ready and is listed under "warnings" with this fixed text
	// (the error itself goes to the log).
	Warning string
}

// Deps are what the HTTP layer needs from the application.
type Deps struct {
	Logger    *slog.Logger
	Readiness []ReadinessCheck
	// Auth checks the X-API-Key of every route but /health, /live, /ready
	// and /openapi.json; without it those routes answer 503 to any key.
	Auth *Authenticator
	// KeyAdmin serves /api/admin/keys.
	KeyAdmin KeyAdmin
	// Metrics serves /metrics, to admin keys, when set.
	Metrics http.Handler
	// Enrich opens enrichment jobs for POST /api/enrich/{domain}; without
	// it the route answers 503.
	Enrich EnrichmentRequester
	// CORSExtraOrigins are browser origins allowed besides
	// DefaultCORSOrigins (CORS_EXTRA_ORIGINS, see ParseOrigins).
	CORSExtraOrigins []string
	// Production drops the local development origins (DefaultCORSOrigins)
	// from CORS: in production only CORSExtraOrigins are allowed.
	Production bool
	// TargetsVersion, when set, lets the target read routes answer from a
	// cache while the displacement_targets read model stands still.
	TargetsVersion ReadVersion

	// Reads serves the dashboard's read routes; without it they answer 503.
	Reads ReadModels
	// JobStreams lets the job status route answer from the event log, never
	// behind the job's stream; without it the jobs projection answers.
	JobStreams JobStreams
	// Audit serves the auditors' history, score-change and as-of reads;
	// without it they answer 503.
	Audit AuditLog

	// Unavailable reports whether an error means the database cannot be
	// reached right now (refused, dropped, shutting down or starting up):
	// such a failure answers 503 with Retry-After, which a client may retry,
	// rather than 500. Without it every unexpected error is a 500.
	Unavailable func(error) bool

	// RateLimiter keeps the per-minute read and write budgets of API keys
	// (ratelimit.Memory for one instance, Redis behind ratelimit.Fallback
	// for several); without it they are not limited.
	RateLimiter ratelimit.Limiter

	// withoutAuth leaves authentication out of the chain: the baseline of
	// the rate-limit benchmark. Unexported, so no deployment can set it.
	withoutAuth bool

	// Events serves the admin export of the log; without it the route
	// answers 503.
	Events EventLog

	// Rebuilds runs read-model rebuilds for the admin routes; without it
	// they answer 503.
	Rebuilds ProjectionRebuilds

	// Dashboard serves the web app (package web) on every GET that matches
	// no route outside the API's paths; without it those answer the JSON 404.
	Dashboard http.Handler
}

// NewRouter builds the gin engine with every route and middleware.
func NewRouter(d Deps) *gin.Engine {
	r := newProbeRouter(d)
	r.GET("/openapi.json", openAPIDocument)
	api := r.Group("/api")
	registerReadRoutes(api, d)
	registerEnrichRoutes(api, d)
	registerAdminRoutes(api, d)
	return r
}

// NewProbeRouter serves a process that runs no API (`serve --role
// worker`): /health, /live, /ready and, to admin keys, /metrics, with the
// same middleware as NewRouter; no dashboard. Only Auth, Logger, Readiness
// and Metrics of d are used.
func NewProbeRouter(d Deps) *gin.Engine {
	d.Dashboard = nil
	return newProbeRouter(d)
}

func newProbeRouter(d Deps) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.NoRoute(dashboardOrNotFound(d.Dashboard))
	r.NoMethod(methodNotAllowed)
	r.Use(middlewareChain(d)...)

	r.GET("/health", writeOK)
	r.GET("/live", writeOK)
	r.GET("/ready", readiness(d.Readiness, d.Logger))
	if d.Metrics != nil {
		r.GET("/metrics", requireTier(domain.TierAdmin), gin.WrapH(d.Metrics))
	}
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

// readinessFailed is the one reason /ready gives for a failed check.
const readinessFailed = "not ready"

func readiness(checks []ReadinessCheck, log *slog.Logger) gin.HandlerFunc {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		failed, warnings := map[string]any{}, map[string]string{}
		for _, chk := range checks {
			err := chk.Check(ctx)
			if err == nil {
				continue
			}
			log.LogAttrs(ctx, slog.LevelWarn, "readiness check failed",
				slog.String("request_id", RequestID(ctx)), slog.String("check", chk.Name), slog.String("error", err.Error()))
			if chk.Warning != "" {
				warnings[chk.Name] = chk.Warning
				continue
			}
			failed[chk.Name] = readinessFailed
		}
		if len(failed) > 0 {
			abortWithError(c, http.StatusServiceUnavailable, CodeUnavailable, "not ready", failed)
			return
		}
		answer := gin.H{"status": "ready"}
		if len(warnings) > 0 {
			answer["warnings"] = warnings
		}
		writeJSON(c, http.StatusOK, answer)
	}
}

// recoverer turns a panic into the standard INTERNAL error and logs it with
// its stack, the one clue to where it happened.
func recoverer(log *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, err any) {
		log.LogAttrs(c.Request.Context(), slog.LevelError, "panic serving request",
			slog.String("request_id", RequestID(c.Request.Context())),
			slog.String("path", c.Request.URL.Path), slog.Any("panic", err),
			slog.String("stack", string(debug.Stack())))
		abortWithError(c, http.StatusInternalServerError, CodeInternal, "internal error", nil)
	})
}
