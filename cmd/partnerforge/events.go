package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/partnerforge/partnerforge/adapters/messaging"
	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/domain"
)

// newEventsCmd is `partnerforge events export|…`: tools that read the log
// itself rather than a read model.
func newEventsCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "events",
		Short: "export the event log; list and re-drive events handlers gave up on",
	})
	cmd.AddCommand(newEventsExportCmd(a), newEventsPoisonedCmd(a), newEventsRedriveCmd(a))
	return cmd
}

func newEventsPoisonedCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "poisoned",
		Short: "list the events handlers gave up on after their retries, oldest first",
		Args:  exactArgs(),
		RunE: func(*cobra.Command, []string) error {
			return a.withPool(func(pool *pgxpool.Pool) error {
				entries, err := messaging.ListPoisoned(a.ctx, pool)
				if err != nil {
					return err
				}
				printPoisoned(a.stdout, entries)
				return nil
			})
		},
	}
}

func printPoisoned(w io.Writer, entries []messaging.Poisoned) {
	if len(entries) == 0 {
		fmt.Fprintln(w, "no handler has given up on an event")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tHANDLER\tEVENT\tTYPE\tPOSITION\tWHEN\tERROR\tREDRIVEN")
	for _, p := range entries {
		redriven := "-"
		if p.Redriven != nil {
			redriven = p.Redriven.UTC().Format(time.RFC3339) + " ok"
			if p.RedriveError != "" {
				redriven = p.Redriven.UTC().Format(time.RFC3339) + " failed: " + oneLine(p.RedriveError)
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", p.ID, p.Handler, p.EventID, p.Type, p.Position,
			p.At.UTC().Format(time.RFC3339), oneLine(p.Error), redriven)
	}
	_ = tw.Flush()
}

// oneLine keeps an error on its row of the table.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func newEventsRedriveCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "redrive ID",
		Short: "run the handler that gave up on an event once more (ID: an entry of `events poisoned`, or an event id)",
		Long: "Run the handler that gave up on an event once more, on the event as stored. ID is the entry\n" +
			"number `events poisoned` shows, or an event id (every handler that gave up on it runs). Handlers\n" +
			"are idempotent: re-driving an event that was handled meanwhile changes nothing. The outcome is\n" +
			"recorded and shown by `events poisoned`. Needs the same configuration as serve (provider keys).",
		Args: exactArgs("the entry number or event id (ID)"),
		RunE: func(_ *cobra.Command, args []string) error {
			cfg, log, err := a.setup()
			if err != nil {
				return err
			}
			return a.withPool(func(pool *pgxpool.Pool) error {
				entries, err := messaging.PoisonedByID(a.ctx, pool, args[0])
				if err != nil {
					return usageError("events redrive: %v", err)
				}
				if len(entries) == 0 {
					return fmt.Errorf("events redrive: no poisoned entry %s (see `partnerforge events poisoned`)", args[0])
				}
				store := postgres.NewEventStore(pool)
				// The handlers call no provider: the budget is never spent.
				pipeline, err := newPipeline(cfg, pool, store, postgres.NewProviderRates(pool), nil, prometheus.NewRegistry(), log)
				if err != nil {
					return err
				}
				var errs []error
				for _, p := range entries {
					if err := messaging.Redrive(a.ctx, pool, store, pipeline.Handlers(), p); err != nil {
						errs = append(errs, err)
						continue
					}
					fmt.Fprintf(a.stdout, "re-drove %d: %s handled %s %s\n", p.ID, p.Handler, p.Type, p.EventID)
				}
				return errors.Join(errs...)
			})
		},
	}
}

// withPool connects to the configured database and, once its schema is
// known to be current, hands fn the pool.
func (a *app) withPool(fn func(*pgxpool.Pool) error) error {
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
	if err := fn(pool); err != nil {
		return err
	}
	wakeServices(a.ctx, pool)
	return nil
}

func newEventsExportCmd(a *app) *cobra.Command {
	var (
		in  domain.EventFilterInput
		out string
	)
	export := &cobra.Command{
		Use:   "export",
		Short: "write events as NDJSON, one per line, in position order",
		Long: "Write the events that match every filter given as NDJSON, one event per line with every stored\n" +
			"field, in position order. \"data\" is the payload as stored at \"schema_version\"; when that is\n" +
			"older than the type's current version, \"current_data\" holds it upcast to\n" +
			"\"current_schema_version\". Memory stays flat however many events are exported.",
		Args: exactArgs(),
		RunE: func(*cobra.Command, []string) error {
			f, err := domain.ParseEventFilter(in)
			if err != nil {
				var fe *domain.FilterError
				if errors.As(err, &fe) {
					return usageError("events export: --%s", err)
				}
				return usageError("events export: %v", err)
			}
			return a.withStore(func(store *postgres.EventStore) error {
				return exportEvents(a, store, f, out)
			})
		},
	}
	fl := export.Flags()
	fl.StringVar(&in.Stream, "stream", "", "only the events of stream `S` (e.g. target-costco.com)")
	fl.StringVar(&in.Type, "type", "", "only the events of type `T` (e.g. ScoreComputed)")
	fl.StringVar(&in.After, "after", "", "only the events after `POSITION` (resume an export from its last line)")
	fl.StringVar(&in.Since, "since", "", "only the events recorded at or after `TIME` (RFC3339, e.g. 2026-03-03T00:00:00Z)")
	fl.StringVar(&in.Until, "until", "", "only the events recorded before `TIME` (RFC3339)")
	fl.StringVar(&out, "out", "", "write to `FILE` instead of stdout; it appears only once the export is complete")
	return export
}

// exportEvents writes the export to stdout, or to a temporary file renamed
// to out once complete, so a cut export is never mistaken for a whole one.
func exportEvents(a *app, store *postgres.EventStore, f domain.EventFilter, out string) error {
	if out == "" {
		_, err := writeExport(a, store, f, a.stdout)
		return err
	}
	tmp := out + ".partial"
	file, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("events export: %w", err)
	}
	n, err := writeExport(a, store, f, file)
	if cerr := file.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("events export: close %s: %w", tmp, cerr)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("events export: %w", err)
	}
	fmt.Fprintf(os.Stderr, "exported %d events to %s\n", n, out)
	return nil
}

func writeExport(a *app, store *postgres.EventStore, f domain.EventFilter, w io.Writer) (int64, error) {
	buf := bufio.NewWriterSize(w, 64<<10)
	enc := domain.NewExportEncoder(buf)
	n, err := store.Export(a.ctx, f, func(page []domain.RecordedEvent) error {
		for _, re := range page {
			if err := enc.Encode(re); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("events export: %w", err)
	}
	if err := buf.Flush(); err != nil {
		return n, fmt.Errorf("events export: %w", err)
	}
	return n, nil
}
