package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// Every command answers --help with its usage, without an empty default,
// in any environment: help must not need a valid configuration.
func TestEveryCommandHasHelp(t *testing.T) {
	t.Parallel()
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				walk(sub, append(path[:len(path):len(path)], sub.Name()))
			}
		}
	}
	walk(newRootCmd(&app{}), nil)
	if len(paths) < 15 {
		t.Fatalf("found %d commands: %v", len(paths), paths)
	}
	badEnv := func(string) string { return "loud" }
	for _, path := range paths {
		t.Run(strings.Join(append([]string{"partnerforge"}, path...), " "), func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			if err := run(context.Background(), append(path, "--help"), badEnv, &out); err != nil {
				t.Fatalf("--help: %v", err)
			}
			help := out.String()
			if !strings.Contains(help, "Usage:") || strings.Contains(help, "(default )") || strings.Contains(help, `(default "")`) {
				t.Errorf("--help printed:\n%s", help)
			}
		})
	}
}

func TestShellCompletion(t *testing.T) {
	t.Parallel()
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		t.Run(shell, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			if err := run(context.Background(), []string{"completion", shell}, func(string) string { return "" }, &out); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "partnerforge") {
				t.Errorf("completion %s printed no script for partnerforge:\n%.300s", shell, out.String())
			}
		})
	}
}
