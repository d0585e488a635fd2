package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/partnerforge/partnerforge/adapters/legacysqlite"
	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/wakeup"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

// newImportCmd is `partnerforge import sqlite|demo|revert|restore`.
func newImportCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "import",
		Short: "import legacy target lists, withdraw an import, or bring one back",
	})
	actor := cmd.PersistentFlags().String("actor", defaultActor(), "who runs the command, recorded with its events")

	var sqliteReport string
	sqlite := &cobra.Command{
		Use:   "sqlite PATH",
		Short: "import a legacy SQLite list (importing the same file again adds nothing)",
		Args:  exactArgs("the path of the SQLite file (PATH)"),
		RunE: func(_ *cobra.Command, args []string) error {
			return a.withStore(func(store *postgres.EventStore) error {
				return importFile(a.ctx, store, args[0], *actor, sqliteReport, a.stdout)
			})
		},
	}
	sqlite.Flags().StringVar(&sqliteReport, "report", "", "write the import report as JSON to `FILE`")

	var (
		demoReport, demoOut string
		rows                int
	)
	demo := &cobra.Command{
		Use:   "demo",
		Short: "generate the deterministic demo list and import it",
		Args:  exactArgs(),
		RunE: func(*cobra.Command, []string) error {
			if rows < 1 {
				return usageError("import demo: --rows must be at least 1, got %d", rows)
			}
			if demoOut == "" {
				return a.withStore(func(store *postgres.EventStore) error {
					return importDemo(a.ctx, store, rows, *actor, demoReport, a.stdout)
				})
			}
			return a.withStore(func(store *postgres.EventStore) error {
				path, cleanup, err := writeDemo(a.ctx, demoOut, rows)
				if err != nil {
					return err
				}
				defer cleanup()
				fmt.Fprintf(a.stdout, "generated %d legacy rows in %s\n", rows, path)
				return importFile(a.ctx, store, path, *actor, demoReport, a.stdout)
			})
		},
	}
	demo.Flags().IntVar(&rows, "rows", legacysqlite.DemoRowsFor(legacysqlite.DemoRows), "legacy rows to generate")
	demo.Flags().StringVar(&demoOut, "out", "", "write the whole list to a SQLite file at `PATH` first and import that file (otherwise rows are generated and imported in chunks, as they come)")
	demo.Flags().StringVar(&demoReport, "report", "", "write the import report as JSON to `FILE`")

	revert := &cobra.Command{
		Use:   "revert BATCH_ID",
		Short: "withdraw the targets an import brought in (history stays)",
		Args:  batchArg,
		// A batch id is no file name; the shell has nothing to offer.
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(_ *cobra.Command, args []string) error {
			return a.withStore(func(store *postgres.EventStore) error {
				return revertBatch(a.ctx, store, uuid.MustParse(args[0]), *actor, a.stdout)
			})
		},
	}
	restore := &cobra.Command{
		Use:               "restore BATCH_ID",
		Short:             "bring back the targets a reverted import had brought in",
		Args:              batchArg,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(_ *cobra.Command, args []string) error {
			return a.withStore(func(store *postgres.EventStore) error {
				return restoreBatch(a.ctx, store, uuid.MustParse(args[0]), *actor, a.stdout)
			})
		},
	}
	cmd.AddCommand(sqlite, demo, revert, restore)
	return cmd
}

// batchArg wants one argument that is a batch id.
func batchArg(cmd *cobra.Command, args []string) error {
	if err := exactArgs("the batch id (BATCH_ID, printed by `partnerforge import`)")(cmd, args); err != nil {
		return err
	}
	if _, err := uuid.Parse(args[0]); err != nil {
		return usageError("%s: batch id %q is not a UUID", commandName(cmd), args[0])
	}
	return nil
}

func defaultActor() string {
	if u := os.Getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}

// withStore connects to the configured database and, once its schema is
// known to be current, hands fn the event store.
func (a *app) withStore(fn func(*postgres.EventStore) error) error {
	cfg, _, err := a.setup()
	if err != nil {
		return err
	}
	pool, err := postgres.Connect(a.ctx, postgres.PoolConfig{URL: cfg.DatabaseURL, MaxConns: 4})
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := requireMigrated(a.ctx, pool); err != nil {
		return err
	}
	if err := fn(postgres.NewEventStore(pool)); err != nil {
		return err
	}
	wakeServices(a.ctx, pool)
	return nil
}

