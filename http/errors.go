package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/partnerforge/partnerforge/domain"
)

// Error codes of the one error shape every response uses.
const (
	CodeInvalidParameter = "INVALID_PARAMETER"
	CodeInvalidDomain    = "INVALID_DOMAIN"
	CodeNotFound         = "NOT_FOUND"
	CodeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	CodeTooManyJobs      = "TOO_MANY_JOBS"
	CodeRateLimited      = "RATE_LIMITED"
	CodePayloadTooLarge  = "PAYLOAD_TOO_LARGE"
	// CodeUnsupportedMediaType answers a body sent as anything but JSON.
	CodeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	CodeUnavailable          = "UNAVAILABLE"
	CodeInternal             = "INTERNAL"
)

// ErrorBody is {"error":{"code","message","details"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail describes what went wrong; Details names the parameter or
// resource concerned.
type ErrorDetail struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// unavailableRetryAfter is what a 503 for an unreachable database asks a
// client to wait: a restart or fail-over takes seconds.
const unavailableRetryAfter = 2 * time.Second

// abortFailed answers an error no route expected: 503 UNAVAILABLE with
// Retry-After when unavailable says the database cannot be reached right
// now, else 500 INTERNAL. Neither repeats the cause; the caller logs it.
func abortFailed(c *gin.Context, unavailable func(error) bool, err error) {
	if unavailable != nil && unavailable(err) {
		c.Header("Retry-After", strconv.Itoa(int(unavailableRetryAfter/time.Second)))
		abortWithError(c, http.StatusServiceUnavailable, CodeUnavailable, "the database cannot be reached right now; retry shortly", nil)
		return
	}
	abortWithError(c, http.StatusInternalServerError, CodeInternal, "internal error", nil)
}

func abortWithError(c *gin.Context, status int, code, message string, details map[string]any) {
	abortWithJSON(c, status, ErrorBody{Error: ErrorDetail{Code: code, Message: message, Details: details}})
}

func notFoundRoute(c *gin.Context) {
	abortWithError(c, http.StatusNotFound, CodeNotFound, "no route "+echo(c.Request.Method)+" "+echo(c.Request.URL.Path), nil)
}

func methodNotAllowed(c *gin.Context) {
	abortWithError(c, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method "+echo(c.Request.Method)+" is not allowed on "+echo(c.Request.URL.Path), nil)
}

// abortInvalidDomain answers a domain that ParseDomain refused, quoting at
// most maxEchoRunes of what was sent.
func abortInvalidDomain(c *gin.Context, raw string, err error) {
	reason := strings.TrimPrefix(err.Error(), fmt.Sprintf("%v %q: ", domain.ErrInvalidDomain, raw))
	abortWithError(c, http.StatusBadRequest, CodeInvalidDomain,
		fmt.Sprintf("%v %q: %s", domain.ErrInvalidDomain, echo(raw), echo(reason)), map[string]any{"parameter": "domain"})
}
