package enrichment

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/partnerforge/partnerforge/domain"
)

// sweep periodically fails expired jobs and finishes jobs whose completion
// was lost (every provider reported, but no handler ended the job). Expiry
// is the job's: a job past its ExpiresAt ends whether or not it ever had
// work, so a job whose dispatch was poisoned does not stay pending forever.
func (p *Pipeline) sweep(ctx context.Context) {
	tick := time.NewTicker(p.cfg.SweepInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := p.SweepOnce(ctx); err != nil && ctx.Err() == nil {
			p.deps.Logger.Error("sweep jobs", slog.Any("error", err))
		}
	}
}

// SweepOnce does one sweep; tests and the CLI call it directly.
func (p *Pipeline) SweepOnce(ctx context.Context) error {
	now := p.deps.Now()
	expired, err := p.deps.Queue.Expired(ctx, now, 100)
	if err != nil {
		return err
	}
	overdue, err := p.deps.Queue.Overdue(ctx, now, 100)
	if err != nil {
		return err
	}
	expired = append(expired, overdue...)
	stalled, err := p.deps.Queue.Stalled(ctx, now.Add(-p.cfg.SweepInterval), 100)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range expired {
		errs = append(errs, p.end(ctx, id, domain.JobMetadata(id, "sweeper"), p.deps.Jobs.ExpireJob))
	}
	for _, id := range stalled {
		errs = append(errs, p.end(ctx, id, domain.JobMetadata(id, "sweeper"), p.deps.Jobs.FinishJob))
	}
	if p.deps.Metrics != nil {
		if queued, leased, err := p.deps.Queue.Depth(ctx); err == nil {
			p.deps.Metrics.queuedTasks.Set(float64(queued))
			p.deps.Metrics.leasedTasks.Set(float64(leased))
		}
	}
	return errors.Join(errs...)
}