// wakeServices wakes running services once after a command's writes, so
// that they pick them up at once rather than at their fallback poll; if the
// wake-up is lost, the fallback poll still does.
func wakeServices(ctx context.Context, pool *pgxpool.Pool) {
	_ = wakeup.WakeAll(ctx, pool)
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

// importDemo generates the demo list and imports it as it is generated, one
// chunk of legacysqlite.DemoChunkRows rows at a time, so that a million rows
// take time in proportion and memory for a chunk. The whole list is one
// batch, whose checksum stands for the generator's input (its version,
// seed and size): the same demo imported again adds nothing, and an import
// stopped part way (Ctrl-C, SIGTERM) resumes where it stopped.
func importDemo(ctx context.Context, store *postgres.EventStore, rows int, actor, reportPath string, stdout io.Writer) error {
	dir, err := os.MkdirTemp("", "partnerforge-demo-")
	if err != nil {
		return fmt.Errorf("import demo: %w", err)
	}
	defer os.RemoveAll(dir)
	stream, err := legacysqlite.NewDemoStream(rows, legacysqlite.DemoSeed, dir, normalizeDomain)
	if err != nil {
		return fmt.Errorf("import demo: %w", err)
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("partnerforge demo v1 seed=%d rows=%d", legacysqlite.DemoSeed, rows)))
	checksum := hex.EncodeToString(sum[:])
	source := fmt.Sprintf("demo-%d-rows", rows)
	started := time.Now()
	rep := legacysqlite.Report{}
	next := func(ctx context.Context) ([]commands.LegacyTarget, error) {
		res, err := stream.Next(ctx)
		if err != nil || res == nil {
			return nil, err
		}
		rep.Add(res.Report)
		out := make([]commands.LegacyTarget, len(res.Targets))
		for i, t := range res.Targets {
			out[i] = commands.LegacyTarget{Profile: t.Profile, SourceRowID: t.SourceRowID, MergedRowIDs: t.MergedRowIDs}
		}
		return out, nil
	}
	var reportErr error
	report := func() json.RawMessage {
		b, err := json.Marshal(rep)
		reportErr = err
		return b
	}
	last := time.Time{}
	progress := func(done int) {
		if time.Since(last) < time.Second {
			return
		}
		last = time.Now()
		rate := float64(stream.Done()) / time.Since(started).Seconds()
		fmt.Fprintf(stdout, "generated %d/%d rows, appended %d targets, %.0f rows/s\n", stream.Done(), rows, done, rate)
	}
	cmd := commands.ImportTargets{Source: source, Checksum: checksum, Actor: actor}
	res, err := commands.NewImportTargetsHandler(store, time.Now).HandleStream(ctx, cmd, next, report, progress)
	if errors.Is(err, domain.ErrBatchReverted) {
		return fmt.Errorf("%w; to bring its targets back: partnerforge import restore %s", err, domain.ImportBatchID(checksum))
	}
	if err != nil {
		return err
	}
	if reportErr != nil {
		return fmt.Errorf("import demo: encode report: %w", reportErr)
	}
	took := time.Since(started)
	printImport(stdout, res, rep, took)
	if rep.RowsRead > 0 {
		fmt.Fprintf(stdout, "  rows/s            %6.0f\n", float64(rep.RowsRead)/took.Seconds())
	}
	if reportPath == "" {
		return nil
	}
	return writeReport(reportPath, importReport{
		BatchID: res.BatchID, Source: source, Checksum: checksum,
		Imported: res.Imported, AlreadyImported: res.AlreadyImported, Legacy: rep,
	})
}

func writeReport(path string, r importReport) error {
	out, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
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
	if errors.Is(err, domain.ErrBatchReverted) {
		return fmt.Errorf("%w; to bring its targets back: partnerforge import restore %s", err, domain.ImportBatchID(checksum))
	}
	if err != nil {
		return err
	}
	printImport(stdout, res, read.Report, time.Since(started))
	if reportPath == "" {
		return nil
	}
	return writeReport(reportPath, importReport{
		BatchID: res.BatchID, Source: cmd.Source, Checksum: checksum,
		Imported: res.Imported, AlreadyImported: res.AlreadyImported, Legacy: read.Report,
	})
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

func restoreBatch(ctx context.Context, store *postgres.EventStore, batch uuid.UUID, actor string, stdout io.Writer) error {
	res, err := commands.NewRestoreImportHandler(store, time.Now).Handle(ctx, commands.RestoreImport{BatchID: batch, Actor: actor}, nil)
	if errors.Is(err, domain.ErrUnknownBatch) {
		return fmt.Errorf("%w (the batch id is printed by `partnerforge import`)", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored batch %s\n", batch)
	fmt.Fprintf(stdout, "  brought back now  %6d\n", res.Restored)
	fmt.Fprintf(stdout, "  already back      %6d\n", res.AlreadyRestored)
	fmt.Fprintf(stdout, "  kept (re-imported by a later batch) %d\n", res.Superseded)
	return nil
}
