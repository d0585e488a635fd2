package domain

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Event is a domain event payload. Its type name is stored with it and is part
// of the log's format: never rename one; add a new type or a schema version.
type Event interface {
	EventType() string
}

// Stream names. A target's stream is keyed by its normalised domain, a job's
// by its id.
func TargetStream(d Domain) string  { return "target-" + d.String() }
func JobStream(id uuid.UUID) string { return "job-" + id.String() }

// Event type names.
const (
	TypeTargetImported       = "TargetImported"
	TypeTargetImportReverted = "TargetImportReverted"
	TypeTargetAdded          = "TargetAdded"
	TypeEnrichmentJobOpened  = "EnrichmentJobOpened"
	TypeEnrichmentJobClosed  = "EnrichmentJobClosed"
	TypeScoreComputed        = "ScoreComputed"
	TypeEnrichmentRequested  = "EnrichmentRequested"
	TypeProviderFetched      = "ProviderFetched"
	TypeProviderFailed       = "ProviderFailed"
	TypeEnrichmentCompleted  = "EnrichmentCompleted"
	TypeEnrichmentPartial    = "EnrichmentPartial"
	TypeEnrichmentFailed     = "EnrichmentFailed"
	TypeImportBatchRecorded  = "ImportBatchRecorded"
	TypeImportBatchReverted  = "ImportBatchReverted"
	TypeImportBatchRestored  = "ImportBatchRestored"
)

// --- target stream -----------------------------------------------------------

// TargetImported records a target as the legacy list knew it.
type TargetImported struct {
	Domain      Domain        `json:"domain"`
	BatchID     uuid.UUID     `json:"batch_id"`
	SourceRowID int64         `json:"source_row_id"`
	MergedRows  []int64       `json:"merged_row_ids,omitempty"`
	Profile     TargetProfile `json:"profile"`
}

// TargetImportReverted withdraws a target that an import batch brought in.
// History stays; read models drop the target.
type TargetImportReverted struct {
	Domain  Domain    `json:"domain"`
	BatchID uuid.UUID `json:"batch_id"`
}

// EnrichmentJobOpened marks a target as having a job in flight. It is the
// guard that makes concurrent requests for one domain share one job: the
// command appends it with the target stream's expected version, so only one
// of many racing requests can open a job.
type EnrichmentJobOpened struct {
	JobID       uuid.UUID  `json:"job_id"`
	Domain      Domain     `json:"domain"`
	Providers   []Provider `json:"providers"`
	RequestedBy string     `json:"requested_by"`
	OpenedAt    time.Time  `json:"opened_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
}

// EnrichmentJobClosed ends the job on the target's side, with its outcome.
type EnrichmentJobClosed struct {
	JobID    uuid.UUID `json:"job_id"`
	Domain   Domain    `json:"domain"`
	Outcome  JobStatus `json:"outcome"`
	ClosedAt time.Time `json:"closed_at"`
	// Failed names the providers that failed in the job, so the target
	// knows which ones have nothing to give (not found, no ticker) without
	// reading the job's stream. Absent in events stored before it existed.
	Failed map[Provider]FailureCode `json:"failed,omitempty"`
}

// TargetAdded makes a domain a target on a user's explicit request (the
// legacy import is the other way in). Enriching a domain that is not a
// target is refused without it, so a typo cannot add one.
type TargetAdded struct {
	Domain  Domain    `json:"domain"`
	AddedBy string    `json:"added_by"`
	AddedAt time.Time `json:"added_at"`
}

// ScoreComputed is the ICP score of a target after a job, with what it was
// computed from, so an auditor can see why the score changed.
type ScoreComputed struct {
	JobID  uuid.UUID `json:"job_id"`
	Domain Domain    `json:"domain"`
	Score  Score     `json:"score"`
	// Sources names, per input group, where the score's data came from (a
	// provider, the imported profile, or none), the event it is from, the
	// job that fetched it, and its age when the score was computed.
	// Version 1 of the event also had "inputs", the source names alone.
	Sources map[InputGroup]InputSource `json:"sources"`
}

// Level is how complete the knowledge the score was computed from is.
func (s ScoreComputed) Level() string { return LevelOf(s.Sources) }

// --- job stream ----------------------------------------------------------------

// EnrichmentRequested starts a job: fetch the named providers for a domain.
type EnrichmentRequested struct {
	JobID       uuid.UUID  `json:"job_id"`
	Domain      Domain     `json:"domain"`
	Providers   []Provider `json:"providers"`
	Force       bool       `json:"force"`
	RequestedBy string     `json:"requested_by"`
	RequestedAt time.Time  `json:"requested_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	// Ticker is the target's known stock ticker, if any, for Yahoo Finance.
	Ticker string `json:"ticker,omitempty"`
}

