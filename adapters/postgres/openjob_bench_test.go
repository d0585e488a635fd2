package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

// BenchmarkOpenJob opens enrichment jobs on long streams — a requester who
// opened requesterEvents jobs today, targets with targetEvents events each
// (an import and a dozen finished jobs with their scores) — with the
// repository as serve wires it (snapshots, both streams read in one round
// trip) and, in the same run, reading whole streams one after the other as
// before (the baseline) and snapshots one stream at a time (what the single
// round trip adds). Openings alternate between the
// two, one by one and then from eight concurrent clients (each its own
// requester, as in a burst of many users), so both see the same server at
// the same moment. It prints both latencies and their
// ratios; the snapshots of the "after" streams exist beforehand, as they do
// once streams grew through the repository.
//
//	go test -run '^$' -bench OpenJob -benchtime 1x ./adapters/postgres
func BenchmarkOpenJob(b *testing.B) {
	const (
		requesterEvents = 400
		targetEvents    = 40
		opens           = 200 // per mode and client layout
		maxClients      = 8
	)
	ctx := context.Background()
	store := postgres.NewEventStore(db.Pool)
	score := goldenPayload(b, "ScoreComputed.v2.json")
	opened := goldenPayload(b, "EnrichmentJobOpened.v1.json")
	closed := goldenPayload(b, "EnrichmentJobClosed.v1.json")
	imported := goldenPayload(b, "TargetImported.v1.json")
	run := uuid.NewString()[:8]

	seedTarget := func(d domain.Domain) {
		evs := []domain.EventData{withJob(b, domain.TypeTargetImported, 1, imported, uuid.Nil)}
		for len(evs)+3 <= targetEvents {
			job := uuid.New()
			evs = append(evs, withJob(b, domain.TypeEnrichmentJobOpened, 1, opened, job),
				withJob(b, domain.TypeScoreComputed, 2, score, job),
				withJob(b, domain.TypeEnrichmentJobClosed, 1, closed, job))
		}
		if _, err := store.Append(ctx, domain.TargetStream(d), domain.NoStream, evs...); err != nil {
			b.Fatal(err)
		}
	}
	seedRequester := func(who string) {
		now := time.Now()
		evs := make([]domain.EventData, requesterEvents)
		for i := range evs {
			var err error
			job := uuid.New()
			var e domain.Event = domain.RequesterJobStarted{Requester: who, JobID: job, Domain: domain.MustParseDomain("earlier.example.com"), ExpiresAt: now.Add(time.Hour), StartedAt: now}
			if i%2 == 1 {
				e = domain.RequesterJobEnded{Requester: who, JobID: job}
			}
			if evs[i], err = domain.Encode(e, domain.Metadata{Actor: who}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := store.Append(ctx, domain.RequesterStream(who), domain.NoStream, evs...); err != nil {
			b.Fatal(err)
		}
	}

	type mode struct {
		name    string
		handler *commands.RequestEnrichmentHandler
		repo    commands.Repository
		who     []string // one requester per client
		targets []domain.Domain
		next    int
		mu      sync.Mutex
	}
	newMode := func(name string, es commands.EventStore) *mode {
		m := &mode{name: name, repo: commands.NewRepository(es)}
		// No in-flight or daily limit: the benchmark opens hundreds.
		m.handler = commands.NewRequestEnrichmentHandler(es, domain.DefaultEnrichmentPolicy, 1<<30, time.Now)
		for c := range maxClients {
			m.who = append(m.who, fmt.Sprintf("%s-%d-%s@example.com", name, c, run))
			seedRequester(m.who[c])
		}
		for i := range 2 * opens {
			d := domain.MustParseDomain(fmt.Sprintf("%s-%s-%d.example.com", name, run, i))
			seedTarget(d)
			m.targets = append(m.targets, d)
		}
		return m
	}
	// The baseline hides the store's snapshot side: whole streams, read
	// one after the other, as before.
	before := newMode("whole", struct{ commands.EventStore }{store})
	// Snapshots, but the two streams read one after the other: what the
	// single round trip adds on top of snapshots.
	inTurn := newMode("in-turn", readsInTurn{store})
	after := newMode("snapshot", store)
	// Snapshots as they stand in steady state: one load of each stream.
	for _, m := range []*mode{inTurn, after} {
		for _, who := range m.who {
			if _, err := m.repo.Requester(ctx, who); err != nil {
				b.Fatal(err)
			}
		}
		for _, d := range m.targets {
			if _, err := m.repo.Target(ctx, d); err != nil {
				b.Fatal(err)
			}
		}
	}
	open := func(m *mode, client int) time.Duration {
		m.mu.Lock()
		d := m.targets[m.next]
		m.next++
		m.mu.Unlock()
		start := time.Now()
		acc, err := m.handler.Handle(ctx, commands.RequestEnrichment{Domain: d, RequestedBy: m.who[client]})
		took := time.Since(start)
		if err != nil || acc.Reused != domain.NewJob {
			b.Fatalf("%s: open %s: %+v, %v", m.name, d, acc, err)
		}
		return took
	}
	// Warm both paths (prepared statements, pool connections).
	for range 5 {
		open(before, 0)
		open(inTurn, 0)
		open(after, 0)
	}

	b.ResetTimer()
	for range b.N {
		for _, clients := range []int{1, maxClients} {
			var (
				mu   sync.Mutex
				took = map[string][]time.Duration{}
				wg   sync.WaitGroup
			)
			per := (opens - 5) / clients
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range per {
						// Rotate which mode goes first.
						order := []*mode{before, inTurn, after}
						k := (i + c) % len(order)
						order = append(order[k:], order[:k]...)
						for _, m := range order {
							d := open(m, c)
							mu.Lock()
							took[m.name] = append(took[m.name], d)
							mu.Unlock()
						}
					}
				}()
			}
			wg.Wait()
			wb, wt, wa := summarize(took[before.name]), summarize(took[inTurn.name]), summarize(took[after.name])
			b.Logf("%d client(s), %d opens each way (mean / p50 / p99 ms): whole streams %.2f / %.2f / %.2f; "+
				"snapshots read in turn %.2f / %.2f / %.2f; snapshots in one round trip %.2f / %.2f / %.2f; "+
				"whole ÷ one round trip: mean %.2f×, p99 %.2f×; in turn ÷ one round trip: mean %.2f×, p99 %.2f×",
				clients, len(took[after.name]), wb.mean, wb.p50, wb.p99, wt.mean, wt.p50, wt.p99, wa.mean, wa.p50, wa.p99,
				wb.mean/wa.mean, wb.p99/wa.p99, wt.mean/wa.mean, wt.p99/wa.p99)
			b.ReportMetric(wb.mean/wa.mean, fmt.Sprintf("ratio-mean-%dc", clients))
			b.ReportMetric(wb.p99/wa.p99, fmt.Sprintf("ratio-p99-%dc", clients))
			// The next layout opens fresh targets.
			before.next, inTurn.next, after.next = opens, opens, opens
		}
		before.next, inTurn.next, after.next = 0, 0, 0
	}
}

