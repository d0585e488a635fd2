package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/domain"
)

// newEventsCmd is `partnerforge events export|…`: tools that read the log
// itself rather than a read model.
func newEventsCmd(a *app) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "events",
		Short: "export the event log",
	})
	cmd.AddCommand(newEventsExportCmd(a))
	return cmd
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
