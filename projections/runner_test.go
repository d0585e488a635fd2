package projections_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections"
	"github.com/partnerforge/partnerforge/projections/projectiontest"
)

// ledger records every event it applies in a table whose primary key is the
// event id: applying an event twice fails, and the row count shows whether
// any was skipped.
type ledger struct {
	failAt int // fail on the failAt-th event applied in this process; 0: never
	mu     sync.Mutex
	seen   int
}

const ledgerName = "ledger"

func (*ledger) Name() string                  { return ledgerName }
func (*ledger) Tables() []string              { return []string{"ledger_applied"} }
func (*ledger) Handles(eventType string) bool { return eventType == domain.TypeTargetImported }

func (l *ledger) Apply(ctx context.Context, db gen.DBTX, re domain.RecordedEvent, _ domain.Event) error {
	l.mu.Lock()
	l.seen++
	fail := l.seen == l.failAt
	l.mu.Unlock()
	if _, err := db.Exec(ctx, "INSERT INTO ledger_applied (event_id, position) VALUES ($1, $2)", re.ID, re.Position); err != nil {
		return err
	}
	if fail {
		return errors.New("planted failure")
	}
	return nil
}

func newLedgerDB(t *testing.T) *pgtest.Database {
	t.Helper()
	d := isolated(t)
	if _, err := d.Pool.Exec(context.Background(), "CREATE TABLE ledger_applied (event_id uuid PRIMARY KEY, position bigint NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	return d
}

func importN(t *testing.T, d *pgtest.Database, n int) {
	t.Helper()
	profiles := make([]domain.TargetProfile, n)
	for i := range profiles {
		profiles[i] = projectiontest.Profile(uniqueDomain("n"), "Company", "Fashion", "US", int64(i%100))
	}
	projectiontest.Import(t, store(d), uuid.New(), profiles...)
}

func countRows(t *testing.T, d *pgtest.Database, table string) int {
	t.Helper()
	var n int
	if err := d.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A batch that fails leaves no trace: the events it applied before the
// failure are rolled back with the checkpoint. Batches are cut by the commit
// horizon, which other transactions on the server can hold back, so the
// failure is planted on the last event and the test checks that the applied
// rows are exactly those at or below the checkpoint, whatever the batches were.
func TestFailedBatchAppliesNothing(t *testing.T) {
	t.Parallel()
	d := newLedgerDB(t)
	importN(t, d, 5) // the batch size is 7: at most two batches when the horizon lags
	failing := &ledger{failAt: 5}
	err := newRunner(t, d, failing).CatchUp(context.Background())
	if err == nil {
		t.Fatal("catch up succeeded despite a failing handler")
	}
	pos := checkpoint(t, d, ledgerName)
	var last int64
	if err := d.Pool.QueryRow(context.Background(), "SELECT max(position) FROM events").Scan(&last); err != nil {
		t.Fatal(err)
	}
	if pos >= last {
		t.Errorf("checkpoint moved to %d, past the failing event at %d", pos, last)
	}
	var beyond, below int
	if err := d.Pool.QueryRow(context.Background(),
		"SELECT count(*) FILTER (WHERE position > $1), count(*) FILTER (WHERE position <= $1) FROM ledger_applied", pos,
	).Scan(&beyond, &below); err != nil {
		t.Fatal(err)
	}
	if beyond != 0 {
		t.Errorf("%d events past the checkpoint applied by a failed batch", beyond)
	}
	var committed int
	if err := d.Pool.QueryRow(context.Background(),
		"SELECT count(*) FROM events WHERE event_type = $1 AND position <= $2", domain.TypeTargetImported, pos,
	).Scan(&committed); err != nil {
		t.Fatal(err)
	}
	if below != committed {
		t.Errorf("%d events applied at or below the checkpoint, want %d", below, committed)
	}
	catchUp(t, newRunner(t, d, &ledger{}))
	if n := countRows(t, d, "ledger_applied"); n != 5 {
		t.Errorf("%d events applied after recovery, want 5", n)
	}
}

func TestRestartResumesExactly(t *testing.T) {
	t.Parallel()
	d := newLedgerDB(t)
	importN(t, d, 10)
	catchUp(t, newRunner(t, d, &ledger{}))
	first := checkpoint(t, d, ledgerName)
	importN(t, d, 9)
	// A new runner is a restarted process: it knows only the checkpoint.
	catchUp(t, newRunner(t, d, &ledger{}))
	if n := countRows(t, d, "ledger_applied"); n != 19 {
		t.Errorf("%d events applied, want 19", n)
	}
	var maxPos int64
	if err := d.Pool.QueryRow(context.Background(), "SELECT max(position) FROM events").Scan(&maxPos); err != nil {
		t.Fatal(err)
	}
	if pos := checkpoint(t, d, ledgerName); pos != maxPos || pos <= first {
		t.Errorf("checkpoint %d, want the last position %d (was %d)", pos, maxPos, first)
	}
}

// Two processes following one projection never apply a batch twice.
func TestConcurrentRunnersApplyOnce(t *testing.T) {
	t.Parallel()
	d := newLedgerDB(t)
	importN(t, d, 40)
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		r := newRunner(t, d, &ledger{})
		wg.Go(func() { errs <- r.CatchUp(context.Background()) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("catch up: %v", err)
		}
	}
	if n := countRows(t, d, "ledger_applied"); n != 40 {
		t.Errorf("%d events applied, want 40", n)
	}
}

// seedHistory appends imports, a revert and jobs of every outcome.
func seedHistory(t *testing.T, d *pgtest.Database) {
	t.Helper()
	s := store(d)
	batch := uuid.New()
	a, b, c := projectiontest.Profile("alpha-shop.com", "Alpha", "Fashion", "US", 81),
		projectiontest.Profile("beta-home.de", "Beta", "Home", "DE", 45),
		projectiontest.Profile("gamma-sport.co.uk", "Gamma", "Sport", "GB", 12)
	projectiontest.Import(t, s, batch, a, b, c)
	projectiontest.Revert(t, s, batch, c.Domain)
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	projectiontest.RunJob(t, s, projectiontest.Job{Domain: a.Domain, At: at, Fetched: projectiontest.AllFetched(), Profile: &a})
	projectiontest.RunJob(t, s, projectiontest.Job{Domain: b.Domain, At: at,
		Fetched: map[domain.Provider]domain.ProviderData{domain.ProviderSimilarWeb: projectiontest.Traffic},
		Failed:  map[domain.Provider]domain.FailureCode{domain.ProviderBuiltWith: domain.FailureUnauthorized}, Profile: &b})
	projectiontest.RunJob(t, s, projectiontest.Job{Domain: "never-imported.io", At: at, Fetched: projectiontest.AllFetched()})
	projectiontest.RunJob(t, s, projectiontest.Job{Domain: c.Domain, At: at, Pending: domain.AllProviders})
}

func TestRebuildReproducesReadModels(t *testing.T) {
	t.Parallel()
	d := isolated(t)
	seedHistory(t, d)
	r := newRunner(t, d)
	catchUp(t, r)
	before := dumpAll(t, d)
	if len(before["displacement_targets"]) != 3 || len(before["enrichment_jobs"]) != 4 {
		t.Fatalf("unexpected read models: %v", before)
	}
	for _, name := range r.Names() {
		if err := r.Rebuild(context.Background(), name); err != nil {
			t.Fatal(err)
		}
	}
	if after := dumpAll(t, d); !reflect.DeepEqual(before, after) {
		t.Errorf("rebuild changed the read models:\nbefore %v\nafter  %v", before, after)
	}
	if err := r.Rebuild(context.Background(), "nope"); !errors.Is(err, projections.ErrUnknownProjection) {
		t.Errorf("rebuild of an unknown projection: %v", err)
	}
}

// Redelivering already applied events — as a checkpoint lost or reset would
// — leaves the read models as they were.
func TestReplayIsIdempotent(t *testing.T) {
	t.Parallel()
	d := isolated(t)
	seedHistory(t, d)
	r := newRunner(t, d)
	catchUp(t, r)
	before := dumpAll(t, d)
	var mid int64
	if err := d.Pool.QueryRow(context.Background(), "SELECT position FROM events ORDER BY position OFFSET 5 LIMIT 1").Scan(&mid); err != nil {
		t.Fatal(err)
	}
	for _, pos := range []int64{mid, 0} {
		if _, err := d.Pool.Exec(context.Background(), "UPDATE projection_checkpoints SET position = $1", pos); err != nil {
			t.Fatal(err)
		}
		catchUp(t, r)
		if after := dumpAll(t, d); !reflect.DeepEqual(before, after) {
			t.Errorf("replay from %d changed the read models:\nbefore %v\nafter  %v", pos, before, after)
		}
	}
}

func TestRunFollowsAndNotifyWakes(t *testing.T) {
	t.Parallel()
	d := newLedgerDB(t)
	// A poll interval far beyond the deadline: only Notify can explain a
	// prompt update.
	r, err := projections.NewRunner(d.Pool, projections.Config{PollInterval: time.Hour}, &ledger{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})

	importN(t, d, 3)
	deadline := time.Now().Add(30 * time.Second)
	for countRows(t, d, "ledger_applied") < 3 {
		if time.Now().After(deadline) {
			t.Fatal("events not applied after Notify")
		}
		r.Notify()
		time.Sleep(5 * time.Millisecond)
	}

	st, err := r.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || st[0].Name != ledgerName || st[0].Behind != 0 || st[0].Position != st[0].Head {
		t.Errorf("status = %+v", st)
	}
}

func TestStatusShowsLag(t *testing.T) {
	t.Parallel()
	d := newLedgerDB(t)
	importN(t, d, 4)
	r := newRunner(t, d, &ledger{})
	st, err := r.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st[0].Behind != 4 || st[0].Position != 0 || st[0].Head == 0 {
		t.Errorf("before catching up: %+v", st[0])
	}
}

func TestNewRunnerRejectsRepeatedNames(t *testing.T) {
	t.Parallel()
	if _, err := projections.NewRunner(db.Pool, projections.Config{}, projections.Targets{}, projections.Targets{}); err == nil {
		t.Error("repeated projection name accepted")
	}
	if _, err := projections.NewRunner(nil, projections.Config{}); err == nil {
		t.Error("nil pool accepted")
	}
}

// A resting runner looks at the log when notified, or at its fallback
// interval when no notification comes, and reports each committed batch.
func TestRestingRunner(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		rest   time.Duration
		notify bool
	}{
		// An hour-long rest: only Notify can explain the update.
		{"woken by Notify", time.Hour, true},
		// Notifications lost: the fallback poll applies the events.
		{"fallback poll", 20 * time.Millisecond, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := newLedgerDB(t)
			committed := make(chan string, 100)
			r, err := projections.NewRunner(d.Pool, projections.Config{
				PollInterval: time.Millisecond, Rest: c.rest,
				Committed: func(name string) {
					select {
					case committed <- name:
					default:
					}
				},
			}, &ledger{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- r.Run(ctx) }()
			t.Cleanup(func() { cancel(); <-done })

			importN(t, d, 3)
			deadline := time.Now().Add(30 * time.Second)
			for countRows(t, d, "ledger_applied") < 3 {
				if time.Now().After(deadline) {
					t.Fatal("events not applied")
				}
				if c.notify {
					r.Notify()
				}
				time.Sleep(5 * time.Millisecond)
			}
			if name := <-committed; name != ledgerName {
				t.Errorf("committed reported %q, want %q", name, ledgerName)
			}
		})
	}
}
