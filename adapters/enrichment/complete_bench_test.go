package enrichment

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/domain"
)

// BenchmarkCompleteFetch measures what fencing costs a worker once its
// fetch is done: recording the outcome and dropping the task in one
// transaction that first deletes the task under its lease token, against
// the baseline in the same run, the unfenced way — the outcome appended on
// its own, then the task deleted, two autocommit statements. Tasks of both
// kinds alternate, so both see the same load.
//
//	go test -run '^$' -bench CompleteFetch -benchtime 1x ./adapters/enrichment
func BenchmarkCompleteFetch(b *testing.B) {
	const tasks = 400 // per kind
	h := newHarness(b, harnessOpts{noRun: true})
	ctx := context.Background()
	for range 2 * tasks {
		req := domain.EnrichmentRequested{
			JobID: uuid.New(), Domain: domain.MustParseDomain("costco.com"), ExpiresAt: time.Now().Add(time.Hour),
		}
		if err := h.queue.Enqueue(ctx, req, []domain.Provider{domain.ProviderBuiltWith}, 0); err != nil {
			b.Fatal(err)
		}
	}
	claimed, err := h.queue.Claim(ctx, 2*tasks, time.Hour)
	if err != nil || len(claimed) != 2*tasks {
		b.Fatalf("claimed %d tasks (%v)", len(claimed), err)
	}
	jobs, meta := h.pipeline.deps.Jobs, domain.Metadata{}
	fenced := func(t postgres.FetchTask) error {
		_, err := h.queue.Complete(ctx, t, func(ctx context.Context, tx pgx.Tx) error {
			return jobs.RecordOutcome(ctx, h.store.WithTx(tx), gaveUp(t), meta)
		})
		return err
	}
	unfenced := func(t postgres.FetchTask) error {
		if err := jobs.RecordOutcome(ctx, h.store, gaveUp(t), meta); err != nil {
			return err
		}
		_, err := h.db.Pool.Exec(ctx, `DELETE FROM fetch_tasks WHERE job_id = $1 AND provider = $2`, t.JobID, string(t.Provider))
		return err
	}

	b.ResetTimer()
	var withFence, without []time.Duration
	for i, t := range claimed {
		do, into := fenced, &withFence
		if i%2 == 1 {
			do, into = unfenced, &without
		}
		start := time.Now()
		if err := do(t); err != nil {
			b.Fatal(err)
		}
		*into = append(*into, time.Since(start))
	}
	b.StopTimer()
	fp50, fp99 := percentile(withFence, 50), percentile(withFence, 99)
	up50, up99 := percentile(without, 50), percentile(without, 99)
	b.ReportMetric(ms(fp50), "fenced-p50-ms")
	b.ReportMetric(ms(up50), "unfenced-p50-ms")
	fmt.Fprintf(os.Stdout, "\ncomplete a fetch task, %d each, alternating:\n", tasks)
	fmt.Fprintf(os.Stdout, "  fenced (delete under token, append, commit; count after): p50 %6.2f ms  p99 %6.2f ms\n", ms(fp50), ms(fp99))
	fmt.Fprintf(os.Stdout, "  unfenced baseline (append; delete):                       p50 %6.2f ms  p99 %6.2f ms\n", ms(up50), ms(up99))
	fmt.Fprintf(os.Stdout, "  ratio fenced ÷ unfenced: p50 %.2f×  p99 %.2f×\n\n", ms(fp50)/ms(up50), ms(fp99)/ms(up99))
}
