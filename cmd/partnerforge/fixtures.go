package main

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/partnerforge/partnerforge/adapters/providers/fixtures"
)

// newFixturesCmd is `partnerforge fixtures serve`: local servers that answer
// like BuiltWith, SimilarWeb and Yahoo Finance for the demo domains, with
// canned failure modes, until interrupted. `make run` points the service at
// them when no provider keys are configured.
func newFixturesCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "fixtures",
		Short: "local servers that answer like the three providers",
	})
	var opts fixtures.Options
	serve := &cobra.Command{
		Use:   "serve",
		Short: "serve the fixture providers on 127.0.0.1 until interrupted",
		Args:  exactArgs(),
		RunE: func(*cobra.Command, []string) error {
			_, log, err := a.setup()
			if err != nil {
				return err
			}
			s, err := fixtures.Start(a.ctx, opts)
			if err != nil {
				return fmt.Errorf("start fixture providers: %w", err)
			}
			defer s.Close()
			fmt.Fprintf(a.stdout, "BUILTWITH_BASE_URL=%s\nSIMILARWEB_BASE_URL=%s\nYAHOO_BASE_URL=%s\nYAHOO_COOKIE_URL=%s\n",
				s.BuiltWith.URL, s.SimilarWeb.URL, s.Yahoo.URL, s.YahooCookieURL())
			log.Info("fixture providers serving", slog.Int("domains", len(fixtures.Domains())))
			<-a.ctx.Done()
			return nil
		},
	}
	f := serve.Flags()
	f.IntVar(&opts.BuiltWithPort, "builtwith-port", 9101, "BuiltWith `PORT` on 127.0.0.1 (0: any free port)")
	f.IntVar(&opts.SimilarWebPort, "similarweb-port", 9102, "SimilarWeb `PORT` on 127.0.0.1 (0: any free port)")
	f.IntVar(&opts.YahooPort, "yahoo-port", 9103, "Yahoo Finance `PORT` on 127.0.0.1 (0: any free port)")
	f.BoolVar(&opts.Synthesize, "synthesize", true, "answer for any domain outside the demo set with a made-up private company (names under example.com stay unknown)")
	cmd.AddCommand(serve)
	return cmd
}
