// Command openjob seeds the streams the opening-burst stage of `make load`
// opens jobs on: requesters who opened hundreds of jobs today and targets
// with dozens of events (an import and a dozen finished jobs, each with its
// job stream, fetches, score and close), appended through the production
// event store. When the database keeps snapshots, it stores each stream's
// snapshot a little behind its head — up to commands.DefaultSnapshotAfter−1
// events, evenly spread — as the repository would have left them while the
// streams grew; against a build without snapshots the streams are simply
// read whole.
//
//	go run ./bench/openjob -database-url URL -tag run1
//
// Requesters are load-burst-<i>-<tag>@example.com, targets burst-<tag>-<i>.com.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections/projectiontest"
)

// workers append targets' histories in parallel.
const workers = 8

type config struct {
	url           string
	tag           string
	requesters    int
	jobsToday     int
	targets       int
	jobsPerTarget int
}

func main() {
	var c config
	flag.StringVar(&c.url, "database-url", os.Getenv("DATABASE_URL"), "database to seed (migrated)")
	flag.StringVar(&c.tag, "tag", "", "names this run's requesters and targets")
	flag.IntVar(&c.requesters, "requesters", 50, "requesters to seed")
	flag.IntVar(&c.jobsToday, "jobs-today", 300, "jobs each requester opened (and ended) today")
	flag.IntVar(&c.targets, "targets", 500, "targets to seed")
	flag.IntVar(&c.jobsPerTarget, "jobs-per-target", 13, "finished jobs on each target's stream (3 events each, after the import)")
	flag.Parse()
	if c.url == "" || c.tag == "" {
		fmt.Fprintln(os.Stderr, "openjob: -database-url and -tag are needed")
		os.Exit(2)
	}
	if err := run(context.Background(), c); err != nil {
		fmt.Fprintln(os.Stderr, "openjob:", err)
		os.Exit(1)
	}
}

// requester and target name the seeded streams' owners.
func requester(i int, tag string) string { return fmt.Sprintf("load-burst-%d-%s@example.com", i, tag) }
func target(i int, tag string) domain.Domain {
	return domain.MustParseDomain(fmt.Sprintf("burst-%s-%d.com", tag, i))
}

