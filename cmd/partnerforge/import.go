package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/legacysqlite"
	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

// importCmd runs `partnerforge import sqlite|revert|demo`.
func importCmd(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("import wants sqlite, revert or demo: %w", errUsage)
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("import "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	reportPath := fs.String("report", "", "write the import report as JSON to this file")
	actor := fs.String("actor", defaultActor(), "who runs the import, recorded with its events")
	rows := fs.Int("rows", legacysqlite.DemoRowsFor(legacysqlite.DemoRows), "demo: legacy rows to generate")
	out := fs.String("out", "", "demo: where to write the generated SQLite file (default: a temporary file)")
	pos, err := parseInterleaved(fs, rest)
	if err != nil {
		return fmt.Errorf("import %s: %v: %w", sub, err, errUsage)
	}
	switch {
	case sub == "sqlite" && len(pos) == 1:
		return withStore(ctx, cfg, func(store *postgres.EventStore) error {
			return importFile(ctx, store, pos[0], *actor, *reportPath, stdout)
		})
	case sub == "demo" && len(pos) == 0:
		path, cleanup, err := writeDemo(ctx, *out, *rows)
		if err != nil {
			return err
		}
		defer cleanup()
		fmt.Fprintf(stdout, "generated %d legacy rows in %s\n", *rows, path)
		return withStore(ctx, cfg, func(store *postgres.EventStore) error {
			return importFile(ctx, store, path, *actor, *reportPath, stdout)
		})
	case sub == "revert" && len(pos) == 1:
		batch, err := uuid.Parse(pos[0])
		if err != nil {
			return fmt.Errorf("import revert: batch id %q is not a UUID: %w", pos[0], errUsage)
		}
		return withStore(ctx, cfg, func(store *postgres.EventStore) error {
			return revertBatch(ctx, store, batch, *actor, stdout)
		})
	}
	return fmt.Errorf("import %s: unexpected arguments %q: %w", sub, pos, errUsage)
}

// parseInterleaved parses flags that may follow positional arguments, as in
// `import sqlite list.db --report r.json`.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func defaultActor() string {
	if u := os.Getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}

func withStore(ctx context.Context, cfg Config, fn func(*postgres.EventStore) error) error {
	pool, err := postgres.Connect(ctx, postgres.PoolConfig{URL: cfg.DatabaseURL, MaxConns: 4})
	if err != nil {
		return err
	}
	defer pool.Close()
	return fn(postgres.NewEventStore(pool))
}

// writeDemo generates the demo list at path, or in a temporary directory
// that cleanup removes.
func writeDemo(ctx context.Context, path string, rows int) (string, func(), error) {
	cleanup := func() {}
	if path == "" {
		dir, err := os.MkdirTemp("", "partnerforge-demo-")
		if err != nil {
			return "", nil, fmt.Errorf("import demo: %w", err)
		}
		cleanup = func() { _ = os.RemoveAll(dir) }
		path = filepath.Join(dir, "legacy-demo.sqlite")
	}
	if err := legacysqlite.WriteDemo(ctx, path, rows, legacysqlite.DemoSeed); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("import demo: %w", err)
	}
	return path, cleanup, nil
}

// importReport is what --report writes: the batch's fate and the reader's
// account of every row.
type importReport struct {
	BatchID         uuid.UUID           `json:"batch_id"`
	Source          string              `json:"source"`
	Checksum        string              `json:"checksum"`
	Imported        int                 `json:"imported"`
	AlreadyImported int                 `json:"already_imported"`
	Legacy          legacysqlite.Report `json:"legacy"`
}

