package providers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/partnerforge/partnerforge/domain"
)

// ErrQuotaExhausted is returned by a Quota when no calls remain today.
var ErrQuotaExhausted = domain.ErrQuotaExhausted

// ErrRateLimitWait wraps the error of waiting for the local rate limiter: the
// request context ended (or would end) before a token was available, so the
// provider was never called.
var ErrRateLimitWait = errors.New("waiting for the provider rate limiter")

// Error is a classified provider failure. Code is what gets stored in a
// ProviderFailed event; the other fields help decide when to try again.
type Error struct {
	Code domain.FailureCode
	// HTTPStatus is the provider's status code, 0 when no answer came.
	HTTPStatus int
	// RetryAfter is how long the provider asked us to wait (429 Retry-After).
	RetryAfter time.Duration
	// Attempts is the number of attempts made before giving up.
	Attempts int
	// Message says what failed, without secrets.
	Message string
	// Err is the underlying cause, if any.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// AsError returns the *Error in err's chain. A non-nil err without one is
// reported as an upstream error so callers always get a code to record;
// a context error becomes a timeout. It returns nil only for a nil err.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if isTimeout(err) || errors.Is(err, context.Canceled) {
		return &Error{Code: domain.FailureTimeout, Err: err}
	}
	return &Error{Code: domain.FailureUpstreamError, Err: err}
}

// Retryable reports whether trying again soon may succeed: timeouts, server
// errors and rate limiting are transient; refusals and bad data are not.
func (e *Error) Retryable() bool {
	switch e.Code {
	case domain.FailureTimeout, domain.FailureUpstreamError:
		return true
	case domain.FailureRateLimited:
		// The provider's own rate limiting passes; a local limiter wait that
		// failed did so because the caller's deadline was too short.
		return !errors.Is(e, ErrRateLimitWait)
	default:
		return false
	}
}

// unhealthy reports whether the failure says the provider is in trouble, the
// only kind that should trip the circuit breaker. A 404 or a refused key means
// the provider answered properly.
func (e *Error) unhealthy() bool {
	if errors.Is(e, context.Canceled) || errors.Is(e, ErrRateLimitWait) {
		return false
	}
	switch e.Code {
	case domain.FailureTimeout, domain.FailureUpstreamError, domain.FailureRateLimited:
		return true
	default:
		return false
	}
}

// StatusError classifies a non-2xx answer by its status alone. Clients call it
// first and then refine (e.g. a 403 whose body speaks of credits becomes
// quota_exhausted). msg should name the call, never include the URL's query.
func StatusError(status int, header http.Header, msg string) *Error {
	e := &Error{HTTPStatus: status, Message: msg}
	switch {
	case status == http.StatusTooManyRequests:
		e.Code = domain.FailureRateLimited
		e.RetryAfter = ParseRetryAfter(header.Get("Retry-After"), time.Now())
	case status >= 500:
		e.Code = domain.FailureUpstreamError
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.Code = domain.FailureUnauthorized
	case status == http.StatusNotFound || status == http.StatusGone:
		e.Code = domain.FailureNotFound
	default:
		// Another 4xx: our request or the provider's contract is wrong;
		// repeating it will not help.
		e.Code = domain.FailureBadResponse
	}
	return e
}

// BadResponse reports an answer that could not be understood.
func BadResponse(status int, msg string, err error) *Error {
	return &Error{Code: domain.FailureBadResponse, HTTPStatus: status, Message: msg, Err: err}
}

// ParseRetryAfter reads a Retry-After header given as delay-seconds or as an
// HTTP-date (RFC 9110 §10.2.3). It returns 0 when absent or unparseable.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// isTimeout recognises a deadline from a context or from the network.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