func run(ctx context.Context, c config) error {
	pool, err := postgres.Connect(ctx, postgres.PoolConfig{URL: c.url, MaxConns: workers})
	if err != nil {
		return err
	}
	defer pool.Close()
	store := postgres.NewEventStore(pool)
	var snapshots bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('stream_snapshots') IS NOT NULL`).Scan(&snapshots); err != nil {
		return fmt.Errorf("look for the snapshot table: %w", err)
	}
	started := time.Now()
	events, snaps := 0, 0
	for i := range c.requesters {
		n, s, err := seedRequester(ctx, store, requester(i, c.tag), c.jobsToday, i, snapshots)
		if err != nil {
			return err
		}
		events, snaps = events+n, snaps+s
	}
	batch := uuid.New()
	var (
		mu    sync.Mutex
		next  int
		first error
		wg    sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= c.targets {
					return
				}
				n, s, err := seedTarget(ctx, store, target(i, c.tag), batch, c.jobsPerTarget, i, snapshots)
				mu.Lock()
				events, snaps = events+n, snaps+s
				if err != nil && first == nil {
					first, next = err, c.targets
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	fmt.Printf("openjob: seeded %d requesters (%d jobs today each) and %d targets (%d jobs each): %d events, %d snapshots, in %s\n",
		c.requesters, c.jobsToday, c.targets, c.jobsPerTarget, events, snaps, time.Since(started).Round(time.Millisecond))
	return nil
}

func seedRequester(ctx context.Context, store *postgres.EventStore, who string, jobs, i int, snapshots bool) (int, int, error) {
	now := time.Now()
	var evs []domain.Event
	for j := range jobs {
		job := uuid.New()
		at := now.Add(-time.Duration(jobs-j) * time.Second)
		evs = append(evs,
			domain.RequesterJobStarted{Requester: who, JobID: job, Domain: domain.MustParseDomain("earlier.example.com"), ExpiresAt: at.Add(24 * time.Hour), StartedAt: at},
			domain.RequesterJobEnded{Requester: who, JobID: job})
	}
	stream := domain.RequesterStream(who)
	stored, err := appendAll(ctx, store, stream, evs)
	if err != nil || !snapshots {
		return len(evs), 0, err
	}
	head := stored[:len(stored)-i%commands.DefaultSnapshotAfter]
	r, err := domain.LoadRequester(head)
	if err != nil {
		return 0, 0, err
	}
	s, err := r.Snapshot(stream)
	if err != nil {
		return 0, 0, err
	}
	return len(evs), 1, store.SaveSnapshot(ctx, s)
}

// seedTarget appends an import and jobs finished days ago (so a request
// now opens a new job rather than answering with a fresh one).
func seedTarget(ctx context.Context, store *postgres.EventStore, d domain.Domain, batch uuid.UUID, jobs, i int, snapshots bool) (int, int, error) {
	profile := projectiontest.Profile(d.String(), fmt.Sprintf("Burst Company %d", i), "Fashion", "US", int64(i%100))
	if _, err := appendAll(ctx, store, domain.TargetStream(d), []domain.Event{
		domain.TargetImported{Domain: d, BatchID: batch, SourceRowID: int64(i + 1), Profile: profile},
	}); err != nil {
		return 0, 0, err
	}
	n := 1
	base := time.Now().Add(-time.Duration(jobs+2) * 24 * time.Hour)
	for j := range jobs {
		at := base.Add(time.Duration(j) * 24 * time.Hour)
		job := uuid.New()
		expires := at.Add(24 * time.Hour)
		jobEvents := []domain.Event{domain.EnrichmentRequested{JobID: job, Domain: d, Providers: domain.AllProviders, RequestedBy: "seed@example.com", RequestedAt: at, ExpiresAt: expires}}
		for p, data := range projectiontest.AllFetched() {
			jobEvents = append(jobEvents, domain.ProviderFetched{JobID: job, Domain: d, Provider: p, Data: data, LatencyMS: 120, Attempts: 1, HTTPStatus: 200})
		}
		if _, err := appendAll(ctx, store, domain.TargetStream(d), []domain.Event{
			domain.EnrichmentJobOpened{JobID: job, Domain: d, Providers: domain.AllProviders, RequestedBy: "seed@example.com", OpenedAt: at, ExpiresAt: expires},
		}); err != nil {
			return 0, 0, err
		}
		stored, err := appendAll(ctx, store, domain.JobStream(job), jobEvents)
		if err != nil {
			return 0, 0, err
		}
		loaded, err := domain.LoadJob(stored)
		if err != nil {
			return 0, 0, err
		}
		ends, outcome := loaded.Finish(domain.Knowledge{Profile: &profile}, at.Add(time.Minute))
		if _, err := appendAll(ctx, store, domain.JobStream(job), ends); err != nil {
			return 0, 0, err
		}
		if _, err := appendAll(ctx, store, domain.TargetStream(d), outcome); err != nil {
			return 0, 0, err
		}
		n += 1 + len(jobEvents) + len(ends) + len(outcome)
	}
	if !snapshots {
		return n, 0, nil
	}
	all, err := commands.NewRepository(store).WithoutSnapshots().Events(ctx, domain.TargetStream(d))
	if err != nil {
		return 0, 0, err
	}
	t, err := domain.LoadTarget(d, all[:len(all)-i%min(commands.DefaultSnapshotAfter, len(all))])
	if err != nil {
		return 0, 0, err
	}
	s, err := t.Snapshot()
	if err != nil {
		return 0, 0, err
	}
	return n, 1, store.SaveSnapshot(ctx, s)
}

// appendAll appends events at the end of stream and returns them as stored.
func appendAll(ctx context.Context, store *postgres.EventStore, stream string, events []domain.Event) ([]domain.RecordedEvent, error) {
	data := make([]domain.EventData, len(events))
	for i, e := range events {
		var err error
		if data[i], err = domain.Encode(e, domain.Metadata{Actor: "seed"}); err != nil {
			return nil, fmt.Errorf("encode %s: %w", e.EventType(), err)
		}
	}
	res, err := store.Append(ctx, stream, domain.AnyVersion, data...)
	if err != nil {
		return nil, fmt.Errorf("append to %s: %w", stream, err)
	}
	first := res.NextExpectedVersion - int64(len(data))
	return store.ReadStream(ctx, stream, first, len(data))
}
