package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/partnerforge/partnerforge/adapters/enrichment"
	"github.com/partnerforge/partnerforge/adapters/messaging"
	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/wakeup"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
	httpapi "github.com/partnerforge/partnerforge/http"
	"github.com/partnerforge/partnerforge/projections"
	"github.com/partnerforge/partnerforge/web"
)

func newServeCmd(a *app) *cobra.Command {
	var (
		banner   bool
		keyFile  string
		roleName string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "run the HTTP API, the event handlers, the enrichment workers and the projections",
		Long: "serve runs the HTTP API, the event handlers, the enrichment workers and the projections.\n" +
			"On SIGINT or SIGTERM it stops accepting connections, drains in-flight requests, stops the\n" +
			"background work within SHUTDOWN_TIMEOUT and exits 0. With --role api it runs no handlers\n" +
			"and no workers (and needs no provider keys); with --role worker it serves no API, only\n" +
			"/health, /live, /ready and /metrics. Several processes of any roles share one database.",
		Args: exactArgs(),
		RunE: func(*cobra.Command, []string) error {
			r, err := parseRole(roleName)
			if err != nil {
				return err
			}
			cfg, log, err := a.setup()
			if err != nil {
				return err
			}
			var b *bannerOptions
			if banner && r.api() {
				b = &bannerOptions{out: a.stdout, keyFile: keyFile}
			}
			return serve(a.ctx, cfg, log, b, r)
		},
	}
	cmd.Flags().StringVar(&roleName, "role", string(roleAll), "what this process runs: all; api (the HTTP API and the read models); worker (event handlers, enrichment workers and the read models)")
	cmd.Flags().BoolVar(&banner, "banner", false, "once serving, print the URL and commands to try it on stdout")
	cmd.Flags().StringVar(&keyFile, "banner-key-file", "", "a file holding an API key, read by the banner's commands when pasted")
	return cmd
}

// role is what one serve process runs, so the API and the workers can be
// scaled apart. Read models follow the log in every role: an advisory lock
// per projection lets one process apply each batch.
type role string

const (
	roleAll    role = "all"
	roleAPI    role = "api"
	roleWorker role = "worker"
)

func parseRole(s string) (role, error) {
	switch r := role(s); r {
	case roleAll, roleAPI, roleWorker:
		return r, nil
	}
	return "", usageError("serve --role %q: want all, api or worker", s)
}

// api reports whether the role serves the HTTP API.
func (r role) api() bool { return r != roleWorker }

// worker reports whether the role runs the event handlers and the
// enrichment workers.
func (r role) worker() bool { return r != roleAPI }

