package providers

import (
	"context"
	"time"

	"github.com/partnerforge/partnerforge/domain"
)

// Request asks a provider about one site.
type Request struct {
	// Domain is a normalised host name such as "costco.com".
	Domain string
	// Ticker is the stock ticker already known for the company, if any. Only
	// Yahoo Finance uses it; when empty the client resolves one itself.
	Ticker string
}

// Meta describes how a fetch went, for logs, metrics and events.
type Meta struct {
	// HTTPStatus is the status of the provider's last answer (0 when none came).
	HTTPStatus int
	// Attempts counts the attempts made at the provider. A client makes one
	// attempt per Fetch (which may take several HTTP requests, e.g. SimilarWeb's
	// metric endpoints); Resilient counts its retries.
	Attempts int
	// Latency is the wall time of the whole fetch, retries included.
	Latency time.Duration
	// Note is a human-readable remark about how the data was obtained, e.g.
	// "builtwith refused (403); technologies from similarweb".
	Note string
	// CreditsRemaining is what the provider says is left of the account's
	// paid credits (BuiltWith's X-API-CREDITS-REMAINING), nil when it did
	// not say.
	CreditsRemaining *int64
}

// Fetcher fetches one provider's view of a site.
//
// On failure the error is (or wraps) an *Error; use AsError to read it.
type Fetcher interface {
	Provider() domain.Provider
	Fetch(ctx context.Context, req Request) (domain.ProviderData, Meta, error)
}

// AppendNote joins remarks with "; " so combinators and clients can add to a
// note without caring whether it is empty.
func AppendNote(note, more string) string {
	switch {
	case more == "":
		return note
	case note == "":
		return more
	default:
		return note + "; " + more
	}
}
