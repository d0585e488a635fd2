//go:build faults

package faults

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestKillOneOfTwoInstances: two serve instances share the database; 200
// jobs are opened through both APIs, and one instance is killed with
// SIGKILL halfway through. A client whose instance is gone asks the other,
// as a load balancer would. Every job that got a 202 must end, with exactly
// one outcome per provider and nothing twice.
func TestKillOneOfTwoInstances(t *testing.T) {
	const jobs = 200
	// Each provider answer takes 300 ms, so the killed instance dies with
	// fetches in flight and tasks leased.
	p := startFixtures(t, 300*time.Millisecond)
	vars, pool, key := prepare(t, "fault_kill", p)
	a := startServe(t, "serve-a", vars)
	b := startServe(t, "serve-b", vars)

	var (
		mu       sync.Mutex
		accepted []uuid.UUID
		byB      atomic.Int32 // 202s from the instance that is killed
		rerouted atomic.Int32 // requests B could not take after its death
		retried  atomic.Int32 // 503 answers asking to retry
		answered atomic.Int32
		refused  []string
	)
	killed := make(chan struct{})
	var leasedAtKill, queuedAtKill int
	go func() {
		for answered.Load() < jobs/2 {
			time.Sleep(10 * time.Millisecond)
		}
		_ = pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE lease_until > now()), count(*) FROM fetch_tasks`).
			Scan(&leasedAtKill, &queuedAtKill)
		b.kill9(t)
		close(killed)
	}()

	work := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range work {
				d := fmt.Sprintf("kill-%03d-retail.com", i)
				target := a
				if i%2 == 1 {
					target = b
				}
				var (
					ans enrichAnswer
					err error
				)
				for try := 0; ; try++ {
					ans, err = enrich(context.Background(), target.base, key, d, false)
					if err != nil && target == b {
						// The instance is gone (or went mid-request): ask the
						// other. A request B took before dying joins its job.
						rerouted.Add(1)
						target = a
						ans, err = enrich(context.Background(), a.base, key, d, false)
					}
					// 503 with Retry-After asks the client to send the
					// request again, as a well-behaved one does; how often
					// is part of the report.
					if err != nil || ans.code != http.StatusServiceUnavailable || try == 5 {
						break
					}
					retried.Add(1)
					time.Sleep(2 * time.Second)
				}
				answered.Add(1)
				mu.Lock()
				switch {
				case err != nil:
					refused = append(refused, fmt.Sprintf("%s: %v", d, err))
				case ans.code != http.StatusAccepted:
					refused = append(refused, fmt.Sprintf("%s: %d %s", d, ans.code, ans.body))
				default:
					accepted = append(accepted, ans.jobID)
					if target == b {
						byB.Add(1)
					}
				}
				mu.Unlock()
				// Spread the requests over a few seconds so the kill lands
				// among running fetches, not after them.
				time.Sleep(80 * time.Millisecond)
			}
		})
	}
	for i := range jobs {
		work <- i
	}
	close(work)
	wg.Wait()
	<-killed

	if len(refused) > 0 {
		t.Errorf("%d requests refused: %v", len(refused), refused)
		for _, in := range []*instance{a, b} {
			for _, l := range in.errorLines(10) {
				t.Logf("%s logged: %s", in.name, l)
			}
		}
	}
	ended := waitEnded(t, pool, accepted)
	tl := audit(t, pool, accepted)
	if a.done() {
		t.Errorf("the surviving instance exited: %v", a.err)
	}
	t.Logf("accepted %d (serve-b %d before it died; %d rerouted to serve-a; %d answered 503 and sent again), ended %d, statuses %s, provider failures %s",
		len(accepted), byB.Load(), rerouted.Load(), retried.Load(), ended, counts(tl.statuses), counts(tl.failures))
	t.Logf("at the kill: %d fetch tasks queued, %d of them leased", queuedAtKill, leasedAtKill)
	if len(accepted) != jobs || tl.lost != 0 || tl.duplicated != 0 || tl.unfinished != 0 || tl.expired != 0 {
		t.Errorf("accepted %d of %d; lost %d, duplicated %d, unfinished %d, expired %d",
			len(accepted), jobs, tl.lost, tl.duplicated, tl.unfinished, tl.expired)
	}
	if leasedAtKill == 0 {
		t.Errorf("no fetch task was leased when serve-b died: the fault did not bite")
	}
	record(row{
		fault: "`kill -9` of one of two `serve` instances, 200 jobs",
		happened: fmt.Sprintf("%d/%d jobs accepted (%d requests rerouted to the survivor, %d answered 503 busy and sent again), %d fetch tasks queued and %d leased at the kill; all %d ended (%s)",
			len(accepted), jobs, rerouted.Load(), retried.Load(), queuedAtKill, leasedAtKill, ended, counts(tl.statuses)),
		lost: tl.lost, duplicated: tl.duplicated, unfin: tl.unfinished,
	})
	a.stop(t)
}