// serve runs the API until ctx is cancelled (SIGINT/SIGTERM), then stops
// accepting connections, drains in-flight requests, stops the handlers and
// closes the pool, all within cfg.ShutdownTimeout. When banner is not nil,
// it says there how to try the service once everything runs. r says which
// parts run.
func serve(ctx context.Context, cfg Config, log *slog.Logger, banner *bannerOptions, r role) error {
	// The port first: a second instance must be refused before it touches
	// the database, naming what is in the way.
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (HTTP_ADDR): %w; is another partnerforge running? set HTTP_ADDR to another port", cfg.HTTPAddr, err)
	}
	defer ln.Close()

	pool, err := postgres.Connect(ctx, postgres.PoolConfig{
		URL: cfg.DatabaseURL, MinConns: cfg.DBMinConns, MaxConns: cfg.DBMaxConns, IdleInTransactionTimeout: idleInTransactionTimeout,
	})
	if err != nil {
		return err
	}
	defer pool.Close()
	// Appending to a logically restored log would misorder events for good.
	if err := postgres.CheckPositions(ctx, pool); err != nil {
		return err
	}

	migrator, err := postgres.NewMigrator(pool)
	if err != nil {
		return err
	}
	defer migrator.Close()
	if cfg.MigrateOnStart {
		if err := migrator.Up(ctx, log); err != nil {
			return err
		}
	} else if err := requireMigrated(ctx, pool); err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(horizonLagGauge(pool, log))

	store := postgres.NewEventStore(pool)
	// Wake-ups let idle background work rest instead of polling; every
	// append and every queued task pokes them after its commit.
	var wake *wakeup.Wakeups
	if cfg.Wakeups {
		if wake, err = wakeup.New(pool, wakeup.Config{Logger: log}); err != nil {
			return err
		}
		store.OnAppend(wake.Appended)
	}
	// Background work stops on its own context, after HTTP has drained, so
	// no request is accepted whose job nobody would pick up.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var (
		pipeline *enrichment.Pipeline
		events   *message.Router
	)
	if r.worker() {
		budget, closeBudget, err := newCallBudget(cfg, pool, log)
		if err != nil {
			return err
		}
		defer closeBudget()
		if pipeline, err = newPipeline(cfg, pool, store, budget, wake, reg, log); err != nil {
			return err
		}
		wlog := newWatermillLogger(log, workCtx)
		if events, err = messaging.NewRouter(pool, wlog); err != nil {
			return err
		}
		if err := pipeline.AddHandlers(events, wlog); err != nil {
			return err
		}
	}
	enrich := commands.NewRequestEnrichmentHandler(store, domain.EnrichmentPolicy{
		FreshnessWindow: cfg.Enrichment.Freshness, JobTTL: cfg.Enrichment.JobTTL,
	}, cfg.Enrichment.MaxPerRequester, time.Now)
	if pipeline != nil {
		// This process's workers start its own jobs at once; an API-only
		// process leaves them to the workers' dispatcher subscription.
		enrich.Observe(pipeline)
	}
	// The target read routes cache their answers per read-model version.
	targetsVersion := postgres.NewProjectionVersion(pool, projections.TargetsName)
	// Read models: the projections follow the log in the background.
	runnerCfg := projections.Config{PollInterval: cfg.PollInterval, Logger: log}
	if wake != nil {
		runnerCfg.Rest = cfg.FallbackPoll
		runnerCfg.Committed = func(string) { wake.ReadModels() }
	}
	readModels, err := projections.NewRunner(pool, runnerCfg, projections.All()...)
	if err != nil {
		return err
	}
	if wake != nil {
		wake.OnEvents(readModels.Notify)
		wake.OnReadModels(targetsVersion.Notify)
	}
	// Rebuilds asked for over the admin route stop with the service (the
	// live read model then stays) and are waited for before the pool closes.
	rebuilds := projections.NewRebuilds(ctx, readModels, log)
	defer rebuilds.Wait()

	limiter, closeLimiter, err := newRateLimiter(cfg, reg, log)
	if err != nil {
		return err
	}
	defer closeLimiter()

	hasher, err := cfg.keyHasher()
	if err != nil {
		return err
	}
	if cfg.APIKeySalt == "" {
		log.Warn("API_KEY_SALT is not set: API keys are hashed with the public development salt")
	}
	apiKeys := postgres.NewAPIKeys(pool)
	keyUsage := httpapi.NewKeyUsage(apiKeys, log)
	dashboard, err := web.NewHandler(web.Dist())
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	if !dashboard.Built() && r.api() {
		log.Warn("the dashboard was not built into this binary: / explains how (make build)")
	}
	deps := httpapi.Deps{
		Auth: httpapi.NewAuthenticator(httpapi.AuthConfig{Hasher: hasher, Keys: apiKeys, Usage: keyUsage}),
		KeyAdmin: httpapi.KeyAdmin{
			Issue:      commands.NewIssueKeyHandler(store, hasher, time.Now),
			ChangeTier: commands.NewChangeKeyTierHandler(store, time.Now),
			Revoke:     commands.NewRevokeKeyHandler(store, time.Now),
			List:       apiKeys,
		},
		Logger: log,
		Readiness: []httpapi.ReadinessCheck{
			{Name: "database", Check: pool.Ping},
			{Name: "migrations", Check: func(ctx context.Context) error {
				pending, err := migrator.Pending(ctx)
				if err == nil && pending {
					err = errors.New("migrations pending")
				}
				return err
			}},
			// A projection stuck on an event it cannot apply serves a read
			// model that no longer moves: say so rather than look healthy.
			{Name: "projections", Check: readModels.Ready},
			// Advisory: something on the server holds the horizon back.
			{Name: "event_horizon", Warning: "an open transaction on the server holds back the delivery of new events", Check: func(ctx context.Context) error {
				lag, err := postgres.HorizonLag(ctx, pool)
				if err == nil && lag > horizonLagWarning {
					err = fmt.Errorf("the oldest open transaction holding an id is %s old", lag.Round(time.Second))
				}
				return err
			}},
		},
		Metrics:          promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Unavailable:      postgres.Unavailable,
		Enrich:           enrich,
		CORSExtraOrigins: cfg.CORSExtraOrigins,
		Production:       cfg.Environment == "production",
		Reads:            postgres.NewReadModels(pool),
		TargetsVersion:   readCacheVersion(cfg, targetsVersion),
		JobStreams:       store,
		Audit:            projections.NewAudit(pool),
		Rebuilds:         rebuilds,
		RateLimiter:      limiter,
		Events:           store,
		Dashboard:        dashboard,
	}
	router := httpapi.NewRouter(deps)
	if !r.api() {
		router = httpapi.NewProbeRouter(deps)
	}

	srv := &http.Server{
		Handler:           router,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    httpapi.MaxHeaderBytes,
	}
	var (
		wg      sync.WaitGroup
		workErr = make(chan error, 2)
	)
	if r.worker() {
		wg.Add(2)
		go func() { defer wg.Done(); workErr <- wrapErr("watermill router", events.Run(workCtx)) }()
		go func() { defer wg.Done(); workErr <- wrapErr("enrichment workers", pipeline.Run(workCtx)) }()
	}
	wg.Go(func() { _ = readModels.Run(workCtx) }) // retries failed batches itself; returns when stopped
	wg.Go(func() { targetsVersion.Run(workCtx, cfg.idlePoll(), log) })
	if wake != nil {
		wg.Go(func() { _ = wake.Run(workCtx) }) // reconnects itself; returns when stopped
	}
	// Last use is written in batches, and once more when work stops, after
	// HTTP has drained.
	wg.Go(func() { keyUsage.Run(workCtx, httpapi.DefaultUsageFlush) })

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("serving", slog.String("addr", ln.Addr().String()), slog.String("environment", cfg.Environment), slog.String("role", string(r)))
	if banner != nil {
		printBanner(banner.out, ln.Addr(), banner.keyFile)
	}

	var runErr error
	select {
	case err := <-serveErr:
		runErr = fmt.Errorf("http server: %w", err)
	case err := <-workErr:
		runErr = fmt.Errorf("stopped unexpectedly: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", slog.Duration("timeout", cfg.ShutdownTimeout))
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("drain http: %w", err))
	}
	stopWork()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-shutdownCtx.Done():
		runErr = errors.Join(runErr, errors.New("background work did not stop within SHUTDOWN_TIMEOUT"))
	}
	if runErr != nil {
		return runErr
	}
	log.Info("stopped")
	return nil
}

