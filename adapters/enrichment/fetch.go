package enrichment

import (
	"context"
	"fmt"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/domain"
)

// fetchOutcome calls the provider for a task and turns what happened into the
// outcome event the job records. Provider text (a failure's message, a
// note) goes through domain.SafeProviderText: events are permanent and
// their text is shown to users, so no key, query string or error page may
// reach them.
func fetchOutcome(ctx context.Context, f providers.Fetcher, t postgres.FetchTask) domain.ProviderOutcome {
	data, meta, err := f.Fetch(ctx, providers.Request{Domain: t.Domain.String(), Ticker: t.Ticker})
	if err == nil {
		return domain.ProviderOutcome{Fetched: &domain.ProviderFetched{
			JobID: t.JobID, Domain: t.Domain, Provider: t.Provider, Data: data,
			LatencyMS: meta.Latency.Milliseconds(), Attempts: meta.Attempts, HTTPStatus: meta.HTTPStatus, Note: domain.SafeProviderText(meta.Note),
		}}
	}
	pe := providers.AsError(err)
	attempts := max(pe.Attempts, meta.Attempts)
	// The message says what was asked and, when there is one, the cause:
	// "decode … answer" alone would not tell a user the provider sent HTML.
	msg := pe.Message
	switch {
	case pe.Err != nil && msg != "":
		msg += ": " + pe.Err.Error()
	case pe.Err != nil:
		msg = pe.Err.Error()
	case msg == "":
		msg = pe.Error()
	}
	return domain.ProviderOutcome{Failed: &domain.ProviderFailed{
		JobID: t.JobID, Domain: t.Domain, Provider: t.Provider, Code: pe.Code,
		HTTPStatus: max(pe.HTTPStatus, meta.HTTPStatus), RetryAfterMS: pe.RetryAfter.Milliseconds(),
		Attempts: attempts, Message: domain.SafeProviderText(msg),
	}}
}

// gaveUp is the outcome of a task that was leased too often without an
// outcome: its workers kept dying on it.
func gaveUp(t postgres.FetchTask) domain.ProviderOutcome {
	return domain.ProviderOutcome{Failed: &domain.ProviderFailed{
		JobID: t.JobID, Domain: t.Domain, Provider: t.Provider, Code: domain.FailureUpstreamError,
		Attempts: t.Leases - 1, Message: fmt.Sprintf("gave up after %d unfinished attempts", t.Leases-1),
	}}
}
