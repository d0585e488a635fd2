package projections_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections"
	"github.com/partnerforge/partnerforge/projections/projectiontest"
)

func verify(t *testing.T, r *projections.Runner, name string) projections.VerifyResult {
	t.Helper()
	res, err := r.Verify(context.Background(), name, projections.RebuildOptions{BatchSize: 5})
	if err != nil {
		t.Fatalf("verify %s: %v", name, err)
	}
	return res
}

// Verify folds the log afresh and finds every row the live model holds
// differently: changed, missing, or not in the log at all.
func TestVerifyCatchesRowsAlteredBehindItsBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		alter     string
		table     string
		key       string
		columns   []string
		liveRow   bool
		freshRow  bool
		projected string
	}{
		{
			name: "changed value", alter: "UPDATE displacement_targets SET icp_score = icp_score + 1 WHERE domain = 'beta-home.de'",
			projected: projections.TargetsName, table: "displacement_targets", key: `["beta-home.de"]`,
			columns: []string{"icp_score"}, liveRow: true, freshRow: true,
		},
		{
			name: "deleted row", alter: "DELETE FROM displacement_targets WHERE domain = 'alpha-shop.com'",
			projected: projections.TargetsName, table: "displacement_targets", key: `["alpha-shop.com"]`, freshRow: true,
		},
		{
			name: "row not in the log", alter: "INSERT INTO displacement_targets (domain, updated_at) VALUES ('forged.com', now())",
			projected: projections.TargetsName, table: "displacement_targets", key: `["forged.com"]`, liveRow: true,
		},
		{
			name: "list row changed", alter: "UPDATE target_list SET icp_score = icp_score + 1 WHERE domain = 'beta-home.de'",
			projected: projections.TargetsName, table: "target_list", key: `["beta-home.de"]`,
			columns: []string{"icp_score"}, liveRow: true, freshRow: true,
		},
		{
			name: "list row missing", alter: "DELETE FROM target_list WHERE domain = 'alpha-shop.com'",
			projected: projections.TargetsName, table: "target_list", key: `["alpha-shop.com"]`, freshRow: true,
		},
		{
			name: "job status", alter: "UPDATE enrichment_jobs SET status = 'failed' WHERE domain = 'never-imported.io'",
			projected: projections.JobsName, table: "enrichment_jobs", columns: []string{"status"}, liveRow: true, freshRow: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := isolated(t)
			seedHistory(t, d)
			r := newRunner(t, d)
			catchUp(t, r)
			if res := verify(t, r, tt.projected); res.Count != 0 || res.Rows[tt.table] == 0 {
				t.Fatalf("before the change: %d differences over %v rows: %+v", res.Count, res.Rows, res.Differences)
			}
			if _, err := d.Pool.Exec(context.Background(), tt.alter); err != nil {
				t.Fatal(err)
			}
			res := verify(t, r, tt.projected)
			if res.Count != 1 || len(res.Differences) != 1 {
				t.Fatalf("%d differences, want 1: %+v", res.Count, res.Differences)
			}
			diff := res.Differences[0]
			if diff.Table != tt.table || (tt.key != "" && diff.Key != tt.key) ||
				(diff.Live != nil) != tt.liveRow || (diff.Fresh != nil) != tt.freshRow {
				t.Errorf("difference %s %s (live %v, fresh %v)", diff.Table, diff.Key, diff.Live != nil, diff.Fresh != nil)
			}
			if tt.columns != nil && !slices.Equal(diff.Columns(), tt.columns) {
				t.Errorf("columns %v, want %v", diff.Columns(), tt.columns)
			}
			if n := countSchemas(t, d); n != 0 {
				t.Errorf("%d scratch schemas left behind", n)
			}
		})
	}
}

