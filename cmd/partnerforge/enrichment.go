package main

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/partnerforge/partnerforge/adapters/enrichment"
	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/adapters/providers/builtwith"
	"github.com/partnerforge/partnerforge/adapters/providers/providerset"
	"github.com/partnerforge/partnerforge/adapters/providers/similarweb"
	"github.com/partnerforge/partnerforge/adapters/providers/yahoo"
	"github.com/partnerforge/partnerforge/adapters/ratelimit"
	"github.com/partnerforge/partnerforge/adapters/wakeup"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

// newCallBudget keeps the providers' call rates where every instance spends
// them: in Redis when REDIS_URL is set, in PostgreSQL otherwise. close
// releases the Redis client.
func newCallBudget(cfg Config, pool *pgxpool.Pool, log *slog.Logger) (budget providers.CallBudget, close func(), err error) {
	if cfg.RedisURL == "" {
		log.Info("provider call rates kept in postgresql, shared by every instance")
		return postgres.NewProviderRates(pool), func() {}, nil
	}
	client, err := ratelimit.NewRedisClient(cfg.RedisURL)
	if err != nil {
		return nil, nil, err
	}
	log.Info("provider call rates kept in redis, shared by every instance")
	return ratelimit.NewProviderCalls(client, redisKeyPrefix), func() { _ = client.Close() }, nil
}

// newPipeline builds the provider clients and the enrichment pipeline;
// budget keeps their call rates. With wake set, workers and handlers rest
// between wake-ups, and queued tasks wake every instance's workers.
func newPipeline(cfg Config, pool *pgxpool.Pool, store *postgres.EventStore, budget providers.CallBudget, wake *wakeup.Wakeups, reg prometheus.Registerer, log *slog.Logger) (*enrichment.Pipeline, error) {
	pc := cfg.Providers
	var missing []error
	if pc.BuiltWithAPIKey == "" {
		missing = append(missing, errors.New("BUILTWITH_API_KEY is required"))
	}
	if pc.SimilarWebAPIKey == "" {
		missing = append(missing, errors.New("SIMILARWEB_API_KEY is required"))
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w (for a local demo, `make run` serves fixture providers and sets them)", errors.Join(missing...))
	}
	pm, err := providers.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	quota := postgres.NewQuota(pool, map[domain.Provider]int{
		domain.ProviderBuiltWith:    pc.BuiltWithQuota,
		domain.ProviderSimilarWeb:   pc.SimilarWebQuota,
		domain.ProviderYahooFinance: pc.YahooQuota,
	}, time.Now)
	fetchers, err := providerset.New(providerset.Config{
		BuiltWith:  builtwith.Config{BaseURL: pc.BuiltWithBaseURL, APIKey: pc.BuiltWithAPIKey},
		SimilarWeb: similarweb.Config{BaseURL: pc.SimilarWebBaseURL, APIKey: pc.SimilarWebAPIKey, Country: pc.SimilarWebCountry},
		Yahoo:      yahoo.Config{BaseURL: pc.YahooBaseURL, CookieURL: pc.YahooCookieURL, TickerMapPath: pc.YahooTickerMap},
		Resilience: providers.Config{
			AttemptTimeout: pc.Timeout, MaxAttempts: uint(pc.MaxAttempts),
			BaseDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second, MaxJitter: 100 * time.Millisecond,
			BreakerFailures: uint32(pc.BreakerFailures), BreakerRecovery: pc.BreakerRecovery,
		},
		Limits: map[domain.Provider]providerset.Limit{
			domain.ProviderBuiltWith:    {Rate: pc.BuiltWithRate, Burst: 2},
			domain.ProviderSimilarWeb:   {Rate: pc.SimilarWebRate, Burst: 5},
			domain.ProviderYahooFinance: {Rate: pc.YahooRate, Burst: 2},
		},
		Budget: budget, Quota: quota, Metrics: pm, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	em, err := enrichment.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	// A fetch may take every attempt at its timeout plus the back-off in
	// between; its lease is renewed meanwhile.
	fetchTimeout := time.Duration(pc.MaxAttempts)*(pc.Timeout+5*time.Second) + 30*time.Second
	deps := enrichment.Deps{
		Pool: pool, Store: store, Queue: postgres.NewWorkQueue(pool), Jobs: commands.NewJobHandler(time.Now),
		Fetchers: fetchers, Metrics: em, Logger: log, Now: time.Now,
	}
	if wake != nil {
		deps.Queue.OnEnqueue(wake.Work)
		deps.Wake = wake
	}
	return enrichment.New(deps, enrichment.Config{
		Workers: cfg.Enrichment.Workers, PollInterval: cfg.PollInterval, Rest: cfg.FallbackPoll,
		Lease: cfg.Enrichment.Lease, FetchTimeout: fetchTimeout,
	})
}
