// Package providerset assembles the three provider clients with their
// resilience (timeouts, retries, circuit breaker, rate limit, daily quota)
// and the BuiltWith → SimilarWeb technologies fallback, the one way the
// service and its tests build them.
package providerset

import (
	"fmt"
	"log/slog"

	"golang.org/x/time/rate"

	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/adapters/providers/builtwith"
	"github.com/partnerforge/partnerforge/adapters/providers/similarweb"
	"github.com/partnerforge/partnerforge/adapters/providers/yahoo"
	"github.com/partnerforge/partnerforge/domain"
)

// Limit is a provider's call rate: Rate calls per second, Burst at once.
type Limit struct {
	Rate  float64
	Burst int
}

// Config is everything needed to build the fetchers.
type Config struct {
	BuiltWith  builtwith.Config
	SimilarWeb similarweb.Config
	Yahoo      yahoo.Config
	// Resilience is shared by all three; Limiter and Quota are set per
	// provider from Limits and Quota.
	Resilience providers.Config
	Limits     map[domain.Provider]Limit
	// Budget, when set, keeps the Limits where every instance spends them
	// (PostgreSQL or Redis), so several instances together keep to them;
	// unset, each instance keeps them in process.
	Budget  providers.CallBudget
	Quota   providers.Quota
	Metrics *providers.Metrics
	Logger  *slog.Logger
}

// New returns one fetcher per provider.
func New(cfg Config) (map[domain.Provider]providers.Fetcher, error) {
	bw, err := builtwith.New(cfg.BuiltWith)
	if err != nil {
		return nil, fmt.Errorf("builtwith: %w", err)
	}
	sw, err := similarweb.New(cfg.SimilarWeb)
	if err != nil {
		return nil, fmt.Errorf("similarweb: %w", err)
	}
	yf, err := yahoo.New(cfg.Yahoo)
	if err != nil {
		return nil, fmt.Errorf("yahoo finance: %w", err)
	}
	limiters := map[domain.Provider]providers.Waiter{}
	resilience := func(p domain.Provider) providers.Config {
		c := cfg.Resilience
		c.Quota, c.Metrics, c.Logger = cfg.Quota, cfg.Metrics, cfg.Logger
		if l, ok := cfg.Limits[p]; ok && l.Rate > 0 {
			if limiters[p] == nil {
				limiters[p] = limiter(cfg, p, l)
			}
			c.Limiter = limiters[p]
		}
		return c
	}
	// The fallback has its own breaker, but shares SimilarWeb's limiter and
	// quota: it spends SimilarWeb calls.
	tech := providers.NewFallback(
		providers.NewResilient(bw, resilience(domain.ProviderBuiltWith)),
		providers.NewResilient(sw.Technologies(), resilience(domain.ProviderSimilarWeb)),
		"technologies")
	return map[domain.Provider]providers.Fetcher{
		domain.ProviderBuiltWith:    tech,
		domain.ProviderSimilarWeb:   providers.NewResilient(sw, resilience(domain.ProviderSimilarWeb)),
		domain.ProviderYahooFinance: providers.NewResilient(yf, resilience(domain.ProviderYahooFinance)),
	}, nil
}

// limiter paces p's calls: through the shared budget when there is one.
func limiter(cfg Config, p domain.Provider, l Limit) providers.Waiter {
	if cfg.Budget != nil {
		return providers.NewSharedRate(cfg.Budget, p, providers.Rate{PerSecond: l.Rate, Burst: l.Burst}, cfg.Logger)
	}
	return rate.NewLimiter(rate.Limit(l.Rate), max(l.Burst, 1))
}