// ProviderFetched is one provider's normalised answer.
type ProviderFetched struct {
	JobID      uuid.UUID    `json:"job_id"`
	Domain     Domain       `json:"domain"`
	Provider   Provider     `json:"provider"`
	Data       ProviderData `json:"data"`
	LatencyMS  int64        `json:"latency_ms"`
	Attempts   int          `json:"attempts"`
	HTTPStatus int          `json:"http_status"`
	// Note explains anything unusual, e.g. that a fallback source answered.
	Note string `json:"note,omitempty"`
}

// ProviderFailed is one provider's failure, with its reason.
type ProviderFailed struct {
	JobID        uuid.UUID   `json:"job_id"`
	Domain       Domain      `json:"domain"`
	Provider     Provider    `json:"provider"`
	Code         FailureCode `json:"code"`
	HTTPStatus   int         `json:"http_status,omitempty"`
	RetryAfterMS int64       `json:"retry_after_ms,omitempty"`
	Attempts     int         `json:"attempts"`
	Message      string      `json:"message"`
}

// EnrichmentCompleted: every requested provider answered.
type EnrichmentCompleted struct {
	JobID      uuid.UUID `json:"job_id"`
	Domain     Domain    `json:"domain"`
	Score      int       `json:"score"`
	Tier       int       `json:"tier"`
	FinishedAt time.Time `json:"finished_at"`
}

// EnrichmentPartial: some providers answered, some failed.
type EnrichmentPartial struct {
	JobID      uuid.UUID                `json:"job_id"`
	Domain     Domain                   `json:"domain"`
	Score      int                      `json:"score"`
	Tier       int                      `json:"tier"`
	Failed     map[Provider]FailureCode `json:"failed"`
	FinishedAt time.Time                `json:"finished_at"`
}

// EnrichmentFailed: no data at all, or the job expired.
type EnrichmentFailed struct {
	JobID      uuid.UUID                `json:"job_id"`
	Domain     Domain                   `json:"domain"`
	Reason     FailureCode              `json:"reason"`
	Failed     map[Provider]FailureCode `json:"failed,omitempty"`
	FinishedAt time.Time                `json:"finished_at"`
}

// --- import stream -------------------------------------------------------------

// ImportBatchRecorded summarises one legacy import.
type ImportBatchRecorded struct {
	BatchID    uuid.UUID       `json:"batch_id"`
	Source     string          `json:"source"`
	Checksum   string          `json:"checksum"`
	Targets    []Domain        `json:"targets"`
	Report     json.RawMessage `json:"report"`
	ImportedBy string          `json:"imported_by"`
	ImportedAt time.Time       `json:"imported_at"`
}

// ImportBatchReverted records that a batch's targets were withdrawn.
type ImportBatchReverted struct {
	BatchID    uuid.UUID `json:"batch_id"`
	RevertedBy string    `json:"reverted_by"`
	RevertedAt time.Time `json:"reverted_at"`
}

// ImportBatchRestored records that a reverted batch's targets were brought
// back. A batch may be reverted and restored any number of times.
type ImportBatchRestored struct {
	BatchID    uuid.UUID `json:"batch_id"`
	RestoredBy string    `json:"restored_by"`
	RestoredAt time.Time `json:"restored_at"`
}

