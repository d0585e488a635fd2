package domain

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
)

// Events are stored forever, so a payload's shape can only change by
// adding a schema version: every event is appended with its type's current
// version, and an event stored under an older one is brought up to date by
// that type's upcasters, one version at a time, when it is read. Folds,
// projections and handlers only ever see current payloads.
//
// To change a payload incompatibly: write the upcaster from the current
// version to the next, append it to the type's list below, change the
// struct, and add a golden file for the new version under
// testdata/events (TestGoldenEvents says which one is missing).

// upcaster rewrites a payload of one schema version as the next. It gets the
// stored event for what the payload lacks (its time, its stream).
type upcaster func(payload map[string]json.RawMessage, re RecordedEvent) error

// upcasters lists, per event type, the upcaster from version i+1 to i+2 at
// index i. A type without an entry is at version 1.
var upcasters = map[string][]upcaster{
	TypeScoreComputed: {scoreComputedV1ToV2},
}

// SchemaVersion is the version an event of the type is appended with.
func SchemaVersion(eventType string) int { return len(upcasters[eventType]) + 1 }

// Upcast returns re's payload at its type's current schema version, as
// Decode reads it; an export or an audit shows it so.
func Upcast(re RecordedEvent) ([]byte, error) {
	from, current := max(re.SchemaVersion, 1), SchemaVersion(re.Type)
	switch {
	case from == current:
		return re.Data, nil
	case from > current:
		return nil, fmt.Errorf("%s schema version %d is newer than this build knows (%d): upgrade PartnerForge", re.Type, from, current)
	}
	var payload map[string]json.RawMessage
	if err := json.Unmarshal(re.Data, &payload); err != nil {
		return nil, fmt.Errorf("upcast %s v%d: %w", re.Type, from, err)
	}
	for v := from; v < current; v++ {
		if err := upcasters[re.Type][v-1](payload, re); err != nil {
			return nil, fmt.Errorf("upcast %s v%d to v%d: %w", re.Type, v, v+1, err)
		}
	}
	data, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("upcast %s: %w", re.Type, err)
	}
	return data, nil
}

// scoreComputedV1ToV2 folds ScoreComputed's "inputs" (per input group, the
// name of the source) into "sources", which details it and became the only
// record of where a score's data came from. The oldest version-1 events have
// no "sources" at all: each group a provider fed is traced to that provider's
// outcome in the same job, whose id is derived from (job, provider) exactly
// as RecordOutcome derives it, and dated by the score, which followed it
// within the job.
func scoreComputedV1ToV2(payload map[string]json.RawMessage, re RecordedEvent) error {
	var v1 struct {
		JobID   uuid.UUID                  `json:"job_id"`
		Inputs  map[string]string          `json:"inputs"`
		Sources map[InputGroup]InputSource `json:"sources"`
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &v1); err != nil {
		return err
	}
	sources := v1.Sources
	if sources == nil {
		sources = make(map[InputGroup]InputSource, len(v1.Inputs))
		for _, g := range InputGroups {
			name, ok := v1.Inputs[string(g)]
			if !ok {
				continue
			}
			src := InputSource{Source: name}
			if name != SourceProfile && name != SourceNone {
				src.JobID = v1.JobID
				src.EventID = EventID(v1.JobID.String(), "provider", string(g.Provider()))
				src.At = re.RecordedAt
			}
			sources[g] = src
		}
	}
	encoded, err := json.Marshal(sources)
	if err != nil {
		return err
	}
	payload["sources"] = encoded
	delete(payload, "inputs")
	return nil
}
