package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	httpapi "github.com/partnerforge/partnerforge/http"
)

// serve runs the API until ctx is cancelled (SIGINT/SIGTERM), then stops
// accepting connections, drains in-flight requests, stops the handlers and
// closes the pool, all within cfg.ShutdownTimeout.
func serve(ctx context.Context, cfg Config, log *slog.Logger) error {
	pool, err := postgres.Connect(ctx, postgres.PoolConfig{URL: cfg.DatabaseURL, MinConns: cfg.DBMinConns, MaxConns: cfg.DBMaxConns})
	if err != nil {
		return err
	}
	defer pool.Close()

	migrator, err := postgres.NewMigrator(pool)
	if err != nil {
		return err
	}
	defer migrator.Close()
	if cfg.MigrateOnStart {
		if err := migrator.Up(ctx, log); err != nil {
			return err
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	router := httpapi.NewRouter(httpapi.Deps{
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
		},
		Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
	})

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (HTTP_ADDR): %w", cfg.HTTPAddr, err)
	}
	srv := &http.Server{
		Handler:           router,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("serving", slog.String("addr", ln.Addr().String()), slog.String("environment", cfg.Environment))

	select {
	case err := <-serveErr:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", slog.Duration("timeout", cfg.ShutdownTimeout))
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("drain http: %w", err)
	}
	log.Info("stopped")
	return nil
}
