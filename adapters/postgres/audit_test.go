package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/eventstoretest"
	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/domain"
)

// A history page with more after it never ends past an event that may still
// commit below it: while an earlier transaction is open, the cursor stops
// before the events that started after it, and once it commits the next
// read finds everything, in order, with nothing skipped.
func TestHistoryCursorWaitsForOpenTransactions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := postgres.NewEventStore(db.Pool)
	audit := postgres.NewAuditLog(db.Pool)
	d := domain.MustParseDomain(uuid.NewString()[:8] + "-history.example.com")
	job := uuid.New()
	opened, err := domain.Encode(domain.EnrichmentJobOpened{JobID: job, Domain: d}, domain.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(ctx, domain.TargetStream(d), domain.NoStream, opened); err != nil {
		t.Fatal(err)
	}
	first, err := audit.TargetHistory(ctx, d, 0, time.Time{}, 10)
	if err != nil || len(first.Events) != 1 {
		t.Fatalf("history of the opened job: %+v, %v", first, err)
	}

	// The job's first event starts first and commits last: its position is
	// below the target's events appended meanwhile.
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := store.AppendTx(ctx, tx, domain.JobStream(job), domain.NoStream, eventstoretest.NewEvent(t, "Early", nil)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := store.Append(ctx, domain.TargetStream(d), domain.AnyVersion, eventstoretest.NewEvent(t, "Later", nil)); err != nil {
			t.Fatal(err)
		}
	}
	page, err := audit.TargetHistory(ctx, d, first.Events[0].Position, time.Time{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 0 || !page.More || page.NextAfter != first.Events[0].Position {
		t.Fatalf("a page with more after it, while an earlier append is open: %d events %v, more %v, next %d; want none, the cursor unchanged",
			len(page.Events), types(page.Events), page.More, page.NextAfter)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	// Paging one at a time now finds every event in log order. Other
	// tests' transactions may hold the horizon back a while: an empty page
	// with more is the answer to ask again.
	var all []domain.RecordedEvent
	after, deadline := int64(0), time.Now().Add(30*time.Second)
	for time.Now().Before(deadline) {
		page, err := audit.TargetHistory(ctx, d, after, time.Time{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Events...)
		if !page.More {
			break
		}
		if len(page.Events) == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		after = page.NextAfter
	}
	if got := fmt.Sprint(types(all)); got != fmt.Sprint([]string{domain.TypeEnrichmentJobOpened, "Early", "Later", "Later"}) {
		t.Fatalf("paged history %s, want the job opened, Early, then Later twice", got)
	}
}

func types(evs []domain.RecordedEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}
