package commands_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
)

// givenStarts appends a RequesterJobStarted for rep@example.com at each time,
// already expired so that only the daily budget, never the in-flight limit,
// can refuse what follows. A zero time leaves StartedAt out, as events
// stored before it existed did; the store records it at w.now.
func (w *world) givenStarts(at ...time.Time) {
	w.t.Helper()
	for _, t := range at {
		recorded := t
		if recorded.IsZero() {
			recorded = w.now
		}
		e := domain.RequesterJobStarted{
			Requester: "rep@example.com", JobID: uuid.New(), Domain: domain.MustParseDomain("old.example.com"),
			ExpiresAt: recorded, StartedAt: t,
		}
		ev, err := domain.Encode(e, domain.Metadata{})
		if err != nil {
			w.t.Fatal(err)
		}
		saved := w.now
		w.now = recorded
		_, err = w.store.Append(context.Background(), domain.RequesterStream("rep@example.com"), domain.AnyVersion, ev)
		w.now = saved
		if err != nil {
			w.t.Fatal(err)
		}
	}
}

// Given the jobs a requester opened, when they ask for a new one with a
// daily budget, then it opens or is refused with the day's count, the
// budget and the next UTC midnight — and a refusal appends nothing.
func TestDailyEnrichmentBudget(t *testing.T) {
	t.Parallel()
	today := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	midnight := today.AddDate(0, 0, 1)
	at := func(h, m int) time.Time { return today.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	tests := []struct {
		name     string
		now      time.Time
		given    []time.Time
		perDay   int
		wantUsed int // 0: the job opens
	}{
		{"budget left", at(9, 0), []time.Time{at(1, 0), at(2, 0)}, 3, 0},
		{"budget spent", at(9, 0), []time.Time{at(1, 0), at(2, 0), at(3, 0)}, 3, 3},
		{"yesterday does not count", at(9, 0), []time.Time{at(-2, 0), at(-1, 0), at(0, 30)}, 2, 0},
		{"a new UTC day restores it", at(0, 0), []time.Time{at(-3, 0), at(-2, 0)}, 2, 0},
		{"late in the day still counts", at(23, 59), []time.Time{at(0, 0), at(23, 58)}, 2, 2},
		{"events without a start time count when recorded", at(9, 0), []time.Time{{}, {}}, 2, 2},
		{"no daily budget", at(9, 0), []time.Time{at(1, 0), at(2, 0), at(3, 0)}, 0, 0},
		{"unlimited", at(9, 0), []time.Time{at(1, 0), at(2, 0), at(3, 0)}, domain.Unlimited, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.now = tt.now
			w.givenStarts(tt.given...)
			w.importTarget("costco.com")
			before := w.types(domain.RequesterStream("rep@example.com"))

			acc, err := w.ask(commands.RequestEnrichment{Domain: domain.MustParseDomain("costco.com"), EnrichmentsPerDay: tt.perDay})

			if tt.wantUsed == 0 {
				if err != nil || acc.Reused != domain.NewJob {
					t.Fatalf("answer %+v, %v; want a new job", acc, err)
				}
				return
			}
			var daily *domain.DailyLimitError
			if !errors.Is(err, domain.ErrDailyEnrichmentLimit) || !errors.As(err, &daily) {
				t.Fatalf("answer %+v, %v; want the daily budget refusal", acc, err)
			}
			want := domain.DailyLimitError{Used: tt.wantUsed, Limit: tt.perDay, ResetAt: midnight}
			if *daily != want {
				t.Errorf("refusal %+v, want %+v", *daily, want)
			}
			if after := w.types(domain.RequesterStream("rep@example.com")); len(after) != len(before) {
				t.Errorf("a refusal appended %d requester events", len(after)-len(before))
			}
			if got := w.types(domain.TargetStream(domain.MustParseDomain("costco.com"))); len(got) != 1 {
				t.Errorf("a refusal appended to the target: %v", got)
			}
		})
	}
}

// Given a requester whose daily budget is spent, when their request is
// answered by a job someone else has in flight or by a fresh enrichment,
// then it is accepted: only opening a job spends the budget. Forcing opens
// one, so it is refused.
func TestDailyBudgetSpentOnlyByNewJobs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		setup     func(w *world)
		started   int // jobs the setup opened for rep@example.com
		force     bool
		wantReuse domain.Reuse
		wantErr   error
	}{
		{"joins a job in flight", func(w *world) {
			if _, err := w.ask(commands.RequestEnrichment{Domain: domain.MustParseDomain("costco.com"), RequestedBy: "other@example.com"}); err != nil {
				t.Fatal(err)
			}
		}, 0, false, domain.ReusedInFlight, nil},
		{"gets a fresh answer", func(w *world) { w.run("costco.com", false, nil, nil) }, 1, false, domain.ReusedFresh, nil},
		{"forcing opens a job", func(w *world) { w.run("costco.com", false, nil, nil) }, 1, true, 0, domain.ErrDailyEnrichmentLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.importTarget("costco.com")
			tt.setup(w)
			w.now = w.now.Add(time.Minute)
			// Spend the rest of a budget of 3 today.
			var spent []time.Time
			for i := tt.started; i < 3; i++ {
				spent = append(spent, w.now.Add(-time.Duration(i+1)*time.Second))
			}
			w.givenStarts(spent...)

			acc, err := w.ask(commands.RequestEnrichment{Domain: domain.MustParseDomain("costco.com"), Force: tt.force, EnrichmentsPerDay: 3})

			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("answer %+v, %v; want %v", acc, err, tt.wantErr)
				}
				return
			}
			if err != nil || acc.Reused != tt.wantReuse {
				t.Fatalf("answer %+v, %v; want reuse %v", acc, err, tt.wantReuse)
			}
		})
	}
}

// Given a budget with one job left and many concurrent requests for
// different targets, then exactly one opens: the requester stream's
// expected version makes the count and the append one decision.
func TestDailyBudgetHoldsUnderConcurrency(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.givenStarts(w.now.Add(-time.Hour), w.now.Add(-time.Minute))
	const n = 12
	for i := range n {
		w.importTarget(fmt.Sprintf("shop%d.com", i))
	}
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := w.request.Handle(context.Background(), commands.RequestEnrichment{
				Domain: domain.MustParseDomain(fmt.Sprintf("shop%d.com", i)), RequestedBy: "rep@example.com", EnrichmentsPerDay: 3,
			})
			errs <- err
		}()
	}
	opened := 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			opened++
		case !errors.Is(err, domain.ErrDailyEnrichmentLimit):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if opened != 1 {
		t.Fatalf("%d jobs opened with one left in the day's budget, want 1", opened)
	}
}
