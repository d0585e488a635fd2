package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/partnerforge/partnerforge/adapters/providers/fixtures"
)

// fixturesServe runs local servers that answer like BuiltWith, SimilarWeb
// and Yahoo Finance for the demo domains, with canned failure modes, until
// ctx ends. `make run` points the service at them when no provider keys are
// configured.
func fixturesServe(ctx context.Context, args []string, log *slog.Logger, stdout io.Writer) error {
	fs := flag.NewFlagSet("fixtures serve", flag.ContinueOnError)
	bw := fs.Int("builtwith-port", 9101, "BuiltWith port on 127.0.0.1")
	sw := fs.Int("similarweb-port", 9102, "SimilarWeb port on 127.0.0.1")
	yf := fs.Int("yahoo-port", 9103, "Yahoo Finance port on 127.0.0.1")
	synth := fs.Bool("synthesize", true, "answer for any domain outside the demo set with a made-up private company (names under example.com stay unknown)")
	if len(args) == 0 || args[0] != "serve" {
		return fmt.Errorf("fixtures wants the word serve: %w", errUsage)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("fixtures serve: %w", errUsage)
	}
	s, err := fixtures.Start(ctx, fixtures.Options{BuiltWithPort: *bw, SimilarWebPort: *sw, YahooPort: *yf, Synthesize: *synth})
	if err != nil {
		return fmt.Errorf("start fixture providers: %w", err)
	}
	defer s.Close()
	fmt.Fprintf(stdout, "BUILTWITH_BASE_URL=%s\nSIMILARWEB_BASE_URL=%s\nYAHOO_BASE_URL=%s\nYAHOO_COOKIE_URL=%s\n",
		s.BuiltWith.URL, s.SimilarWeb.URL, s.Yahoo.URL, s.YahooCookieURL())
	log.Info("fixture providers serving", slog.Any("domains", fixtures.Domains()))
	<-ctx.Done()
	return nil
}