func wrapErr(what string, err error) error {
	if err == nil {
		return fmt.Errorf("%s returned", what)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// idleInTransactionTimeout ends a service session left idle inside a
// transaction: such a session would hold back every follower of the log.
// Handlers' transactions are short; one idle this long is a fault.
const idleInTransactionTimeout = 30 * time.Second

// horizonLagWarning is how long the horizon may be held back before /ready
// warns: handlers' transactions last milliseconds.
const horizonLagWarning = 10 * time.Second

// horizonLagGauge exposes postgres.HorizonLag as
// partnerforge_event_horizon_lag_seconds, read at each scrape.
func horizonLagGauge(pool *pgxpool.Pool, log *slog.Logger) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "partnerforge_event_horizon_lag_seconds",
		Help: "Age of the oldest open transaction holding a transaction id on the server: no subscriber or projection reads events past it until it ends.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		lag, err := postgres.HorizonLag(ctx, pool)
		if err != nil {
			log.Warn("read the event horizon lag", slog.Any("error", err))
			return math.NaN()
		}
		return lag.Seconds()
	})
}

// readCacheVersion is the version the read cache keys on, or nil — no
// cache — when READ_CACHE is off.
func readCacheVersion(cfg Config, v *postgres.ProjectionVersion) httpapi.ReadVersion {
	if !cfg.ReadCache {
		return nil
	}
	return v
}
