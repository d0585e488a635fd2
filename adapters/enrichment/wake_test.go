package enrichment

import (
	"testing"
	"time"

	"github.com/partnerforge/partnerforge/adapters/providers/fixtures"
	"github.com/partnerforge/partnerforge/domain"
)

// With wake-ups, workers and handlers rest between them: with an hour-long
// fallback poll, only the notifications can move a job from the request
// (handled by the dispatcher's subscription, not the in-process fast path)
// through its fetches to its end.
func TestJobsRunOnWakeUps(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{wake: true, rest: time.Hour, slowPathOnly: true})
	ds := fixtures.Domains()
	for _, d := range []string{ds[0], ds[1], ds[0]} {
		acc := h.enrich(d, true)
		if job := h.waitJob(acc.JobID); job.Status() != domain.JobCompleted {
			t.Fatalf("%s: status %s, want completed", d, job.Status())
		}
	}
}
