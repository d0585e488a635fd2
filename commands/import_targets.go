package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

// ImportTargets imports a legacy target list, already read and normalised,
// as one batch.
type ImportTargets struct {
	// Source names where the list came from, e.g. its file name.
	Source string
	// Checksum is the hex SHA-256 of the source file. It fixes the batch id
	// and every event id, so importing the same file again, or resuming an
	// import that crashed, appends only what is missing.
	Checksum string
	Targets  []LegacyTarget
	// Report is the reader's account of the file (rows read, merged,
	// rejected, warnings), stored with the batch.
	Report json.RawMessage
	Actor  string
}

// LegacyTarget is one target of a legacy list and the rows it came from.
type LegacyTarget struct {
	Profile      domain.TargetProfile
	SourceRowID  int64
	MergedRowIDs []int64
}

// ImportResult tells what an import appended.
type ImportResult struct {
	BatchID uuid.UUID
	// Imported counts targets appended by this call; AlreadyImported those
	// a previous import of the same file had appended.
	Imported, AlreadyImported int
	// Recorded is false when the batch had been recorded before, i.e. the
	// whole file was already imported.
	Recorded bool
}

// ImportStream is the stream of one import batch.
func ImportStream(batch uuid.UUID) string { return "import-" + batch.String() }

// ImportBatchID is the batch id of a file with the given checksum.
func ImportBatchID(checksum string) uuid.UUID { return domain.EventID("import-batch", checksum) }

var (
	// ErrBatchReverted refuses to import a file whose batch was reverted:
	// its events are already stored, so importing it again would append
	// nothing and bring nothing back.
	ErrBatchReverted = errors.New("import batch was reverted")
	// ErrUnknownBatch names a batch that was never recorded.
	ErrUnknownBatch = errors.New("no such import batch")
)

// importChunk is how many targets one transaction appends: large enough to
// amortise the commit, small enough that a failure redoes little and the
// transaction holds the readers' visibility horizon only briefly.
const importChunk = 500

// ImportTargetsHandler appends legacy imports.
type ImportTargetsHandler struct {
	store EventStore
	now   Clock
}

// NewImportTargetsHandler needs the event store and a clock (for the
// batch's recorded time only; ids never depend on it).
func NewImportTargetsHandler(store EventStore, now Clock) *ImportTargetsHandler {
	if store == nil || now == nil {
		panic("commands.NewImportTargetsHandler: nil dependency")
	}
	return &ImportTargetsHandler{store: store, now: now}
}

// Handle appends one TargetImported per target to its target stream, in
// chunks of importChunk targets per transaction, then ImportBatchRecorded
// to the batch's stream, which marks the import complete. progress, if not
// nil, is called after each chunk with the targets done and the total.
func (h *ImportTargetsHandler) Handle(ctx context.Context, cmd ImportTargets, progress func(done, total int)) (ImportResult, error) {
	if cmd.Checksum == "" {
		return ImportResult{}, errors.New("import targets: no checksum")
	}
	batch := ImportBatchID(cmd.Checksum)
	res := ImportResult{BatchID: batch}
	recorded, reverted, err := batchState(ctx, h.store, batch)
	switch {
	case err != nil:
		return res, fmt.Errorf("import %s: %w", cmd.Source, err)
	case reverted:
		return res, fmt.Errorf("import %s: batch %s: %w", cmd.Source, batch, ErrBatchReverted)
	case recorded != nil:
		res.AlreadyImported = len(recorded.Targets)
		return res, nil
	}

	meta := domain.Metadata{Actor: cmd.Actor, CorrelationID: batch.String(), CausationID: "import:" + cmd.Checksum}
	domains := make([]domain.Domain, 0, len(cmd.Targets))
	for start := 0; start < len(cmd.Targets); start += importChunk {
		chunk := cmd.Targets[start:min(start+importChunk, len(cmd.Targets))]
		parts, ds, err := importParts(cmd.Checksum, batch, chunk, meta)
		if err != nil {
			return res, fmt.Errorf("import %s: %w", cmd.Source, err)
		}
		domains = append(domains, ds...)
		added, err := appendChunk(ctx, h.store, parts)
		if err != nil {
			return res, fmt.Errorf("import %s: %w", cmd.Source, err)
		}
		res.Imported += added
		res.AlreadyImported += len(parts) - added
		if progress != nil {
			progress(start+len(chunk), len(cmd.Targets))
		}
	}

	ev, err := domain.EncodeWithID(domain.EventID(cmd.Checksum, domain.TypeImportBatchRecorded), domain.ImportBatchRecorded{
		BatchID: batch, Source: cmd.Source, Checksum: cmd.Checksum, Targets: domains, Report: cmd.Report,
		ImportedBy: cmd.Actor, ImportedAt: h.now().UTC(),
	}, meta)
	if err != nil {
		return res, err
	}
	r, err := h.store.AppendStreams(ctx, domain.StreamAppend{Stream: ImportStream(batch), Expected: domain.AnyVersion, Events: []domain.EventData{ev}})
	if err != nil {
		return res, fmt.Errorf("import %s: record batch: %w", cmd.Source, err)
	}
	res.Recorded = !r[0].Duplicate
	return res, nil
}

