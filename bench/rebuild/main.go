// Command rebuild measures how fast `partnerforge projections rebuild`
// replays the log into the displacement_targets read model, against the
// floor of the same run: reading the same events in position order and
// doing nothing with them. It prints events per second and the ratio;
// docs/benchmarks.md records the figures.
//
// Run it with `make bench`, or alone: go run ./bench/rebuild -events 100000.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections"
	"github.com/partnerforge/partnerforge/projections/projectiontest"
)

func main() {
	var (
		sizes    = flag.String("events", "100000", "comma-separated log sizes to measure, in events")
		serverDB = flag.String("server", pgtest.ServerURL(), "PostgreSQL server URL")
	)
	flag.Parse()
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "bench: -events: %q is not a positive number\n", s)
			os.Exit(2)
		}
		if err := run(context.Background(), *serverDB, n); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
}

// Goal of the rebuild rate.
const goalEventsPerSecond = 20_000

func run(ctx context.Context, server string, events int) error {
	db, err := pgtest.Create(ctx, server)
	if err != nil {
		return err
	}
	defer db.Drop(ctx)
	store := postgres.NewEventStore(db.Pool)
	started := time.Now()
	stored, targets, err := seed(ctx, store, events)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Printf("log: %d events (%d targets, each imported and enriched once), stored in %s\n",
		stored, targets, time.Since(started).Round(time.Millisecond))

	runner, err := projections.NewRunner(db.Pool, projections.Config{}, projections.Targets{})
	if err != nil {
		return err
	}
	// The first rebuild fills the live model; the measured one replaces a
	// full live model, as in production.
	if _, err := runner.RebuildWith(ctx, projections.TargetsName, projections.RebuildOptions{}); err != nil {
		return err
	}
	floor, err := readAll(ctx, store)
	if err != nil {
		return err
	}
	phases := &phaseClock{}
	res, err := runner.RebuildWith(ctx, projections.TargetsName, projections.RebuildOptions{Progress: phases.observe})
	if err != nil {
		return err
	}
	rebuild := float64(res.Events) / res.Elapsed.Seconds()
	fmt.Printf("%-52s %9.0f events/s\n", "sequential read of the log (floor)", floor)
	fmt.Printf("%-52s %9.0f events/s  (%d events in %s)\n", "rebuild displacement_targets (load, index, swap)",
		rebuild, res.Events, res.Elapsed.Round(time.Millisecond))
	fmt.Printf("  phases: %s\n", phases)
	verdict := "met"
	if rebuild < goalEventsPerSecond {
		verdict = "**below**"
	}
	fmt.Printf("rebuild ÷ floor: %.2f×; rebuild rate ≥ %d events/s: %s\n\n", rebuild/floor, goalEventsPerSecond, verdict)
	return nil
}

// readAll reads the whole log in position order, in batches as large as the
// rebuild's, and returns events per second.
func readAll(ctx context.Context, store *postgres.EventStore) (float64, error) {
	started := time.Now()
	var pos, n int64
	for {
		evs, err := store.ReadAll(ctx, pos, projections.DefaultRebuildBatch)
		if err != nil {
			return 0, err
		}
		if len(evs) == 0 {
			return float64(n) / time.Since(started).Seconds(), nil
		}
		n += int64(len(evs))
		pos = evs[len(evs)-1].Position
	}
}

// seed appends targets until the log holds at least events: each target
// imported, then enriched by a job whose three providers deliver and which
// domain.Job finishes, as the pipeline would record it.
func seed(ctx context.Context, store *postgres.EventStore, events int) (stored, targets int, err error) {
	const group = 100 // targets per append
	base := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	batch := uuid.New()
	for stored < events {
		var first, second []domain.StreamAppend
		for range group {
			at := base.Add(time.Duration(targets) * time.Second)
			f, s, err := target(targets, batch, at)
			if err != nil {
				return stored, targets, err
			}
			first, second = append(first, f...), append(second, s)
			for _, p := range append(f, s) {
				stored += len(p.Events)
			}
			targets++
		}
		if _, err := store.AppendStreams(ctx, first...); err != nil {
			return stored, targets, err
		}
		if _, err := store.AppendStreams(ctx, second...); err != nil {
			return stored, targets, err
		}
	}
	return stored, targets, nil
}

