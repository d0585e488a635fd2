package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/domain"
)

const (
	// Storing an event is publishing it (handlers read the events table), so
	// the append cases are the whole production path, wake-ups included
	// (serve's default: each append pokes them after its commit).
	caseOurs      = "append, exact version"
	caseOursWake  = "append, wake-ups on (interleaved)"
	caseOursQuiet = "append, wake-ups off (interleaved)"
	caseMDBSame   = "message-db write_message, one category"
	caseMDBSpread = "message-db write_message, category per writer"
	casePlain     = "plain INSERT, one row per transaction"
	caseOursBatch = "append batches"
	caseCopy      = "COPY batches"
)

// streamsPerWriter spreads each writer's events over several streams, as
// requests for different targets would.
const streamsPerWriter = 50

// payload is the row shape every case writes: a realistic small event.
var payload = json.RawMessage(`{"job_id":"3f6c1d2e-8b1a-4f3e-9c55-0d6a4b7f2e11","domain":"northwind-outfitters.com","provider":"similarweb","latency_ms":182,"attempts":1}`)
var meta = domain.Metadata{CorrelationID: "0b7e5f5a-1c2d-4e3f-8a9b-112233445566", Actor: "rep@partnerforge.test"}

// event has a random id, like the ids the service derives from what caused
// an event (UUID version 5): their index entries land on random pages.
func event() domain.EventData {
	return domain.EventData{ID: uuid.New(), Type: "ProviderFetched", SchemaVersion: 1, Data: payload, Metadata: meta}
}

// parallel runs fn for each writer with its share of n and times the whole.
func parallel(writers, n int, fn func(w, count int) error) (time.Duration, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	start := time.Now()
	for w := range writers {
		count := n / writers
		if w < n%writers {
			count++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(w, count); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return time.Since(start), first
}

func appendSingles(ctx context.Context, store *postgres.EventStore, name string, writers, n int) (result, error) {
	run := uuid.NewString()[:8]
	took, err := parallel(writers, n, func(w, count int) error {
		versions := make([]int64, streamsPerWriter)
		for i := range count {
			s := i % streamsPerWriter
			stream := fmt.Sprintf("target-%s%d-%d", run, w, s)
			if _, err := store.Append(ctx, stream, domain.ExactVersion(versions[s]), event()); err != nil {
				return err
			}
			versions[s]++
		}
		return nil
	})
	return result{name: name, writers: writers, events: n, took: took}, err
}

// interleaved measures what the wake-ups cost an append: rounds of single
// appends with them and without alternate, so that the machine's drift
// during the run falls on both alike.
func interleaved(ctx context.Context, woken, quiet *postgres.EventStore, writers, n, rounds int) (with, without result, err error) {
	with = result{name: caseOursWake, writers: writers}
	without = result{name: caseOursQuiet, writers: writers}
	for range rounds {
		for _, c := range []struct {
			store *postgres.EventStore
			into  *result
		}{{woken, &with}, {quiet, &without}} {
			r, err := appendSingles(ctx, c.store, c.into.name, writers, n/rounds)
			if err != nil {
				return with, without, err
			}
			c.into.events += r.events
			c.into.took += r.took
		}
	}
	return with, without, nil
}

func appendBatches(ctx context.Context, store *postgres.EventStore, name string, writers, n, batch int) (result, error) {
	run := uuid.NewString()[:8]
	took, err := parallel(writers, n, func(w, count int) error {
		stream := fmt.Sprintf("import-%s%d", run, w)
		var version int64
		for done := 0; done < count; done += batch {
			evs := make([]domain.EventData, min(batch, count-done))
			for i := range evs {
				evs[i] = event()
			}
			res, err := store.Append(ctx, stream, domain.ExactVersion(version), evs...)
			if err != nil {
				return err
			}
			version = res.NextExpectedVersion
		}
		return nil
	})
	return result{name: name, writers: writers, events: n, took: took}, err
}

func createPlainTable(ctx context.Context, pool *pgxpool.Pool) error {
	_, err := pool.Exec(ctx, `CREATE TABLE bench_plain (
		position bigserial PRIMARY KEY, stream_id text NOT NULL, stream_version bigint NOT NULL,
		event_id uuid NOT NULL, event_type text NOT NULL, schema_version integer NOT NULL,
		data jsonb NOT NULL, metadata jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())`)
	if err != nil {
		return fmt.Errorf("create baseline table: %w", err)
	}
	return nil
}

func plainInserts(ctx context.Context, pool *pgxpool.Pool, writers, n int) (result, error) {
	metaJSON, _ := json.Marshal(meta)
	took, err := parallel(writers, n, func(w, count int) error {
		for i := range count {
			_, err := pool.Exec(ctx, `INSERT INTO bench_plain (stream_id, stream_version, event_id, event_type, schema_version, data, metadata)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				fmt.Sprintf("target-%d-%d", w, i%streamsPerWriter), int64(i+1), uuid.New(), "ProviderFetched", 1, payload, metaJSON)
			if err != nil {
				return err
			}
		}
		return nil
	})
	return result{name: casePlain, writers: writers, events: n, took: took}, err
}

func copyBatches(ctx context.Context, pool *pgxpool.Pool, writers, n, batch int) (result, error) {
	metaJSON, _ := json.Marshal(meta)
	cols := []string{"stream_id", "stream_version", "event_id", "event_type", "schema_version", "data", "metadata"}
	took, err := parallel(writers, n, func(w, count int) error {
		for done := 0; done < count; done += batch {
			rows := make([][]any, min(batch, count-done))
			for i := range rows {
				rows[i] = []any{fmt.Sprintf("import-%d", w), int64(done + i + 1), uuid.New(), "ProviderFetched", int32(1), payload, metaJSON}
			}
			if _, err := pool.CopyFrom(ctx, pgx.Identifier{"bench_plain"}, cols, pgx.CopyFromRows(rows)); err != nil {
				return err
			}
		}
		return nil
	})
	return result{name: caseCopy, writers: writers, events: n, took: took}, err
}

func serverVersion(ctx context.Context, pool *pgxpool.Pool) string {
	var v string
	if err := pool.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return v
}
