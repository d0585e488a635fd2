package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Scored reports whether the target has a score (a ScoreComputed).
func (t *Target) Scored() bool { return len(t.lastScore) > 0 }

// Rescore decides whether the target's score changes under the current
// model (ScoringModelVersion): it scores again what the newest score was
// computed from — the imported profile and, per input group, the newest
// fetch that delivered data, whose data prior holds (see Known) — and
// returns the new ScoreComputed when the score differs from the stored one
// in any way, its model version included. It returns nil for a target that
// is not on the list, was never scored (it has no score to move to the new
// model; its first enrichment scores it), or whose score would not change.
//
// The new score belongs to no job: its JobID is zero, and its sources keep
// the jobs and events the data came from.
func (t *Target) Rescore(prior map[InputGroup]Fetch, now time.Time) (*ScoreComputed, error) {
	if !t.IsTarget() || !t.Scored() {
		return nil, nil
	}
	in, sources := ScoreInputFor(t.Knowledge(prior), nil, now)
	score := ComputeScore(in)
	same, err := sameScore(t.lastScore, score)
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", t.domain, err)
	}
	if same {
		return nil, nil
	}
	return &ScoreComputed{JobID: uuid.Nil, Domain: t.domain, Score: score, Sources: sources}, nil
}

// sameScore compares a stored score with a new one as stored events show
// them: through their JSON encoding, so a field added to Score later takes
// part without a change here.
func sameScore(stored json.RawMessage, score Score) (bool, error) {
	var old Score
	if err := json.Unmarshal(stored, &old); err != nil {
		return false, fmt.Errorf("decode stored score: %w", err)
	}
	a, err := json.Marshal(old)
	if err != nil {
		return false, err
	}
	b, err := json.Marshal(score)
	if err != nil {
		return false, err
	}
	return bytes.Equal(a, b), nil
}
