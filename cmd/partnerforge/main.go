// Command partnerforge is the PartnerForge service and its admin tools, in
// one binary: `partnerforge serve` runs the API and event handlers; the other
// subcommands manage the schema and data. This file is the composition root:
// it reads configuration and wires adapters together, and holds no business
// rules.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

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

// errUsage marks an error in how the command was called; main exits 2 on it.
var errUsage = errors.New("see `partnerforge help`")

// usageError wraps errUsage with what was wrong, in the user's terms.
func usageError(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, errUsage)...)
}

// app is what every subcommand shares: the context, the environment it reads
// its configuration from, and where it prints.
type app struct {
	ctx    context.Context
	getenv func(string) string
	stdout io.Writer
	// errOut receives progress reports; nil is os.Stderr.
	errOut io.Writer
}

func (a *app) stderr() io.Writer {
	if a.errOut == nil {
		return os.Stderr
	}
	return a.errOut
}

// setup reads the configuration and builds the logger. Subcommands call it
// themselves, after their arguments were checked, so that `help` and shell
// completion work in any environment and a usage error is reported as one.
func (a *app) setup() (Config, *slog.Logger, error) {
	cfg, err := LoadConfig(a.getenv)
	if err != nil {
		return Config{}, nil, err
	}
	return cfg, newLogger(cfg, os.Stderr), nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	a := &app{ctx: ctx, getenv: getenv, stdout: stdout}
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(os.Stderr)
	return root.ExecuteContext(ctx)
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "partnerforge",
		Short: "displacement-target intelligence",
		Long: "partnerforge — displacement-target intelligence.\n\n" +
			"One binary: `serve` runs the HTTP API, the event handlers, the enrichment workers and the\n" +
			"projections; the other commands manage the schema and the data. Exit status: 0 on success,\n" +
			"1 on an error (including invalid configuration), 2 on a usage error.",
		SilenceErrors: true,
		SilenceUsage:  true,
		// Without a command, print the help and fail as a usage error; an
		// unknown word is a usage error too, not cobra's suggestion text.
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("unknown command %q", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			_ = cmd.Help()
			return usageError("no command")
		},
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError("%s: %v", commandName(cmd), err)
	})
	root.SetHelpTemplate(root.HelpTemplate() + "{{if not .HasParent}}\n" + envHelp() + "{{end}}")
	// A command that only holds subcommands runs just to report a usage
	// error; its usage shows the subcommands, not a bare "[flags]" form.
	root.SetUsageTemplate(strings.Replace(root.UsageTemplate(),
		"{{if .Runnable}}", "{{if and .Runnable (not .HasAvailableSubCommands)}}", 1))
	root.AddCommand(
		newServeCmd(a),
		newMigrateCmd(a),
		newImportCmd(a),
		newProjectionsCmd(a),
		newKeysCmd(a),
		newEventsCmd(a),
		newScoresCmd(a),
		newFixturesCmd(a),
	)
	return root
}

// group makes cmd a command that only holds subcommands: called alone or
// with an unknown word it fails as a usage error naming the choices.
func group(cmd *cobra.Command) *cobra.Command {
	cmd.Args = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageError("%s: unknown command %q (want %s)", commandName(c), args[0], subcommandNames(c))
		}
		return nil
	}
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		return usageError("%s wants one of %s", commandName(c), subcommandNames(c))
	}
	return cmd
}

func subcommandNames(cmd *cobra.Command) string {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return strings.Join(names, ", ")
}

// exactArgs is cobra.ExactArgs as a usage error that names what is missing.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < len(names):
			return usageError("%s: %s is missing", commandName(cmd), names[len(args)])
		case len(args) > len(names):
			return usageError("%s: unexpected arguments %q", commandName(cmd), args[len(names):])
		}
		return nil
	}
}

// envHelp documents every variable, aligned in columns; a variable without a
// default says nothing about one.
func envHelp() string {
	width := 0
	for _, d := range envDocs {
		width = max(width, len(d.name))
	}
	var b strings.Builder
	b.WriteString("Environment (read at start-up; an invalid value stops the command naming the variable):\n")
	for _, d := range envDocs {
		fmt.Fprintf(&b, "  %-*s  %s", width, d.name, d.what)
		if d.def != "" {
			fmt.Fprintf(&b, " (default %s)", d.def)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// printUsage writes `partnerforge help` to w.
func printUsage(w io.Writer) {
	root := newRootCmd(&app{ctx: context.Background(), getenv: func(string) string { return "" }, stdout: w})
	root.SetOut(w)
	_ = root.Help()
}

// commandName is how errors name a command: its path without the binary's
// name, which main already prints first.
func commandName(cmd *cobra.Command) string {
	if !cmd.HasParent() {
		return cmd.Name()
	}
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}
