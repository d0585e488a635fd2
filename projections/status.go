package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
)

// Status is where a projection stands against the head of the log.
type Status struct {
	Name string
	// Position is the checkpoint: the last log position applied.
	Position int64
	// Head is the position of the newest committed event.
	Head int64
	// Behind counts the events between Position and Head. Positions are
	// not dense, so their difference says nothing; this count does.
	Behind int64
	// UpdatedAt is when the checkpoint last moved; zero if it never did.
	UpdatedAt time.Time
}

// Status reports every projection's position and lag.
func (r *Runner) Status(ctx context.Context) ([]Status, error) {
	head, err := r.lastCommitted(ctx)
	if err != nil {
		return nil, err
	}
	q := gen.New(r.pool)
	cps, err := q.ProjectionCheckpoints(ctx)
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	byName := make(map[string]gen.ProjectionCheckpoint, len(cps))
	for _, c := range cps {
		byName[c.Name] = c
	}
	out := make([]Status, 0, len(r.projections))
	for _, p := range r.projections {
		cp := byName[p.Name()]
		behind, err := q.EventsBetween(ctx, gen.EventsBetweenParams{AfterPosition: cp.Position, UpTo: head})
		if err != nil {
			return nil, fmt.Errorf("projection %s: count events behind: %w", p.Name(), err)
		}
		out = append(out, Status{Name: p.Name(), Position: cp.Position, Head: head, Behind: behind, UpdatedAt: cp.UpdatedAt})
	}
	return out, nil
}
