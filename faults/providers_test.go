//go:build faults

package faults

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/providers/fixtures"
	"github.com/partnerforge/partnerforge/domain"
)

// rounds is how often each misbehaviour is met: a connection or goroutine
// left behind per bad answer would show as several, above the slack that
// idle keep-alive connections need.
const rounds = 3

// TestProvidersThatMisbehave: BuiltWith, behind a real serve, hangs, cuts
// its answer mid-body, answers 200 with an HTML page, or streams 2 GiB.
// Each job must end partial, BuiltWith failed with a reason in words,
// SimilarWeb and Yahoo fetched; the service must not crash, and its memory,
// file descriptors and goroutines must stay bounded.
func TestProvidersThatMisbehave(t *testing.T) {
	p := startFixtures(t, 0)
	vars, pool, key := prepare(t, "fault_providers", p)
	// Every misbehaviour is met on its own: an open breaker would answer
	// circuit_open instead of showing what each one does.
	vars["PROVIDER_BREAKER_FAILURES"] = "1000"
	s := startServe(t, "serve", vars)
	ctx := context.Background()

	// A healthy job first, so the baseline includes warmed-up pools.
	warm, err := enrich(ctx, s.base, key, "costco.com", false)
	if err != nil || warm.code != http.StatusAccepted {
		t.Fatalf("enrich costco.com: %v %d %s", err, warm.code, warm.body)
	}
	if waitEnded(t, pool, []uuid.UUID{warm.jobID}) != 1 {
		t.Fatal("the warm-up job did not end")
	}
	before := sample(t, s, key)

	cases := []struct {
		name, domain string
		code         domain.FailureCode
		says         string
	}{
		{"hangs", fixtures.DomainBuiltWithHangs, domain.FailureTimeout, "deadline exceeded"},
		{"closes the connection mid-body", fixtures.DomainBuiltWithCutsBody, domain.FailureUpstreamError, "unexpected EOF"},
		{"answers 200 with HTML", fixtures.DomainBuiltWithHTML, domain.FailureBadResponse, "invalid character '<'"},
		{"sends 2 GiB", fixtures.DomainBuiltWithHuge, domain.FailureBadResponse, "goes on past the cap; at most 8 MiB is read"},
	}
	var all []uuid.UUID
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var jobs []uuid.UUID
			for round := range rounds {
				ans, err := enrich(ctx, s.base, key, tc.domain, round > 0)
				if err != nil || ans.code != http.StatusAccepted {
					t.Fatalf("enrich %s: %v %d %s", tc.domain, err, ans.code, ans.body)
				}
				if waitEnded(t, pool, []uuid.UUID{ans.jobID}) != 1 {
					t.Fatalf("job %s for %s did not end", ans.jobID, tc.domain)
				}
				jobs = append(jobs, ans.jobID)
			}
			all = append(all, jobs...)
			rows, err := pool.Query(ctx, `SELECT event_type, data->>'provider', coalesce(data->>'code', ''), coalesce(data->>'message', '')
FROM events WHERE stream_id = ANY($1) AND event_type IN ($2, $3)`, streams(jobs), domain.TypeProviderFetched, domain.TypeProviderFailed)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			outcomes := map[string]int{}
			var message string
			for rows.Next() {
				var typ, provider, code, msg string
				if err := rows.Scan(&typ, &provider, &code, &msg); err != nil {
					t.Fatal(err)
				}
				outcomes[typ+" "+provider+" "+code]++
				if provider == string(domain.ProviderBuiltWith) {
					message = msg
					if msg == "" || !strings.Contains(msg, tc.says) {
						t.Errorf("BuiltWith's failure says %q, want words containing %q", msg, tc.says)
					}
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			want := map[string]int{
				domain.TypeProviderFailed + " builtwith " + string(tc.code): rounds,
				domain.TypeProviderFetched + " similarweb ":                 rounds,
				domain.TypeProviderFetched + " yahoo_finance ":              rounds,
			}
			if fmt.Sprint(outcomes) != fmt.Sprint(want) {
				t.Errorf("outcomes %v, want %v", outcomes, want)
			}
			after := sample(t, s, key)
			t.Logf("%s: BuiltWith failed %q; RSS %d→%d kB (peak %d kB), fds %d→%d, goroutines %d→%d",
				tc.name, message, before.rss, after.rss, after.peak, before.fds, after.fds, before.goroutines, after.goroutines)
			if tc.domain == fixtures.DomainBuiltWithHuge {
				t.Logf("the fixture handed %d MiB of its %d MiB to the network before the client hung up",
					p.HugeBytesSent()>>20, fixtures.HugeBodyBytes>>20)
				if p.HugeBytesSent() >= fixtures.HugeBodyBytes {
					t.Error("the whole 2 GiB body was sent: the client read it to the end")
				}
			}
		})
	}
	if s.done() {
		t.Fatalf("serve exited: %v\n%s", s.err, s.logTail(40))
	}
	after := sample(t, s, key)
	// Memory: reading 2 GiB would show as gigabytes of peak RSS; the cap
	// keeps one answer to 8 MiB.
	if growth := after.peak - before.rss; growth > 256<<10 {
		t.Errorf("peak RSS %d kB is %d MiB above the baseline %d kB", after.peak, growth>>10, before.rss)
	}
	// Leaks: 4 × rounds bad answers, several attempts each; allow the idle
	// keep-alive connections and pool connections a busy moment can leave.
	if after.fds > before.fds+8 {
		t.Errorf("open fds %d → %d: connections left open", before.fds, after.fds)
	}
	if after.goroutines > before.goroutines+20 {
		t.Errorf("goroutines %d → %d: left running", before.goroutines, after.goroutines)
	}
	tl := audit(t, pool, all)
	if tl.lost != 0 || tl.duplicated != 0 || tl.unfinished != 0 || tl.expired != 0 {
		t.Errorf("lost %d, duplicated %d, unfinished %d, expired %d", tl.lost, tl.duplicated, tl.unfinished, tl.expired)
	}
	record(row{
		fault: "BuiltWith hangs / cuts the body / answers HTML / sends 2 GiB (" + fmt.Sprint(rounds) + " jobs each)",
		happened: fmt.Sprintf("jobs %s: BuiltWith failed (%s), SimilarWeb and Yahoo fetched; no crash; RSS %d→%d MiB (peak %d MiB), fds %d→%d, goroutines %d→%d; the 2 GiB body was dropped after %d MiB had been sent",
			counts(tl.statuses), counts(tl.failures), before.rss>>10, after.rss>>10, after.peak>>10, before.fds, after.fds, before.goroutines, after.goroutines, p.HugeBytesSent()>>20),
		lost: tl.lost, duplicated: tl.duplicated, unfin: tl.unfinished,
	})
	s.stop(t)
}

type usage struct {
	rss, peak  int64 // kB
	fds        int
	goroutines int
}

// sample reads the service's memory and descriptors from /proc and its
// goroutines from /metrics, after a moment for fetches to wind down.
func sample(t *testing.T, s *instance, key string) usage {
	t.Helper()
	time.Sleep(2 * time.Second)
	var u usage
	var err error
	if u.rss, err = procStatus(s.pid(), "VmRSS"); err != nil {
		t.Fatal(err)
	}
	if u.peak, err = procStatus(s.pid(), "VmHWM"); err != nil {
		t.Fatal(err)
	}
	if u.fds, err = openFDs(s.pid()); err != nil {
		t.Fatal(err)
	}
	g, err := metric(context.Background(), s.base, key, "go_goroutines")
	if err != nil {
		t.Fatal(err)
	}
	u.goroutines = int(g)
	return u
}
