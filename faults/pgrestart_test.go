//go:build faults

package faults

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// downFor is how long the database stays down: long enough for /ready to be
// asked several times and for the pool's connections to be found broken.
const downFor = 6 * time.Second

// TestPostgresRestartUnderLoad: the database is stopped (fast shutdown, as a
// restart does) and started again while clients keep opening jobs and
// reading. While it is down, /ready must answer 503 and every answer must be
// a proper JSON error; afterwards the service must serve again without being
// restarted, and every job it accepted, before or after, must end.
func TestPostgresRestartUnderLoad(t *testing.T) {
	p := startFixtures(t, 50*time.Millisecond)
	vars, pool, key := prepare(t, "fault_pg_restart", p)
	s := startServe(t, "serve", vars)
	ctx := context.Background()

	var (
		mu       sync.Mutex
		accepted []uuid.UUID
		answers  = map[string]int{} // "POST 202", "GET 503", "transport error" …
		badBody  []string           // answers that were not the API's JSON
		phase    = "before"
		ready    = map[string]map[int]int{"before": {}, "down": {}, "after": {}}
	)
	note := func(what string, code int, body []byte, err error) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			answers[what+" transport error"]++
			badBody = append(badBody, fmt.Sprintf("%s in phase %s: %v", what, phase, err))
		default:
			answers[fmt.Sprintf("%s %d", what, code)]++
			if code >= 300 && !isJSONError(body) {
				badBody = append(badBody, fmt.Sprintf("%s %d in phase %s: %q", what, code, phase, body))
			}
		}
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var n int64
	var nmu sync.Mutex
	next := func() int64 { nmu.Lock(); defer nmu.Unlock(); n++; return n }
	for range 3 { // writers
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				d := fmt.Sprintf("pg-%05d-retail.com", next())
				ans, err := enrich(ctx, s.base, key, d, false)
				note("POST /api/enrich", ans.code, ans.body, err)
				if err == nil && ans.code == http.StatusAccepted {
					mu.Lock()
					accepted = append(accepted, ans.jobID)
					mu.Unlock()
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	wg.Go(func() { // a reader
		for {
			select {
			case <-stop:
				return
			default:
			}
			code, body, err := httpGet(ctx, s.base+"/api/targets?per_page=20", key)
			note("GET /api/targets", code, body, err)
			time.Sleep(50 * time.Millisecond)
		}
	})
	wg.Go(func() { // readiness, as a load balancer asks it
		for {
			select {
			case <-stop:
				return
			default:
			}
			code, body, err := httpGet(ctx, s.base+"/ready", "")
			note("GET /ready", code, body, err)
			if err == nil {
				mu.Lock()
				ready[phase][code]++
				mu.Unlock()
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	setPhase := func(ph string) { mu.Lock(); phase = ph; mu.Unlock() }

	time.Sleep(3 * time.Second)
	setPhase("down")
	if err := suite.cluster.stop(ctx); err != nil {
		t.Fatal(err)
	}
	stoppedAt := time.Now()
	time.Sleep(downFor)
	if err := suite.cluster.start(ctx); err != nil {
		t.Fatal(err)
	}
	down := time.Since(stoppedAt)
	setPhase("after")
	// Serving again: /ready 200 without anyone restarting the service.
	deadline := time.Now().Add(2 * time.Minute)
	var backAfter time.Duration
	for {
		if code, _, err := httpGet(ctx, s.base+"/ready", ""); err == nil && code == http.StatusOK {
			backAfter = time.Since(stoppedAt) - down
			break
		}
		if s.done() || time.Now().After(deadline) {
			close(stop)
			wg.Wait()
			t.Fatalf("not ready again 2 minutes after the database came back (exited: %v)\n%s", s.done(), s.logTail(60))
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(5 * time.Second) // load goes on after the recovery
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	if ready["down"][http.StatusServiceUnavailable] == 0 {
		t.Errorf("/ready never answered 503 while the database was down: %v", ready["down"])
	}
	if ready["before"][http.StatusServiceUnavailable] != 0 {
		t.Errorf("/ready answered 503 before the fault: %v", ready["before"])
	}
	if len(badBody) > 0 {
		t.Errorf("%d answers were not JSON errors: %v", len(badBody), badBody[:min(len(badBody), 10)])
	}
	// A database that is down is a reason to retry, not a server bug: 503
	// with Retry-After, never 500.
	for k, v := range answers {
		if strings.HasSuffix(k, " 500") {
			t.Errorf("%d answers %q: an unreachable database must answer 503", v, k)
		}
	}
	if answers["POST /api/enrich 202"] == 0 {
		t.Errorf("no job was accepted at all: %v", answers)
	}

	ended := waitEnded(t, pool, accepted)
	tl := audit(t, pool, accepted)
	if s.done() {
		t.Errorf("serve exited: %v\n%s", s.err, s.logTail(40))
	}
	summary := counts(answers)
	t.Logf("database down %s; /ready 200 again %s after it came back; answers: %s; /ready by phase %v; %d accepted, %d ended, statuses %s",
		down.Round(100*time.Millisecond), backAfter.Round(100*time.Millisecond), summary, ready, len(accepted), ended, counts(tl.statuses))
	for _, l := range s.errorLines(15) {
		t.Logf("serve logged: %s", l)
	}
	if tl.lost != 0 || tl.duplicated != 0 || tl.unfinished != 0 || tl.expired != 0 {
		t.Errorf("lost %d, duplicated %d, unfinished %d, expired %d", tl.lost, tl.duplicated, tl.unfinished, tl.expired)
	}
	record(row{
		fault: "PostgreSQL stopped (fast) and started again under load",
		happened: fmt.Sprintf("down %s: /ready 503 ×%d, clients saw %s (every error a JSON error, no dropped connection); /ready 200 again %s after the start, no restart; %d jobs accepted, all ended (%s)",
			down.Round(time.Second), ready["down"][http.StatusServiceUnavailable], summary, backAfter.Round(100*time.Millisecond), tl.jobs, counts(tl.statuses)),
		lost: tl.lost, duplicated: tl.duplicated, unfin: tl.unfinished,
	})
	s.stop(t)
}
