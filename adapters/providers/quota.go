package providers

import (
	"context"

	"github.com/partnerforge/partnerforge/domain"
)

// Quota is a provider's daily call budget, shared by every worker. Take spends
// one call and returns how many remain; when none remain it returns an error
// wrapping ErrQuotaExhausted and spends nothing.
//
// Resilient takes one unit per Fetch (a logical lookup), not per HTTP attempt:
// providers bill lookups, and a retry after a 5xx or 429 is not billed.
type Quota interface {
	Take(ctx context.Context, p domain.Provider) (remaining int64, err error)
}
