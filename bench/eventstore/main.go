// Command eventstore measures PartnerForge's event-store appends against
// baselines run on the same PostgreSQL in the same run: a plain INSERT of the
// same row shape, COPY, and message-db's write_message. It prints events per
// second and the ratios; docs/benchmarks.md records the figures.
//
// Run it with `make bench`, which finds PostgreSQL and installs message-db
// from its npm package.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/adapters/wakeup"
)

func main() {
	var (
		events   = flag.Int("events", 4000, "events each single-event case appends (split among writers)")
		batched  = flag.Int("batched-events", 40000, "events each batched case appends")
		batch    = flag.Int("batch", 100, "events per batched transaction")
		mdbDir   = flag.String("message-db", os.Getenv("MESSAGE_DB_DIR"), "unpacked @eventide/message-db package (its database/ folder is installed)")
		serverDB = flag.String("server", pgtest.ServerURL(), "PostgreSQL server URL")
	)
	flag.Parse()
	if err := run(context.Background(), *serverDB, *mdbDir, *events, *batched, *batch); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type result struct {
	name    string
	writers int
	events  int
	took    time.Duration
}

func (r result) rate() float64 { return float64(r.events) / r.took.Seconds() }

func run(ctx context.Context, server, mdbDir string, events, batched, batch int) error {
	if mdbDir == "" {
		return fmt.Errorf("message-db package folder not given (-message-db or MESSAGE_DB_DIR)")
	}
	ours, err := pgtest.Create(ctx, server)
	if err != nil {
		return err
	}
	defer ours.Drop(ctx)
	mdb, err := newMessageDB(ctx, server, mdbDir)
	if err != nil {
		return err
	}
	defer mdb.drop(ctx)
	if err := createPlainTable(ctx, ours.Pool); err != nil {
		return err
	}

	// The store as serve wires it: every append pokes the wake-ups, which
	// notify the other instances from a connection of their own.
	store := postgres.NewEventStore(ours.Pool)
	wake, err := wakeup.New(ours.Pool, wakeup.Config{})
	if err != nil {
		return err
	}
	store.OnAppend(wake.Appended)
	wakeCtx, stopWake := context.WithCancel(ctx)
	wakeDone := make(chan struct{})
	go func() { _ = wake.Run(wakeCtx); close(wakeDone) }()
	defer func() { stopWake(); <-wakeDone }()
	quiet := postgres.NewEventStore(ours.Pool)

	fmt.Printf("PostgreSQL: %s\n", serverVersion(ctx, ours.Pool))
	fmt.Printf("single-event cases: %d events each; batched cases: %d events in batches of %d\n\n", events, batched, batch)

	var results []result
	add := func(r result, err error) error {
		if err != nil {
			return fmt.Errorf("%s (%d writers): %w", r.name, r.writers, err)
		}
		results = append(results, r)
		fmt.Printf("%-44s %2d writers %8.0f events/s\n", r.name, r.writers, r.rate())
		return nil
	}
	// Warm up caches and connections once so the first case is not penalised.
	if _, err := appendSingles(ctx, store, "warmup", 4, 400); err != nil {
		return err
	}
	for _, w := range []int{1, 8} {
		steps := []func() error{
			func() error { return add(appendSingles(ctx, store, caseOurs, w, events)) },
			func() error { return add(mdb.write(ctx, caseMDBSame, w, events, false)) },
			func() error { return add(mdb.write(ctx, caseMDBSpread, w, events, true)) },
			func() error { return add(plainInserts(ctx, ours.Pool, w, events)) },
		}
		for _, s := range steps {
			if err := s(); err != nil {
				return err
			}
		}
	}
	for _, w := range []int{1, 8} {
		with, without, err := interleaved(ctx, store, quiet, w, events, 4)
		if err != nil {
			return fmt.Errorf("interleaved appends (%d writers): %w", w, err)
		}
		_, _ = add(with, nil), add(without, nil) // add fails only on the error given

	}
	for _, w := range []int{1, 8} {
		if err := add(appendBatches(ctx, store, caseOursBatch, w, batched, batch)); err != nil {
			return err
		}
		if err := add(copyBatches(ctx, ours.Pool, w, batched, batch)); err != nil {
			return err
		}
	}
	fmt.Println()
	printRatios(os.Stdout, results)
	return nil
}
