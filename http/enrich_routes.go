package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

// EnrichmentRequester opens enrichment jobs; commands.RequestEnrichmentHandler
// implements it.
type EnrichmentRequester interface {
	Handle(ctx context.Context, cmd commands.RequestEnrichment) (commands.EnrichmentAccepted, error)
}

// tooManyJobsRetryAfter is what a refused requester is told to wait. Jobs
// usually finish within a minute, freeing a slot; a longer hint would idle
// the dashboard, a shorter one would have it hammer the API.
const tooManyJobsRetryAfter = 30 * time.Second

// Job status words the enrich route answers with. A new job is pending; a
// reused one may be anywhere in its life, which this route does not know,
// so it says only that the request was accepted (the status URL tells more).
const (
	enrichStatusPending  = "pending"
	enrichStatusAccepted = "accepted"
)

// maxProviderName is longer than any provider's name.
const maxProviderName = 32

// enrichRequestBody is the optional body of POST /api/enrich/{domain}.
type enrichRequestBody struct {
	Force     bool     `json:"force"`
	Providers []string `json:"providers"`
	// Add makes the domain a target when it is not one yet.
	Add bool `json:"add"`
}

// enrichBodyFields names the body's fields for error messages, with what
// each must be.
var enrichBodyFields = map[string]string{
	"force":     "true or false",
	"add":       "true or false",
	"providers": "a list of provider names (builtwith, similarweb, yahoo_finance)",
}

// EnrichResponse is the 202 answer: where to follow the job.
type EnrichResponse struct {
	JobID     string `json:"job_id"`
	Domain    string `json:"domain"`
	Status    string `json:"status"`
	StatusURL string `json:"status_url"`
	// Reused is "in_flight" when the request joined a running job and
	// "fresh" when the target was enriched recently; absent for a new job.
	Reused string `json:"reused,omitempty"`
}

// registerEnrichRoutes adds POST /api/enrich/{domain}.
func registerEnrichRoutes(api gin.IRouter, d Deps) {
	api.POST("/enrich/:domain", enrich(d.Enrich, d.Logger, d.Unavailable))
}

func enrich(h EnrichmentRequester, log *slog.Logger, unavailable func(error) bool) gin.HandlerFunc {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return func(c *gin.Context) {
		if h == nil {
			abortWithError(c, http.StatusServiceUnavailable, CodeUnavailable, "enrichment is not configured on this server", nil)
			return
		}
		target, err := domain.ParseDomain(c.Param("domain"))
		if err != nil {
			abortInvalidDomain(c, c.Param("domain"), err)
			return
		}
		who, ok := requesterOf(c)
		if !ok {
			abortWithError(c, http.StatusForbidden, CodeMissingAPIKey, "this route needs an API key in the "+HeaderAPIKey+" header", nil)
			return
		}
		body, ok := readEnrichBody(c)
		if !ok {
			return
		}
		// No providers named means "whatever is stale", which the target
		// decides; so only a named list is parsed.
		var providers []domain.Provider
		if body.Providers != nil {
			if len(body.Providers) == 0 {
				abortWithError(c, http.StatusBadRequest, CodeInvalidParameter,
					"providers must name at least one provider, or be left out for every provider whose data is stale",
					map[string]any{"parameter": "providers"})
				return
			}
			// Provider names are short; a long one is refused here so the
			// parser's message, which quotes it, stays short too.
			for _, name := range body.Providers {
				if len(name) > maxProviderName {
					abortWithError(c, http.StatusBadRequest, CodeInvalidParameter,
						fmt.Sprintf("unknown provider %q (want one of builtwith, similarweb, yahoo_finance)", echo(name)),
						map[string]any{"parameter": "providers"})
					return
				}
			}
			var err error
			if providers, err = domain.ParseProviders(body.Providers); err != nil {
				abortWithError(c, http.StatusBadRequest, CodeInvalidParameter, err.Error(), map[string]any{"parameter": "providers"})
				return
			}
		}
		ctx := c.Request.Context()
		reqID := RequestID(ctx)
		accepted, err := h.Handle(ctx, commands.RequestEnrichment{
			Domain: target, Force: body.Force, Providers: providers, Add: body.Add, RequestedBy: who,
			EnrichmentsPerDay: enrichmentsPerDay(c),
			Metadata:          domain.Metadata{CorrelationID: reqID, RequestID: reqID, Actor: who},
		})
		if err != nil {
			enrichFailed(c, log, unavailable, target, err)
			return
		}
		resp := EnrichResponse{
			JobID:     accepted.JobID.String(),
			Domain:    target.String(),
			Status:    enrichStatusPending,
			StatusURL: "/api/enrich/status/" + accepted.JobID.String(),
			Reused:    reuseNames[accepted.Reused],
		}
		if accepted.Reused != domain.NewJob {
			resp.Status = enrichStatusAccepted
		}
		c.Header("Location", resp.StatusURL)
		writeJSON(c, http.StatusAccepted, resp)
	}
}