func importParts(checksum string, batch uuid.UUID, targets []LegacyTarget, meta domain.Metadata) ([]domain.StreamAppend, []domain.Domain, error) {
	parts := make([]domain.StreamAppend, len(targets))
	domains := make([]domain.Domain, len(targets))
	for i, t := range targets {
		d, err := domain.ParseDomain(t.Profile.Domain)
		if err != nil {
			return nil, nil, fmt.Errorf("legacy row %d: %w", t.SourceRowID, err)
		}
		ev, err := domain.EncodeWithID(domain.EventID(checksum, d.String(), domain.TypeTargetImported), domain.TargetImported{
			Domain: d, BatchID: batch, SourceRowID: t.SourceRowID, MergedRows: t.MergedRowIDs, Profile: t.Profile,
		}, meta)
		if err != nil {
			return nil, nil, err
		}
		parts[i] = domain.StreamAppend{Stream: domain.TargetStream(d), Expected: domain.AnyVersion, Events: []domain.EventData{ev}}
		domains[i] = d
	}
	return parts, domains, nil
}

// appendChunk appends every part in one transaction and returns how many
// were new. A chunk stored whole before is a no-op; one stored in part (an
// import that crashed with other chunk bounds) is appended target by
// target, each of which is then new or a no-op.
func appendChunk(ctx context.Context, store EventStore, parts []domain.StreamAppend) (int, error) {
	res, err := store.AppendStreams(ctx, parts...)
	if errors.Is(err, domain.ErrDuplicateEvent) {
		added := 0
		for _, p := range parts {
			r, err := store.AppendStreams(ctx, p)
			if err != nil {
				return added, err
			}
			if !r[0].Duplicate {
				added++
			}
		}
		return added, nil
	}
	if err != nil {
		return 0, err
	}
	added := 0
	for _, r := range res {
		if !r.Duplicate {
			added++
		}
	}
	return added, nil
}

// batchState reads a batch's stream: its record, if any, and whether it was
// reverted.
func batchState(ctx context.Context, store EventStore, batch uuid.UUID) (recorded *domain.ImportBatchRecorded, reverted bool, err error) {
	evs, err := readStream(ctx, store, ImportStream(batch))
	if err != nil {
		return nil, false, err
	}
	for _, re := range evs {
		e, err := domain.Decode(re.Type, re.Data)
		if err != nil {
			return nil, false, err
		}
		switch e := e.(type) {
		case domain.ImportBatchRecorded:
			recorded = &e
		case domain.ImportBatchReverted:
			reverted = true
		}
	}
	return recorded, reverted, nil
}
