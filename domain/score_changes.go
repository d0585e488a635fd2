package domain

import (
	"time"

	"github.com/google/uuid"
)

// ScoreChange is one ScoreComputed of a target beside the one before it:
// what an auditor needs to say why a score moved.
type ScoreChange struct {
	EventID      uuid.UUID `json:"event_id"`
	Position     int64     `json:"position"`
	JobID        uuid.UUID `json:"job_id"`
	At           time.Time `json:"at"`
	ModelVersion string    `json:"model_version"`
	Score        int       `json:"score"`
	Tier         int       `json:"tier"`
	TierName     string    `json:"tier_name"`
	// Signals are the score's budget, pain and timing levels: the company
	// page shows the latest as chips.
	Signals Signals `json:"signals"`
	// Previous is the score before this one; nil for the first.
	Previous *ScoreSummary `json:"previous"`
	// Factors lists every factor of either score with its points before
	// and after, in the order the new breakdown gives them, then factors
	// the new score no longer has.
	Factors []FactorChange `json:"factors"`
	// Sources names, per input group, the event (a provider's outcome or
	// the import) whose data the score used, and how old it was.
	Sources map[InputGroup]InputSource `json:"sources"`
}

// ScoreSummary is a score in brief.
type ScoreSummary struct {
	Score        int    `json:"score"`
	Tier         int    `json:"tier"`
	TierName     string `json:"tier_name"`
	ModelVersion string `json:"model_version"`
}

// FactorChange is one factor's points before and after.
type FactorChange struct {
	Factor string `json:"factor"`
	From   int    `json:"from"`
	To     int    `json:"to"`
	Delta  int    `json:"delta"`
	Max    int    `json:"max"`
	// Detail explains the new points; Before the old ones.
	Detail string `json:"detail"`
	Before string `json:"before,omitempty"`
}

// ScoreChanges lists the target's ScoreComputed events in order, each beside
// the one before it. Events of other types are skipped.
func ScoreChanges(events []RecordedEvent) ([]ScoreChange, error) {
	var (
		out  []ScoreChange
		prev *ScoreComputed
	)
	for _, re := range events {
		if re.Type != TypeScoreComputed {
			continue
		}
		e, err := Decode(re)
		if err != nil {
			return nil, err
		}
		sc := e.(ScoreComputed)
		change := ScoreChange{
			EventID: re.ID, Position: re.Position, JobID: sc.JobID, At: re.RecordedAt,
			ModelVersion: sc.Score.ModelVersion, Score: sc.Score.Value, Tier: sc.Score.Tier, TierName: sc.Score.TierName,
			Signals: sc.Score.Signals, Factors: compareFactors(prev, sc.Score), Sources: sc.Sources,
		}
		if prev != nil {
			change.Previous = &ScoreSummary{Score: prev.Score.Value, Tier: prev.Score.Tier, TierName: prev.Score.TierName, ModelVersion: prev.Score.ModelVersion}
		}
		out = append(out, change)
		prev = &sc
	}
	return out, nil
}

func compareFactors(prev *ScoreComputed, next Score) []FactorChange {
	before := map[string]FactorScore{}
	if prev != nil {
		for _, f := range prev.Score.Breakdown {
			before[f.Factor] = f
		}
	}
	out := make([]FactorChange, 0, len(next.Breakdown)+len(before))
	for _, f := range next.Breakdown {
		old, had := before[f.Factor]
		delete(before, f.Factor)
		c := FactorChange{Factor: f.Factor, From: old.Points, To: f.Points, Delta: f.Points - old.Points, Max: f.Max, Detail: f.Detail}
		if had && old.Detail != f.Detail {
			c.Before = old.Detail
		}
		out = append(out, c)
	}
	if prev != nil {
		for _, f := range prev.Score.Breakdown {
			if old, gone := before[f.Factor]; gone {
				out = append(out, FactorChange{Factor: old.Factor, From: old.Points, Delta: -old.Points, Max: old.Max, Before: old.Detail})
			}
		}
	}
	return out
}
