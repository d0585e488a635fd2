package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/partnerforge/partnerforge/domain"
)

// LogReader reads the whole log in position order; both event stores
// implement it.
type LogReader interface {
	ReadAll(ctx context.Context, afterPosition int64, limit int) ([]domain.RecordedEvent, error)
}

// ErrOtherModel refuses a recompute asked for a model this build does not
// score with: running an older build by mistake must not move every score
// back to its model.
var ErrOtherModel = errors.New("scoring model differs")

// RecomputeScores moves every scored target to the current scoring model.
type RecomputeScores struct {
	// Model, when set, must be domain.ScoringModelVersion.
	Model string
	// DryRun counts the targets whose score would change and appends nothing.
	DryRun   bool
	Metadata domain.Metadata
}

// RecomputeProgress is reported after each target.
type RecomputeProgress struct {
	Done, Total int
	// Changed counts the targets whose score changed (or would, in a dry
	// run).
	Changed int
}

// RecomputeScoresHandler appends a ScoreComputed to every target whose
// score changes under the current model.
type RecomputeScoresHandler struct {
	store EventStore
	log   LogReader
	now   Clock
}

// NewRecomputeScoresHandler returns the handler; store and log are usually
// the same event store.
func NewRecomputeScoresHandler(store EventStore, log LogReader, now Clock) *RecomputeScoresHandler {
	if store == nil || log == nil || now == nil {
		panic("commands.NewRecomputeScoresHandler: nil dependency")
	}
	return &RecomputeScoresHandler{store: store, log: log, now: now}
}

// Handle rescores each target that has a score, one at a time, and returns
// the final progress. Each new score's id is derived from the target, the
// model and the target's version it was decided on, so a repeated or
// interrupted run stores nothing twice, and a second run finds every score
// current and appends nothing.
func (h *RecomputeScoresHandler) Handle(ctx context.Context, cmd RecomputeScores, progress func(RecomputeProgress)) (RecomputeProgress, error) {
	if cmd.Model != "" && cmd.Model != domain.ScoringModelVersion {
		return RecomputeProgress{}, fmt.Errorf("%w: this build scores with %s, not %s", ErrOtherModel, domain.ScoringModelVersion, cmd.Model)
	}
	targets, err := h.scoredTargets(ctx)
	if err != nil {
		return RecomputeProgress{}, err
	}
	p := RecomputeProgress{Total: len(targets)}
	repo := NewRepository(h.store)
	for _, d := range targets {
		changed, err := h.rescore(ctx, repo, d, cmd)
		if err != nil {
			return p, err
		}
		p.Done++
		if changed {
			p.Changed++
		}
		if progress != nil {
			progress(p)
		}
	}
	return p, nil
}

func (h *RecomputeScoresHandler) rescore(ctx context.Context, repo Repository, d domain.Domain, cmd RecomputeScores) (bool, error) {
	var changed bool
	err := repo.Retry(ctx, "rescore "+d.String(), func() error {
		changed = false
		t, err := repo.Target(ctx, d)
		if err != nil {
			return err
		}
		prior, err := knownFetches(ctx, repo, t, func(domain.InputGroup, domain.InputSource) bool { return false })
		if err != nil {
			return err
		}
		scored, err := t.Rescore(prior, h.now())
		if err != nil || scored == nil {
			return err
		}
		changed = true
		if cmd.DryRun {
			return nil
		}
		_, err = repo.Save(ctx, cmd.Metadata, Change{
			Stream: domain.TargetStream(d), Expected: domain.ExactVersion(t.Version()),
			Events: []domain.Event{*scored},
			ID:     ByType(d.String(), "rescore", domain.ScoringModelVersion, fmt.Sprint(t.Version())),
		})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("rescore %s: %w", d, err)
	}
	return changed, nil
}

// scoredTargets lists the targets with a ScoreComputed, in the order they
// were first scored, reading the log a page at a time.
func (h *RecomputeScoresHandler) scoredTargets(ctx context.Context) ([]domain.Domain, error) {
	const page = 1000
	seen := map[string]bool{}
	var out []domain.Domain
	var after int64
	for {
		evs, err := h.log.ReadAll(ctx, after, page)
		if err != nil {
			return nil, fmt.Errorf("list scored targets: %w", err)
		}
		for _, e := range evs {
			if e.Type != domain.TypeScoreComputed || seen[e.StreamID] {
				continue
			}
			seen[e.StreamID] = true
			// Scores live on target streams, named by domain.TargetStream.
			name, ok := strings.CutPrefix(e.StreamID, "target-")
			if !ok {
				continue
			}
			d, err := domain.ParseDomain(name)
			if err != nil || domain.TargetStream(d) != e.StreamID {
				return nil, fmt.Errorf("list scored targets: stream %s is not a target's", e.StreamID)
			}
			out = append(out, d)
		}
		if len(evs) < page {
			return out, nil
		}
		after = evs[len(evs)-1].Position
	}
}