func importFile(ctx context.Context, store *postgres.EventStore, path, actor, reportPath string, stdout io.Writer) error {
	checksum, err := fileChecksum(path)
	if err != nil {
		return err
	}
	started := time.Now()
	read, err := legacysqlite.Read(ctx, path, normalizeDomain, func(done, total int) {
		if total > 500 {
			fmt.Fprintf(stdout, "read %d/%d rows\n", done, total)
		}
	})
	if err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	legacyReport, err := json.Marshal(read.Report)
	if err != nil {
		return fmt.Errorf("import %s: encode report: %w", path, err)
	}
	cmd := commands.ImportTargets{Source: filepath.Base(path), Checksum: checksum, Report: legacyReport, Actor: actor}
	for _, t := range read.Targets {
		cmd.Targets = append(cmd.Targets, commands.LegacyTarget{Profile: t.Profile, SourceRowID: t.SourceRowID, MergedRowIDs: t.MergedRowIDs})
	}
	res, err := commands.NewImportTargetsHandler(store, time.Now).Handle(ctx, cmd, func(done, total int) {
		if total > 500 {
			fmt.Fprintf(stdout, "appended %d/%d targets\n", done, total)
		}
	})
	if err != nil {
		return err
	}
	printImport(stdout, res, read.Report, time.Since(started))
	if reportPath == "" {
		return nil
	}
	out, err := json.MarshalIndent(importReport{
		BatchID: res.BatchID, Source: cmd.Source, Checksum: checksum,
		Imported: res.Imported, AlreadyImported: res.AlreadyImported, Legacy: read.Report,
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(reportPath, append(out, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

func normalizeDomain(raw string) (string, error) {
	d, err := domain.ParseDomain(raw)
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

func fileChecksum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("import: read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// maxListed bounds how many rejections and warnings the summary repeats;
// --report has them all.
const maxListed = 10

func printImport(w io.Writer, res commands.ImportResult, rep legacysqlite.Report, took time.Duration) {
	fmt.Fprintf(w, "import batch %s (%s)\n", res.BatchID, took.Round(time.Millisecond))
	fmt.Fprintf(w, "  rows read         %6d\n", rep.RowsRead)
	fmt.Fprintf(w, "  targets           %6d\n", rep.TargetsImported)
	fmt.Fprintf(w, "  merged rows       %6d  (into %d targets)\n", rep.Merged, len(rep.Merges))
	fmt.Fprintf(w, "  rejected rows     %6d\n", rep.Rejected)
	for i, r := range rep.Rejections {
		if i == maxListed {
			fmt.Fprintf(w, "    … %d more in --report\n", len(rep.Rejections)-maxListed)
			break
		}
		fmt.Fprintf(w, "    row %d (%s): %s\n", r.RowID, strconv.Quote(r.RawDomain), r.Reason)
	}
	fmt.Fprintf(w, "  warnings          %6d\n", len(rep.Warnings))
	if len(rep.MissingColumns) > 0 {
		fmt.Fprintf(w, "  missing columns   %v\n", rep.MissingColumns)
	}
	fmt.Fprintf(w, "  imported now      %6d\n", res.Imported)
	fmt.Fprintf(w, "  already imported  %6d\n", res.AlreadyImported)
	if res.Imported == 0 && res.AlreadyImported > 0 {
		fmt.Fprintln(w, "already imported: nothing to do")
	}
}

func revertBatch(ctx context.Context, store *postgres.EventStore, batch uuid.UUID, actor string, stdout io.Writer) error {
	res, err := commands.NewRevertImportHandler(store, time.Now).Handle(ctx, commands.RevertImport{BatchID: batch, Actor: actor}, nil)
	if errors.Is(err, domain.ErrUnknownBatch) {
		return fmt.Errorf("%w (the batch id is printed by `partnerforge import`)", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "reverted batch %s\n", batch)
	fmt.Fprintf(stdout, "  withdrawn now     %6d\n", res.Reverted)
	fmt.Fprintf(stdout, "  already withdrawn %6d\n", res.AlreadyReverted)
	fmt.Fprintf(stdout, "  kept (re-imported by a later batch) %d\n", res.Superseded)
	return nil
}
