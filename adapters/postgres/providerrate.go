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
// row per provider and rate, moved in one statement (TakeProviderCall), so
// two instances never both take the last call of a burst. A changed rate
// is a budget of its own: GCRA would make a raised rate wait out what the
// slower one had scheduled. It implements providers.CallBudget.
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
	q := gen.New(r.pool)
	budget := fmt.Sprintf("%s:%d/%d", provider, interval.Microseconds(), burst)
	taken, err := q.TakeProviderCall(ctx, gen.TakeProviderCallParams{
		Budget: budget, IntervalSeconds: interval.Seconds(), Burst: int32(burst),
	})
	if err != nil {
		return 0, fmt.Errorf("take %s call: %w", provider, err)
	}
	if taken {
		return 0, nil
	}
	wait, err := q.ProviderCallWait(ctx, gen.ProviderCallWaitParams{
		Budget: budget, IntervalSeconds: interval.Seconds(), Burst: int32(burst),
	})
	if err != nil {
		return 0, fmt.Errorf("read %s call rate: %w", provider, err)
	}
	// At least a millisecond: a call that fits by now is asked for again,
	// not spun on.
	return max(time.Duration(wait*float64(time.Second)), time.Millisecond), nil
}