func countSchemas(t *testing.T, d *pgtest.Database) int {
	t.Helper()
	var n int
	err := d.Pool.QueryRow(context.Background(),
		"SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'partnerforge\\_%'").Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func indexNames(t *testing.T, d *pgtest.Database, table string) []string {
	t.Helper()
	rows, err := d.Pool.Query(context.Background(),
		"SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 ORDER BY 1", table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// A rebuild while the service reads the live model and the log keeps
// growing: no read fails or sees fewer targets than before, and the
// swapped-in model equals a fresh fold of the log.
func TestRebuildWhileReadingAndAppending(t *testing.T) {
	t.Parallel()
	d := isolated(t)
	seedHistory(t, d)
	importN(t, d, 120)
	live := newRunner(t, d)
	catchUp(t, live)
	ctx := context.Background()
	before := countRows(t, d, "displacement_targets")
	indexesBefore := indexNames(t, d, "displacement_targets")

	runCtx, stopRun := context.WithCancel(ctx)
	running := make(chan error, 1)
	go func() { running <- live.Run(runCtx) }()

	var (
		wg              sync.WaitGroup
		stop            = make(chan struct{})
		reads, appended atomic.Int64
		failures        = make(chan string, 100)
	)
	fail := func(format string, args ...any) {
		select {
		case failures <- fmt.Sprintf(format, args...):
		default:
		}
	}
	for range 2 { // readers, as the list route queries
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				var n int
				err := d.Pool.QueryRow(ctx, "SELECT count(*) FROM displacement_targets WHERE icp_score IS NOT NULL").Scan(&n)
				switch {
				case err != nil:
					fail("read: %v", err)
				case n < before:
					fail("a read saw %d targets, fewer than the %d before the rebuild", n, before)
				}
				reads.Add(1)
			}
		})
	}
	wg.Go(func() { // the log keeps growing
		s := store(d)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			p := projectiontest.Profile(uniqueDomain("during"), "During Co", "Fashion", "US", int64(i%100))
			projectiontest.Import(t, s, uuid.New(), p)
			appended.Add(1)
		}
	})

	var phases []string
	res, err := live.RebuildWith(ctx, projections.TargetsName, projections.RebuildOptions{
		BatchSize: 16, // many batches, so the appends land during the load
		Progress: func(p projections.Progress) {
			if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
				phases = append(phases, p.Phase)
			}
		},
	})
	// Keep reading and appending a little past the swap.
	for target := reads.Load() + 20; reads.Load() < target; {
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	stopRun()
	if err := <-running; err != nil {
		t.Fatal(err)
	}
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	if err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	want := []string{projections.PhaseLoad, projections.PhaseIndex, projections.PhaseCatchUp, projections.PhaseSwap, projections.PhaseFinished}
	if !slices.Equal(phases, want) {
		t.Errorf("phases %v, want %v", phases, want)
	}
	if res.Events == 0 || res.SwapAttempts != 1 {
		t.Errorf("result %+v", res)
	}
	t.Logf("%d reads and %d appends during the rebuild", reads.Load(), appended.Load())

	catchUp(t, live)
	if got := verify(t, live, projections.TargetsName); got.Count != 0 {
		t.Errorf("after the swap the model differs from the log in %d rows: %+v", got.Count, got.Differences)
	}
	if n := countRows(t, d, "displacement_targets"); n < before+int(appended.Load()) {
		t.Errorf("%d targets after the rebuild, want at least %d", n, before+int(appended.Load()))
	}
	if got := indexNames(t, d, "displacement_targets"); !slices.Equal(got, indexesBefore) {
		t.Errorf("indexes after the swap %v, want %v", got, indexesBefore)
	}
	if n := countSchemas(t, d); n != 0 {
		t.Errorf("%d shadow or retired schemas left behind", n)
	}
	st, err := live.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if wantGen := map[string]int64{projections.TargetsName: 1}[s.Name]; s.Generation != wantGen {
			t.Errorf("%s generation %d, want %d", s.Name, s.Generation, wantGen)
		}
	}
}

// A reader holding the live table keeps the swap from taking its lock: the
// swap gives up waiting after lock_timeout and tries again, until the
// reader lets go — or, after its last attempt, leaves the live model as it
// was.
func TestSwapRetriesWhileTheLiveTableIsBusy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		releaseAfter int // the reader ends its transaction at this swap attempt; 0: never
		attempts     int
		wantErr      bool
	}{
		{name: "reader lets go", releaseAfter: 3, attempts: 10},
		{name: "reader holds on", attempts: 2, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := isolated(t)
			seedHistory(t, d)
			r := newRunner(t, d)
			catchUp(t, r)
			ctx := context.Background()
			before := dump(t, d, "displacement_targets", "domain")

			reader, err := d.Pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = reader.Rollback(ctx) }()
			if _, err := reader.Exec(ctx, "SELECT count(*) FROM displacement_targets"); err != nil {
				t.Fatal(err) // holds ACCESS SHARE until the transaction ends
			}
			var tries int
			res, err := r.RebuildWith(ctx, projections.TargetsName, projections.RebuildOptions{
				LockTimeout: 20 * time.Millisecond, SwapAttempts: tt.attempts,
				Progress: func(p projections.Progress) {
					if p.Phase != projections.PhaseSwap {
						return
					}
					tries = p.SwapAttempt
					if tt.releaseAfter > 0 && tries == tt.releaseAfter {
						if err := reader.Commit(ctx); err != nil {
							t.Error(err)
						}
					}
				},
			})
			if tt.wantErr {
				var pgErr interface{ SQLState() string }
				if !errors.As(err, &pgErr) || pgErr.SQLState() != "55P03" {
					t.Fatalf("rebuild: %v, want a lock timeout", err)
				}
				if tries != tt.attempts {
					t.Errorf("%d swap attempts, want %d", tries, tt.attempts)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if res.SwapAttempts != tt.releaseAfter {
					t.Errorf("swapped at attempt %d, want %d", res.SwapAttempts, tt.releaseAfter)
				}
			}
			_ = reader.Rollback(ctx)
			if after := dump(t, d, "displacement_targets", "domain"); !slices.Equal(before, after) {
				t.Errorf("read model changed:\nbefore %v\nafter  %v", before, after)
			}
			if n := countSchemas(t, d); n != 0 {
				t.Errorf("%d shadow or retired schemas left behind", n)
			}
		})
	}
}