// reuseNames are the API's words for a request answered by an existing job.
var reuseNames = map[domain.Reuse]string{domain.ReusedInFlight: "in_flight", domain.ReusedFresh: "fresh"}

// readEnrichBody decodes the optional JSON body strictly: an empty body means
// the defaults, unknown fields and trailing data are refused so a typo such
// as "provider" cannot silently enrich with every provider. It answers the
// error itself and reports whether to go on.
func readEnrichBody(c *gin.Context) (enrichRequestBody, bool) {
	var body enrichRequestBody
	_, ok := readJSONBody(c, &body, bodyError)
	return body, ok
}

// bodyError says what is wrong with a request body in the caller's terms,
// not the decoder's ("cannot unmarshal string into Go struct field …"), and
// names the parameter concerned.
func bodyError(err error) (message, parameter string) {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		field, _, _ := strings.Cut(typeErr.Field, ".")
		if want, ok := enrichBodyFields[field]; ok {
			return field + " must be " + want, field
		}
		return "the body must be a JSON object", "body"
	case errors.As(err, &typeErr):
		return "the body must be a JSON object such as {\"force\": true}", "body"
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is not valid JSON", "body"
	case errors.Is(err, errTrailingJSON):
		return "the body must be exactly one JSON object", "body"
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return fmt.Sprintf("unknown field %q in the body (allowed: add, force, providers)", echo(name)), "body"
	}
	return "invalid JSON body: " + echo(err.Error()), "body"
}

// requesterOf names who asks: the owner of the calling API key, an email
// address (domain.ParseEmail), which also names the requester's stream.
func requesterOf(c *gin.Context) (string, bool) {
	p, ok := principalOf(c)
	if !ok || p.Owner == "" {
		return "", false
	}
	return p.Owner, true
}

// enrichmentsPerDay is the caller's daily budget of new jobs: their key
// tier's, or 0 (none) for a request without a principal. The command counts
// it from the requester's own events, so it is exact across instances and
// restarts.
func enrichmentsPerDay(c *gin.Context) int {
	if p, ok := principalOf(c); ok {
		return p.Tier.Limits().EnrichmentsPerDay
	}
	return 0
}

// enrichFailed maps the command's errors to the API's codes. Anything
// unexpected is logged with the request id and answered as INTERNAL without
// its text, which may name tables or hosts.
func enrichFailed(c *gin.Context, log *slog.Logger, unavailable func(error) bool, target domain.Domain, err error) {
	var (
		tooMany *domain.TooManyJobsError
		daily   *domain.DailyLimitError
	)
	switch {
	case errors.As(err, &daily):
		refuseDailyEnrichments(c, daily, time.Now())
	case errors.As(err, &tooMany):
		c.Header("Retry-After", strconv.Itoa(int(tooManyJobsRetryAfter/time.Second)))
		abortWithError(c, http.StatusTooManyRequests, CodeTooManyJobs,
			fmt.Sprintf("you have %d enrichment jobs in flight and the limit is %d; retry when one finishes", tooMany.Open, tooMany.Limit),
			map[string]any{"open": tooMany.Open, "limit": tooMany.Limit})
	case errors.Is(err, domain.ErrTooManyJobs):
		c.Header("Retry-After", strconv.Itoa(int(tooManyJobsRetryAfter/time.Second)))
		abortWithError(c, http.StatusTooManyRequests, CodeTooManyJobs,
			"too many enrichment jobs in flight for this requester; retry when one finishes", nil)
	case errors.Is(err, domain.ErrNotATarget):
		abortWithError(c, http.StatusNotFound, CodeNotFound,
			fmt.Sprintf(`%s is not a target; to add it and enrich it, send {"add": true} in the body`, echo(target.String())),
			map[string]any{"domain": echo(target.String())})
	case errors.Is(err, domain.ErrInvalidDomain):
		abortWithError(c, http.StatusBadRequest, CodeInvalidDomain, "invalid domain", map[string]any{"parameter": "domain"})
	case errors.Is(err, domain.ErrConcurrencyConflict):
		// Only after many lost races to concurrent changes of the same
		// target or requester: asking again shortly will do.
		log.LogAttrs(c.Request.Context(), slog.LevelWarn, "request enrichment gave up on conflicts",
			slog.String("request_id", RequestID(c.Request.Context())), slog.String("error", err.Error()))
		c.Header("Retry-After", strconv.Itoa(int(unavailableRetryAfter/time.Second)))
		abortWithError(c, http.StatusServiceUnavailable, CodeUnavailable,
			"too many concurrent changes to this target or requester; retry shortly", nil)
	case errors.Is(err, domain.ErrNoRequester):
		abortWithError(c, http.StatusForbidden, CodeMissingAPIKey, "no requester: this route needs an API key", nil)
	default:
		log.LogAttrs(c.Request.Context(), slog.LevelError, "request enrichment failed",
			slog.String("request_id", RequestID(c.Request.Context())), slog.String("error", err.Error()))
		abortFailed(c, unavailable, err)
	}
}
