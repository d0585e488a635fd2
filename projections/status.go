package projections

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

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
	// Generation counts the rebuilds swapped in.
	Generation int64
	// Failure is the event the projection keeps failing on, if any; see
	// Stuck.
	Failure *Failure
}

// StuckAfter is how many consecutive failures on one event make a
// projection stuck: a failure or two may be the database's (a dropped
// connection); more on the same event mean the event cannot be applied,
// and the read model stands still until it can.
const StuckAfter = 3

// Failure is an event a projection failed to apply.
type Failure struct {
	Position int64
	EventID  uuid.UUID
	Error    string
	// Attempts counts the consecutive failures on this event, since Since.
	Attempts int
	Since    time.Time
}

// Stuck reports whether the projection is stuck on an event it cannot
// apply.
func (s Status) Stuck() bool { return s.Failure != nil && s.Failure.Attempts >= StuckAfter }

// Ready returns an error naming every projection stuck on an event (its
// position, event id and error), nil when none is. It reads the checkpoints
// alone — one small query, however far behind a projection is — so a
// readiness probe can afford it.
func (r *Runner) Ready(ctx context.Context) error {
	cps, err := gen.New(r.pool).ProjectionCheckpoints(ctx)
	if err != nil {
		return fmt.Errorf("read checkpoints: %w", err)
	}
	byName := checkpointsByName(cps)
	var stuck []string
	for _, p := range r.projections {
		s := statusOf(p.Name(), byName[p.Name()])
		if s.Stuck() {
			f := s.Failure
			stuck = append(stuck, fmt.Sprintf("projection %s is stuck at position %d on event %s (%d attempts since %s): %s",
				s.Name, f.Position, f.EventID, f.Attempts, f.Since.UTC().Format(time.RFC3339), f.Error))
		}
	}
	if len(stuck) > 0 {
		return errors.New(strings.Join(stuck, "; "))
	}
	return nil
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
	byName := checkpointsByName(cps)
	out := make([]Status, 0, len(r.projections))
	for _, p := range r.projections {
		cp := byName[p.Name()]
		behind, err := q.EventsBetween(ctx, gen.EventsBetweenParams{AfterPosition: cp.Position, UpTo: head})
		if err != nil {
			return nil, fmt.Errorf("projection %s: count events behind: %w", p.Name(), err)
		}
		st := statusOf(p.Name(), cp)
		st.Head, st.Behind = head, behind
		out = append(out, st)
	}
	return out, nil
}

func checkpointsByName(cps []gen.ProjectionCheckpoint) map[string]gen.ProjectionCheckpoint {
	byName := make(map[string]gen.ProjectionCheckpoint, len(cps))
	for _, c := range cps {
		byName[c.Name] = c
	}
	return byName
}

// statusOf is a projection's status as its checkpoint row tells it, without
// the head of the log.
func statusOf(name string, cp gen.ProjectionCheckpoint) Status {
	st := Status{Name: name, Position: cp.Position, UpdatedAt: cp.UpdatedAt, Generation: cp.Generation}
	if cp.FailedAttempts > 0 && cp.FailedPosition.Valid {
		st.Failure = &Failure{
			Position: cp.FailedPosition.Int64, EventID: cp.FailedEventID.UUID, Error: cp.FailedError.String,
			Attempts: int(cp.FailedAttempts), Since: cp.FailedSince.Time,
		}
	}
	return st
}
