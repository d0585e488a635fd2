package providers

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/partnerforge/partnerforge/domain"
)

// Fallback asks Secondary when Primary refuses. It reports itself as Primary's
// provider, so the data lands where Primary's would have (BuiltWith's tech
// stack filled from SimilarWeb's technographics, say), and says so in
// Meta.Note. Wrap each side in its own Resilient so each keeps its own
// breaker, limiter and quota.
type Fallback struct {
	Primary   Fetcher
	Secondary Fetcher
	// When decides which Primary failures justify asking Secondary
	// (default: Refused).
	When func(*Error) bool
	// What names the data in Meta.Note, e.g. "technologies" (default "data").
	What string
}

// NewFallback builds a Fallback that triggers on Refused; what names the data
// in notes. A nil secondary leaves primary alone, so callers can wire an
// optional fallback uniformly.
func NewFallback(primary, secondary Fetcher, what string) Fetcher {
	if secondary == nil {
		return primary
	}
	return &Fallback{Primary: primary, Secondary: secondary, When: Refused, What: what}
}

// Refused reports a provider that will not serve us now: a 403 or 429 (after
// any retries), however worded, a refused key or a used-up quota. Outages and
// timeouts are not refusals, nor is our own rate limiter running out of time.
func Refused(e *Error) bool {
	if errors.Is(e, ErrRateLimitWait) {
		return false
	}
	switch e.Code {
	case domain.FailureQuotaExhausted, domain.FailureUnauthorized, domain.FailureRateLimited:
		return true
	default:
		return e.HTTPStatus == http.StatusForbidden || e.HTTPStatus == http.StatusTooManyRequests
	}
}

// Provider is Primary's provider.
func (f *Fallback) Provider() domain.Provider { return f.Primary.Provider() }

// Fetch tries Primary, then Secondary when Primary refused. When both fail the
// Primary error is returned (it is the provider the caller asked about), with
// the Secondary failure in its message.
func (f *Fallback) Fetch(ctx context.Context, req Request) (domain.ProviderData, Meta, error) {
	data, meta, err := f.Primary.Fetch(ctx, req)
	if err == nil {
		return data, meta, nil
	}
	perr := AsError(err)
	when := f.When
	if when == nil {
		when = Refused
	}
	if !when(perr) || ctx.Err() != nil {
		return data, meta, err
	}
	sdata, smeta, serr := f.Secondary.Fetch(ctx, req)
	if serr != nil {
		e := *perr
		e.Message = AppendNote(e.Message, fmt.Sprintf("fallback to %s failed: %s", f.Secondary.Provider(), AsError(serr).Code))
		return data, meta, &e
	}
	why := string(perr.Code)
	if perr.HTTPStatus != 0 {
		why = fmt.Sprint(perr.HTTPStatus)
	}
	smeta.Attempts += max(meta.Attempts, perr.Attempts)
	smeta.Latency += meta.Latency
	what := f.What
	if what == "" {
		what = "data"
	}
	smeta.Note = AppendNote(fmt.Sprintf("%s refused (%s); %s from %s", f.Primary.Provider(), why, what, f.Secondary.Provider()), smeta.Note)
	return sdata, smeta, nil
}