// poison fails on every event of one stream, as a projection would on an
// event its code cannot handle.
type poison struct{ stream string }

func (poison) Name() string        { return "poison" }
func (poison) Tables() []string    { return nil }
func (poison) Handles(string) bool { return true }
func (p poison) Apply(_ context.Context, _ gen.DBTX, re domain.RecordedEvent, _ domain.Event) error {
	if re.StreamID == p.stream {
		return errors.New("cannot apply this one")
	}
	return nil
}

// A projection that keeps failing on one event says so, with the event,
// instead of retrying silently; once the event applies, it is ready again.
func TestStuckProjectionIsReported(t *testing.T) {
	t.Parallel()
	d := isolated(t)
	importN(t, d, 2)
	bad := uniqueDomain("bad")
	projectiontest.Import(t, store(d), uuid.New(), projectiontest.Profile(bad, "Bad", "Fashion", "US", 1))
	importN(t, d, 2)
	var badEvent uuid.UUID
	var badPos int64
	if err := d.Pool.QueryRow(context.Background(), "SELECT event_id, position FROM events WHERE stream_id = $1",
		domain.TargetStream(domain.MustParseDomain(bad))).Scan(&badEvent, &badPos); err != nil {
		t.Fatal(err)
	}

	p := poison{stream: domain.TargetStream(domain.MustParseDomain(bad))}
	r, err := projections.NewRunner(d.Pool, projections.Config{PollInterval: time.Millisecond}, p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()

	var st projections.Status
	deadline := time.Now().Add(time.Minute)
	for !st.Stuck() {
		if time.Now().After(deadline) {
			t.Fatalf("never reported stuck: %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
		all, err := r.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		st = all[0]
	}
	if f := st.Failure; f.Position != badPos || f.EventID != badEvent || !strings.Contains(f.Error, "cannot apply this one") || st.Position >= badPos {
		t.Errorf("status %+v, failure %+v; want stuck before position %d on event %s", st, *f, badPos, badEvent)
	}
	readyErr := r.Ready(context.Background())
	if readyErr == nil || !strings.Contains(readyErr.Error(), badEvent.String()) || !strings.Contains(readyErr.Error(), fmt.Sprint(badPos)) {
		t.Errorf("ready: %v", readyErr)
	}
}

// Only one rebuild or verify of a projection runs at a time: the second
// stops at once, before it touches the first one's shadow.
func TestSecondRebuildOfAProjectionIsRefused(t *testing.T) {
	t.Parallel()
	d := isolated(t)
	seedHistory(t, d)
	r := newRunner(t, d)
	catchUp(t, r)
	ctx := context.Background()
	conn, err := d.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	// What a running rebuild of displacement_targets holds.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtext('partnerforge.rebuild'), hashtext($1))", projections.TargetsName); err != nil {
		t.Fatal(err)
	}
	if err := r.Rebuild(ctx, projections.TargetsName); !errors.Is(err, projections.ErrBusy) {
		t.Errorf("rebuild while another runs: %v, want ErrBusy", err)
	}
	if _, err := r.Verify(ctx, projections.TargetsName, projections.RebuildOptions{}); !errors.Is(err, projections.ErrBusy) {
		t.Errorf("verify while a rebuild runs: %v, want ErrBusy", err)
	}
	if err := r.Rebuild(ctx, projections.JobsName); err != nil {
		t.Errorf("rebuild of another projection: %v", err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock(hashtext('partnerforge.rebuild'), hashtext($1))", projections.TargetsName); err != nil {
		t.Fatal(err)
	}
	if err := r.Rebuild(ctx, projections.TargetsName); err != nil {
		t.Errorf("rebuild once the other ended: %v", err)
	}
}
