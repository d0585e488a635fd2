//go:build faults

package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// horizonWarnAbove is serve's threshold for the /ready warning.
const horizonWarnAbove = 10 * time.Second

// TestLongTransactionHoldsBackTheHorizon: a transaction holding a
// transaction id, opened elsewhere on the server (an operator's psql
// session, a report), holds back every follower of the log — a property of
// reading only below the oldest open transaction. The suite shows the
// service says so (metric, /ready warning) and recovers when it ends.
func TestLongTransactionHoldsBackTheHorizon(t *testing.T) {
	p := startFixtures(t, 0)
	vars, pool, key := prepare(t, "fault_horizon", p)
	s := startServe(t, "serve", vars)
	ctx := context.Background()

	// Nothing holds the horizon yet.
	if lag, err := metric(ctx, s.base, key, "partnerforge_event_horizon_lag_seconds"); err != nil || lag >= horizonWarnAbove.Seconds() {
		t.Fatalf("horizon lag before the fault = %v, %v", lag, err)
	}

	// Another client of the same server, not the service: its session has
	// no idle_in_transaction_session_timeout.
	other, err := pgx.Connect(ctx, suite.cluster.url("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	tx, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // ended explicitly below
	var xid string
	if err := tx.QueryRow(ctx, "SELECT pg_current_xact_id()::text").Scan(&xid); err != nil {
		t.Fatal(err)
	}
	heldAt := time.Now()

	const target = "costco.com"
	ans, err := enrich(ctx, s.base, key, target, false)
	if err != nil || ans.code != http.StatusAccepted {
		t.Fatalf("enrich %s: %v %d %s", target, err, ans.code, ans.body)
	}

	// The metric rises past the threshold and /ready warns, still 200.
	var lagHeld float64
	var warning string
	deadline := time.Now().Add(time.Minute)
	for {
		lagHeld, _ = metric(ctx, s.base, key, "partnerforge_event_horizon_lag_seconds")
		code, body, err := httpGet(ctx, s.base+"/ready", "")
		var r struct {
			Status   string            `json:"status"`
			Warnings map[string]string `json:"warnings"`
		}
		if err == nil && code == http.StatusOK && json.Unmarshal(body, &r) == nil && r.Warnings["event_horizon"] != "" &&
			lagHeld > horizonWarnAbove.Seconds() {
			warning = r.Warnings["event_horizon"]
			break
		}
		if err == nil && code != http.StatusOK {
			t.Fatalf("/ready = %d %s while the horizon is held: a warning must not make the service unready", code, body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no /ready warning a minute into the held transaction (lag %v, last %d %s)", lagHeld, code, body)
		}
		time.Sleep(500 * time.Millisecond)
	}
	// The read model has not moved past the transaction: the target the
	// request added is not listed yet, whatever the job's own stream says.
	code, body, err := httpGet(ctx, s.base+"/api/companies/"+target, key)
	if err != nil {
		t.Fatal(err)
	}
	heldBack := code == http.StatusNotFound
	if !heldBack {
		t.Errorf("GET /api/companies/%s = %d while the horizon was held: the fault did not bite (%s)", target, code, body)
	}
	jobCode, jobBody, _ := httpGet(ctx, s.base+"/api/enrich/status/"+ans.jobID.String(), key)
	var job struct {
		Status    string `json:"status"`
		Providers map[string]struct {
			Status string `json:"status"`
		} `json:"providers"`
	}
	_ = json.Unmarshal(jobBody, &job)
	t.Logf("held xid %s for %s: lag %.1f s, /ready warning %q, company route %d, job status %d %q %+v",
		xid, time.Since(heldAt).Round(time.Second), lagHeld, warning, code, jobCode, job.Status, job.Providers)

	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	releasedAt := time.Now()

	// Recovery: the lag falls, the warning goes, the read model catches up.
	var lagAfter float64
	deadline = time.Now().Add(time.Minute)
	for {
		lagAfter, _ = metric(ctx, s.base, key, "partnerforge_event_horizon_lag_seconds")
		_, rb, _ := httpGet(ctx, s.base+"/ready", "")
		var r struct {
			Warnings map[string]string `json:"warnings"`
		}
		_ = json.Unmarshal(rb, &r)
		c, _, _ := httpGet(ctx, s.base+"/api/companies/"+target, key)
		if lagAfter < horizonWarnAbove.Seconds() && r.Warnings["event_horizon"] == "" && c == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a minute after the transaction ended: lag %v, warnings %v, company route %d", lagAfter, r.Warnings, c)
		}
		time.Sleep(200 * time.Millisecond)
	}
	caughtUp := time.Since(releasedAt)
	if waitEnded(t, pool, []uuid.UUID{ans.jobID}) != 1 {
		t.Errorf("the job did not end")
	}
	tl := audit(t, pool, []uuid.UUID{ans.jobID})
	if tl.lost != 0 || tl.duplicated != 0 || tl.unfinished != 0 || tl.expired != 0 {
		t.Errorf("lost %d, duplicated %d, unfinished %d, expired %d", tl.lost, tl.duplicated, tl.unfinished, tl.expired)
	}
	record(row{
		fault: "a transaction holding an xid left open elsewhere on the server",
		happened: fmt.Sprintf("lag metric rose to %.0f s, /ready stayed 200 with an event_horizon warning, the read model held back (company route %d) while the job was %s; after the rollback the lag fell to %.1f s, the warning went and the read model caught up within %s; job %s",
			lagHeld, code, job.Status, lagAfter, caughtUp.Round(100*time.Millisecond), counts(tl.statuses)),
		lost: tl.lost, duplicated: tl.duplicated, unfin: tl.unfinished,
	})
	s.stop(t)
}