// readsInTurn is the store with its snapshot reads sent one stream at a
// time, a round trip each.
type readsInTurn struct{ *postgres.EventStore }

func (r readsInTurn) ReadFromSnapshots(ctx context.Context, limit int, reads ...domain.SnapshotRead) ([]domain.StreamTail, error) {
	out := make([]domain.StreamTail, 0, len(reads))
	for _, rd := range reads {
		t, err := r.EventStore.ReadFromSnapshots(ctx, limit, rd)
		if err != nil {
			return nil, err
		}
		out = append(out, t...)
	}
	return out, nil
}

type latencies struct{ mean, p50, p99 float64 }

func summarize(d []time.Duration) latencies {
	s := slices.Clone(d)
	slices.Sort(s)
	var sum time.Duration
	for _, x := range s {
		sum += x
	}
	ms := func(x time.Duration) float64 { return float64(x.Microseconds()) / 1000 }
	return latencies{mean: ms(sum / time.Duration(len(s))), p50: ms(s[len(s)/2]), p99: ms(s[(len(s)*99)/100])}
}

func goldenPayload(b *testing.B, file string) map[string]any {
	b.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "domain", "testdata", "events", file))
	if err != nil {
		b.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(data, &p); err != nil {
		b.Fatal(err)
	}
	return p
}

func withJob(b *testing.B, typ string, version int, payload map[string]any, job uuid.UUID) domain.EventData {
	b.Helper()
	if job != uuid.Nil {
		payload["job_id"] = job.String()
	}
	data, err := json.Marshal(payload)
	if err != nil {
		b.Fatal(err)
	}
	return domain.EventData{ID: uuid.New(), Type: typ, SchemaVersion: version, Data: data}
}

// BenchmarkJoinJob measures what reading the requester with the target
// costs the requests that do not open a job: each joins the job in flight
// on a short target stream (2 events) for a requester with a short stream.
// The three modes alternate as in BenchmarkOpenJob; it prints each mode's
// mean and the ratios.
//
//	go test -run '^$' -bench JoinJob -benchtime 1x ./adapters/postgres
func BenchmarkJoinJob(b *testing.B) {
	const joins = 2000 // per mode
	ctx := context.Background()
	store := postgres.NewEventStore(db.Pool)
	run := uuid.NewString()[:8]
	type mode struct {
		name string
		h    *commands.RequestEnrichmentHandler
		d    domain.Domain
		who  string
	}
	stores := []struct {
		name  string
		store commands.EventStore
	}{
		{"whole", struct{ commands.EventStore }{store}},
		{"in-turn", readsInTurn{store}},
		{"snapshot", store},
	}
	var modes []*mode
	for _, s := range stores {
		m := &mode{
			name: s.name, h: commands.NewRequestEnrichmentHandler(s.store, domain.DefaultEnrichmentPolicy, 1000, time.Now),
			d: domain.MustParseDomain(fmt.Sprintf("join-%s-%s.com", s.name, run)), who: fmt.Sprintf("join-%s-%s@example.com", s.name, run),
		}
		if _, err := m.h.Handle(ctx, commands.RequestEnrichment{Domain: m.d, Add: true, RequestedBy: m.who}); err != nil {
			b.Fatal(err)
		}
		modes = append(modes, m)
	}
	b.ResetTimer()
	for range b.N {
		took := map[string]time.Duration{}
		for i := range joins {
			for k := range modes {
				m := modes[(i+k)%len(modes)]
				start := time.Now()
				acc, err := m.h.Handle(ctx, commands.RequestEnrichment{Domain: m.d, RequestedBy: m.who})
				took[m.name] += time.Since(start)
				if err != nil || acc.Reused != domain.ReusedInFlight {
					b.Fatalf("%s: join: %+v, %v", m.name, acc, err)
				}
			}
		}
		mean := func(name string) float64 { return float64(took[name].Microseconds()) / 1000 / joins }
		b.Logf("joining, %d each (mean ms): whole streams %.3f; snapshots read in turn %.3f; snapshots in one round trip %.3f; "+
			"one round trip ÷ whole %.2f×", joins, mean("whole"), mean("in-turn"), mean("snapshot"), mean("snapshot")/mean("whole"))
		b.ReportMetric(mean("snapshot")/mean("whole"), "ratio-snapshot/whole")
	}
}
