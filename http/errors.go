package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
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
	CodeUnavailable      = "UNAVAILABLE"
	CodeInternal         = "INTERNAL"
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

func abortWithError(c *gin.Context, status int, code, message string, details map[string]any) {
	c.AbortWithStatusJSON(status, ErrorBody{Error: ErrorDetail{Code: code, Message: message, Details: details}})
}

func notFoundRoute(c *gin.Context) {
	abortWithError(c, http.StatusNotFound, CodeNotFound, "no route "+c.Request.Method+" "+c.Request.URL.Path, nil)
}

func methodNotAllowed(c *gin.Context) {
	abortWithError(c, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method "+c.Request.Method+" is not allowed on "+c.Request.URL.Path, nil)
}
