package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/domain"
)

// instancePool opens a pool of its own on d, as another instance of the
// service would.
func instancePool(t *testing.T, d *pgtest.Database) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), d.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// enqueueJob queues one job's fetches for providers and returns its id.
func enqueueJob(t *testing.T, q *postgres.WorkQueue, providers ...domain.Provider) uuid.UUID {
	t.Helper()
	req := domain.EnrichmentRequested{
		JobID: uuid.New(), Domain: domain.MustParseDomain("costco.com"), Providers: providers,
		ExpiresAt: time.Now().Add(time.Hour),
	}
	if err := q.Enqueue(context.Background(), req, providers, 0); err != nil {
		t.Fatal(err)
	}
	return req.JobID
}

// takeOver waits until q claims the task after the previous lease ran out.
func takeOver(t *testing.T, q *postgres.WorkQueue, lease time.Duration) postgres.FetchTask {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		tasks, err := q.Claim(context.Background(), 1, lease)
		if err != nil {
			t.Fatal(err)
		}
		if len(tasks) == 1 {
			return tasks[0]
		}
		if time.Now().After(deadline) {
			t.Fatal("the expired lease was never taken over")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A worker whose lease ran out and was taken over by another instance can
// neither renew it, nor record an outcome, nor delete the task: every write
// of its claim is fenced by the token the new claim replaced. The new holder
// then renews and completes as usual.
func TestStaleLeaseIsFenced(t *testing.T) {
	t.Parallel()
	d := pgtest.NewDB(t)
	ctx := context.Background()
	first, second := postgres.NewWorkQueue(instancePool(t, d)), postgres.NewWorkQueue(instancePool(t, d))
	jobID := enqueueJob(t, first, domain.ProviderBuiltWith, domain.ProviderSimilarWeb)

	stale, err := first.Claim(ctx, 1, 50*time.Millisecond)
	if err != nil || len(stale) != 1 || stale[0].Leases != 1 {
		t.Fatalf("first claim %+v (%v), want one task with token 1", stale, err)
	}
	// The other instance takes the job's other task, never leased, first...
	if other, err := second.Claim(ctx, 1, time.Hour); err != nil || len(other) != 1 || other[0].Provider == stale[0].Provider {
		t.Fatalf("second instance's first claim %+v (%v), want the other task", other, err)
	}
	// ...then the first task, once its lease has run out.
	current := takeOver(t, second, time.Hour)
	if current.JobID != jobID || current.Provider != stale[0].Provider || current.Leases != 2 {
		t.Fatalf("second claim %+v, want the same task with token 2", current)
	}

	recorded := 0
	record := func(context.Context, pgx.Tx) error { recorded++; return nil }
	tests := []struct {
		name string
		do   func() error
	}{
		{"extend", func() error { return first.Extend(ctx, stale[0], time.Hour) }},
		{"complete", func() error { _, err := first.Complete(ctx, stale[0], record); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); !errors.Is(err, postgres.ErrLeaseLost) {
				t.Fatalf("stale %s: %v, want ErrLeaseLost", tt.name, err)
			}
		})
	}
	if recorded != 0 {
		t.Fatalf("a stale claim recorded its outcome %d times", recorded)
	}
	if queued, _, err := first.Depth(ctx); err != nil || queued != 2 {
		t.Fatalf("%d tasks queued (%v), want both: the stale claim must delete nothing", queued, err)
	}

	if err := second.Extend(ctx, current, time.Hour); err != nil {
		t.Fatalf("current holder's renewal: %v", err)
	}
	others, err := second.Complete(ctx, current, record)
	if err != nil || others != 1 || recorded != 1 {
		t.Fatalf("current holder's completion: %d others, %d records (%v); want 1 and 1", others, recorded, err)
	}
	// A done task is fenced too: a late duplicate of the completion stores
	// nothing.
	if _, err := second.Complete(ctx, current, record); !errors.Is(err, postgres.ErrLeaseLost) || recorded != 1 {
		t.Fatalf("completing a done task: %v after %d records, want ErrLeaseLost and no record", err, recorded)
	}
}

// A failed record rolls the completion back: the task stays for its holder
// (or the next lease) to record again.
func TestCompleteRollsBackWithItsRecord(t *testing.T) {
	t.Parallel()
	d := pgtest.NewDB(t)
	ctx := context.Background()
	q := postgres.NewWorkQueue(d.Pool)
	enqueueJob(t, q, domain.ProviderYahooFinance)
	tasks, err := q.Claim(ctx, 1, time.Hour)
	if err != nil || len(tasks) != 1 {
		t.Fatalf("claim %d tasks (%v)", len(tasks), err)
	}
	boom := errors.New("append refused")
	if _, err := q.Complete(ctx, tasks[0], func(context.Context, pgx.Tx) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("complete: %v, want the record's error", err)
	}
	if queued, leased, err := q.Depth(ctx); err != nil || queued != 1 || leased != 1 {
		t.Fatalf("%d queued, %d leased (%v) after a failed record; want the task still leased", queued, leased, err)
	}
}

// Two instances' workers claiming at once take every task exactly once.
func TestRacingClaimsTakeEachTaskOnce(t *testing.T) {
	t.Parallel()
	d := pgtest.NewDB(t)
	ctx := context.Background()
	queues := []*postgres.WorkQueue{postgres.NewWorkQueue(instancePool(t, d)), postgres.NewWorkQueue(instancePool(t, d))}
	const jobs = 40
	for range jobs {
		enqueueJob(t, queues[0], domain.AllProviders...)
	}
	type taskKey struct {
		job      uuid.UUID
		provider domain.Provider
	}
	var (
		mu      sync.Mutex
		claimed = map[taskKey]int{}
		wg      sync.WaitGroup
	)
	for w := range 8 { // four workers per instance
		q := queues[w%2]
		wg.Go(func() {
			for {
				tasks, err := q.Claim(ctx, 3, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if len(tasks) == 0 {
					return
				}
				mu.Lock()
				for _, tk := range tasks {
					claimed[taskKey{tk.JobID, tk.Provider}]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != jobs*len(domain.AllProviders) {
		t.Fatalf("%d distinct tasks claimed, want %d", len(claimed), jobs*len(domain.AllProviders))
	}
	for k, n := range claimed {
		if n != 1 {
			t.Errorf("task %v claimed %d times", k, n)
		}
	}
}

// The daily quota is one budget for every instance: with a quota of 5, two
// instances taking at once get 5 calls between them, and each is refused
// afterwards.
func TestQuotaSharedByInstances(t *testing.T) {
	t.Parallel()
	d := pgtest.NewDB(t)
	limits := map[domain.Provider]int{domain.ProviderBuiltWith: 5}
	quotas := []*postgres.Quota{
		postgres.NewQuota(instancePool(t, d), limits, time.Now),
		postgres.NewQuota(instancePool(t, d), limits, time.Now),
	}
	var (
		mu               sync.Mutex
		taken, exhausted int
		wg               sync.WaitGroup
	)
	for i := range 12 {
		wg.Go(func() {
			_, err := quotas[i%2].Take(context.Background(), domain.ProviderBuiltWith)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				taken++
			case errors.Is(err, domain.ErrQuotaExhausted):
				exhausted++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if taken != 5 || exhausted != 7 {
		t.Fatalf("%d taken, %d refused; want 5 and 7", taken, exhausted)
	}
	for i, q := range quotas {
		if _, err := q.Take(context.Background(), domain.ProviderBuiltWith); !errors.Is(err, domain.ErrQuotaExhausted) {
			t.Errorf("instance %d after the quota was spent: %v, want ErrQuotaExhausted", i, err)
		}
	}
}
