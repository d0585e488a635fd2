// Command partnerforge is the PartnerForge service and its admin tools, in
// one binary: `partnerforge serve` runs the API and event handlers; the other
// subcommands manage the schema and data. This file is the composition root:
// it reads configuration and wires adapters together, and holds no business
// rules.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `partnerforge — displacement-target intelligence

Usage:
  partnerforge serve                 run the HTTP API and event handlers
  partnerforge migrate up|down|status
  partnerforge import sqlite PATH [--report FILE] [--actor NAME]
                                     import a legacy SQLite list (idempotent per file)
  partnerforge import demo [--rows N] [--out PATH] [--report FILE]
                                     generate the demo list (2,687 targets) and import it
  partnerforge import revert BATCH_ID
                                     withdraw the targets an import brought in
  partnerforge projections status|rebuild NAME|all
                                     read-model positions, or replay one from the log
  partnerforge keys create --email E --tier standard|power|admin [--json]
                                     issue an API key; prints it this once
  partnerforge keys list [--json]    every key, without the keys themselves
  partnerforge keys revoke KEY_ID [--reason TEXT]
  partnerforge keys set-tier KEY_ID standard|power|admin
  partnerforge fixtures serve [--builtwith-port N --similarweb-port N --yahoo-port N]
                                     local servers that answer like the three providers
  partnerforge help                  this text and the environment variables

Environment:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "partnerforge:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("see `partnerforge help`")

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		printUsage(stdout)
		return fmt.Errorf("no command: %w", errUsage)
	}
	cmd, rest := args[0], args[1:]
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		printUsage(stdout)
		return nil
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel)
	switch cmd {
	case "serve":
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		if err := fs.Parse(rest); err != nil {
			return fmt.Errorf("serve: %w", errUsage)
		}
		return serve(ctx, cfg, log)
	case "migrate":
		return migrate(ctx, cfg, log, rest, stdout)
	case "import":
		return importCmd(ctx, cfg, rest, stdout)
	case "projections":
		return projectionsCmd(ctx, cfg, log, rest, stdout)
	case "fixtures":
		return fixturesServe(ctx, rest, log, stdout)
	case "keys":
		return keysCmd(ctx, cfg, rest, stdout)
	default:
		return fmt.Errorf("unknown command %q: %w", cmd, errUsage)
	}
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, usage)
	for _, d := range envDocs {
		fmt.Fprintf(w, "  %-22s %s (default %s)\n", d.name, d.what, d.def)
	}
}