func (TargetImported) EventType() string       { return TypeTargetImported }
func (TargetImportReverted) EventType() string { return TypeTargetImportReverted }
func (TargetAdded) EventType() string          { return TypeTargetAdded }
func (EnrichmentJobOpened) EventType() string  { return TypeEnrichmentJobOpened }
func (EnrichmentJobClosed) EventType() string  { return TypeEnrichmentJobClosed }
func (ScoreComputed) EventType() string        { return TypeScoreComputed }
func (EnrichmentRequested) EventType() string  { return TypeEnrichmentRequested }
func (ProviderFetched) EventType() string      { return TypeProviderFetched }
func (ProviderFailed) EventType() string       { return TypeProviderFailed }
func (EnrichmentCompleted) EventType() string  { return TypeEnrichmentCompleted }
func (EnrichmentPartial) EventType() string    { return TypeEnrichmentPartial }
func (EnrichmentFailed) EventType() string     { return TypeEnrichmentFailed }
func (ImportBatchRecorded) EventType() string  { return TypeImportBatchRecorded }
func (ImportBatchReverted) EventType() string  { return TypeImportBatchReverted }
func (ImportBatchRestored) EventType() string  { return TypeImportBatchRestored }

var decoders = map[string]func([]byte) (Event, error){
	TypeTargetImported:       decodeAs[TargetImported],
	TypeTargetImportReverted: decodeAs[TargetImportReverted],
	TypeTargetAdded:          decodeAs[TargetAdded],
	TypeEnrichmentJobOpened:  decodeAs[EnrichmentJobOpened],
	TypeEnrichmentJobClosed:  decodeAs[EnrichmentJobClosed],
	TypeScoreComputed:        decodeAs[ScoreComputed],
	TypeEnrichmentRequested:  decodeAs[EnrichmentRequested],
	TypeProviderFetched:      decodeAs[ProviderFetched],
	TypeProviderFailed:       decodeAs[ProviderFailed],
	TypeEnrichmentCompleted:  decodeAs[EnrichmentCompleted],
	TypeEnrichmentPartial:    decodeAs[EnrichmentPartial],
	TypeEnrichmentFailed:     decodeAs[EnrichmentFailed],
	TypeImportBatchRecorded:  decodeAs[ImportBatchRecorded],
	TypeImportBatchReverted:  decodeAs[ImportBatchReverted],
	TypeImportBatchRestored:  decodeAs[ImportBatchRestored],
}

// EventTypes lists every event type the log may hold, sorted.
func EventTypes() []string {
	types := make([]string, 0, len(decoders))
	for t := range decoders {
		types = append(types, t)
	}
	slices.Sort(types)
	return types
}

func decodeAs[T Event](data []byte) (Event, error) {
	var e T
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, err
	}
	return e, nil
}

// Decode turns a stored event's payload back into its type, at the type's
// current schema version (see upcast.go).
func Decode(re RecordedEvent) (Event, error) {
	dec, ok := decoders[re.Type]
	if !ok {
		return nil, fmt.Errorf("decode event: unknown type %q", re.Type)
	}
	data, err := Upcast(re)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", re.Type, err)
	}
	e, err := dec(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", re.Type, err)
	}
	return e, nil
}

// Encode prepares an event for appending under a fresh id. Fresh ids are
// time-ordered (UUID version 7), so the event-id index grows at its end
// instead of being written at random pages.
func Encode(e Event, meta Metadata) (EventData, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return EventData{}, fmt.Errorf("new event id: %w", err)
	}
	return EncodeWithID(id, e, meta)
}

// EncodeWithID prepares an event under a given id. Handlers derive ids from
// what caused the event (see EventID) so a redelivered message appends
// nothing new.
func EncodeWithID(id uuid.UUID, e Event, meta Metadata) (EventData, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return EventData{}, fmt.Errorf("encode %s: %w", e.EventType(), err)
	}
	return EventData{ID: id, Type: e.EventType(), SchemaVersion: SchemaVersion(e.EventType()), Data: data, Metadata: meta}, nil
}

// eventIDSpace namespaces the deterministic event ids.
var eventIDSpace = uuid.MustParse("5b0f4c1e-7f0a-4c55-9a3e-6f1d2b8c9e40")

// EventID derives a stable id from the parts that identify one outcome, e.g.
// (job id, "provider", "similarweb"). Whatever produces that outcome twice —
// a redelivered message, a refetch after a crash — appends the same id, which
// the store treats as already done.
func EventID(parts ...string) uuid.UUID {
	name := ""
	for i, p := range parts {
		if i > 0 {
			name += "\x00"
		}
		name += p
	}
	return uuid.NewSHA1(eventIDSpace, []byte(name))
}
