package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
)

// ProviderRates keeps the providers' call rates in PostgreSQL, shared by
// every instance on the database, when no Redis is configured: one GCRA
// row per provider, moved in one statement (TakeProviderCall), so two
// instances never both take the last call of a burst. It implements
// providers.CallBudget.
type ProviderRates struct {
	pool *pgxpool.Pool
}

// NewProviderRates returns the rates over pool.
func NewProviderRates(pool *pgxpool.Pool) *ProviderRates { return &ProviderRates{pool: pool} }

// TakeCall spends one call of provider's budget (a call every interval,
// burst at once) and returns 0, or spends nothing and returns how long
// until a call fits.
func (r *ProviderRates) TakeCall(ctx context.Context, provider string, interval time.Duration, burst int) (time.Duration, error) {
	if interval <= 0 || burst < 1 {
		return 0, fmt.Errorf("take %s call: interval %s and burst %d, want both above 0", provider, interval, burst)
	}
	row, err := gen.New(r.pool).TakeProviderCall(ctx, gen.TakeProviderCallParams{
		Provider: provider, IntervalSeconds: interval.Seconds(), Burst: int32(burst),
	})
	if err != nil {
		return 0, fmt.Errorf("take %s call: %w", provider, err)
	}
	if row.Taken {
		return 0, nil
	}
	// At least a millisecond: the hint comes from the row as it was before
	// a concurrent caller moved it, and a zero would spin.
	return max(time.Duration(row.WaitSeconds*float64(time.Second)), time.Millisecond), nil
}