// target returns one target's history: the import and the job (first), then
// the job's outcome on the target's stream (second).
func target(i int, batch uuid.UUID, at time.Time) (first []domain.StreamAppend, second domain.StreamAppend, err error) {
	d := domain.MustParseDomain(fmt.Sprintf("bench-%07d.com", i))
	profile := projectiontest.Profile(d.String(), fmt.Sprintf("Bench Company %d", i), "Fashion", "US", int64(i%100))
	job := uuid.New()
	expires := at.Add(24 * time.Hour)
	targetEvents := []domain.Event{
		domain.TargetImported{Domain: d, BatchID: batch, SourceRowID: int64(i + 1), Profile: profile},
		domain.EnrichmentJobOpened{JobID: job, Domain: d, Providers: domain.AllProviders, RequestedBy: "bench@example.com", OpenedAt: at, ExpiresAt: expires},
	}
	jobEvents := []domain.Event{
		domain.EnrichmentRequested{JobID: job, Domain: d, Providers: domain.AllProviders, RequestedBy: "bench@example.com", RequestedAt: at, ExpiresAt: expires},
	}
	for p, data := range projectiontest.AllFetched() {
		jobEvents = append(jobEvents, domain.ProviderFetched{JobID: job, Domain: d, Provider: p, Data: data, LatencyMS: 120, Attempts: 1, HTTPStatus: 200})
	}
	jobData, err := encode(jobEvents)
	if err != nil {
		return nil, domain.StreamAppend{}, err
	}
	recorded := make([]domain.RecordedEvent, len(jobData))
	for k, e := range jobData {
		recorded[k] = domain.RecordedEvent{StreamID: domain.JobStream(job), StreamVersion: int64(k + 1), RecordedAt: at, EventData: e}
	}
	loaded, err := domain.LoadJob(recorded)
	if err != nil {
		return nil, domain.StreamAppend{}, err
	}
	ends, outcome := loaded.Finish(domain.Knowledge{Profile: &profile}, at.Add(time.Minute))
	endData, err := encode(ends)
	if err != nil {
		return nil, domain.StreamAppend{}, err
	}
	targetData, err := encode(targetEvents)
	if err != nil {
		return nil, domain.StreamAppend{}, err
	}
	outcomeData, err := encode(outcome)
	if err != nil {
		return nil, domain.StreamAppend{}, err
	}
	first = []domain.StreamAppend{
		{Stream: domain.TargetStream(d), Expected: domain.AnyVersion, Events: targetData},
		{Stream: domain.JobStream(job), Expected: domain.AnyVersion, Events: append(jobData, endData...)},
	}
	return first, domain.StreamAppend{Stream: domain.TargetStream(d), Expected: domain.AnyVersion, Events: outcomeData}, nil
}

func encode(events []domain.Event) ([]domain.EventData, error) {
	out := make([]domain.EventData, len(events))
	for i, e := range events {
		var err error
		if out[i], err = domain.Encode(e, domain.Metadata{Actor: "bench"}); err != nil {
			return nil, fmt.Errorf("encode %s: %w", e.EventType(), err)
		}
	}
	return out, nil
}

// phaseClock times the phases of a rebuild from its progress reports: a
// phase lasts from its first report to the next phase's first.
type phaseClock struct {
	names  []string
	starts []time.Duration
}

func (c *phaseClock) observe(p projections.Progress) {
	if len(c.names) == 0 || c.names[len(c.names)-1] != p.Phase {
		c.names = append(c.names, p.Phase)
		c.starts = append(c.starts, p.Elapsed)
	}
}

func (c *phaseClock) String() string {
	var parts []string
	for i := 0; i+1 < len(c.names); i++ {
		parts = append(parts, fmt.Sprintf("%s %s", c.names[i], (c.starts[i+1]-c.starts[i]).Round(time.Millisecond)))
	}
	return strings.Join(parts, ", ")
}
