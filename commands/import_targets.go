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

// importChunk is how many targets one transaction appends: large enough to
// amortise the commit, small enough that a failure redoes little and the
// transaction holds the readers' visibility horizon only briefly.
const importChunk = 500

// ImportTargetsHandler appends legacy imports.
type ImportTargetsHandler struct {
	repo Repository
	now  Clock
}

// NewImportTargetsHandler needs the event store and a clock (for the
// batch's recorded time only; ids never depend on it).
func NewImportTargetsHandler(store EventStore, now Clock) *ImportTargetsHandler {
	if store == nil || now == nil {
		panic("commands.NewImportTargetsHandler: nil dependency")
	}
	return &ImportTargetsHandler{repo: NewRepository(store), now: now}
}

// Handle appends one TargetImported per target to its target stream, in
// chunks of importChunk targets per transaction, then ImportBatchRecorded
// to the batch's stream, which marks the import complete. progress, if not
// nil, is called after each chunk with the targets done and the total.
func (h *ImportTargetsHandler) Handle(ctx context.Context, cmd ImportTargets, progress func(done, total int)) (ImportResult, error) {
	targets, total := cmd.Targets, len(cmd.Targets)
	next := func(context.Context) ([]LegacyTarget, error) {
		chunk := targets[:min(importChunk, len(targets))]
		targets = targets[len(chunk):]
		return chunk, nil
	}
	report := func() json.RawMessage { return cmd.Report }
	var p func(int)
	if progress != nil {
		p = func(done int) { progress(done, total) }
	}
	return h.HandleStream(ctx, cmd, next, report, p)
}

// HandleStream is Handle for a list too large to hold: next returns the
// targets chunk by chunk (an empty chunk at the end), each appended as it
// comes, and report, called after the last chunk, gives the batch's report
// (cmd.Targets and cmd.Report are ignored). Only the batch's domains are
// kept, for ImportBatchRecorded. A chunk larger than importChunk is
// appended in several transactions. progress, if not nil, is called after
// each transaction with the targets done.
//
// The batch id and every event id come from cmd.Checksum, so running the
// same stream again, or after a crash, appends only what is missing.
func (h *ImportTargetsHandler) HandleStream(ctx context.Context, cmd ImportTargets, next func(context.Context) ([]LegacyTarget, error),
	report func() json.RawMessage, progress func(done int)) (ImportResult, error) {
	if cmd.Checksum == "" {
		return ImportResult{}, errors.New("import targets: no checksum")
	}
	batch := domain.ImportBatchID(cmd.Checksum)
	res := ImportResult{BatchID: batch}
	state, err := h.repo.ImportBatch(ctx, batch)
	switch {
	case err != nil:
		return res, fmt.Errorf("import %s: %w", cmd.Source, err)
	case state.Reverted():
		return res, fmt.Errorf("import %s: batch %s: %w", cmd.Source, batch, domain.ErrBatchReverted)
	case state.Recorded() != nil:
		res.AlreadyImported = len(state.Recorded().Targets)
		return res, nil
	}

	meta := domain.Metadata{Actor: cmd.Actor, CorrelationID: batch.String(), CausationID: "import:" + cmd.Checksum}
	var domains []domain.Domain
	for {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("import %s: %w", cmd.Source, err)
		}
		targets, err := next(ctx)
		if err != nil {
			return res, fmt.Errorf("import %s: %w", cmd.Source, err)
		}
		if len(targets) == 0 {
			break
		}
		for start := 0; start < len(targets); start += importChunk {
			chunk := targets[start:min(start+importChunk, len(targets))]
			changes, ds, err := importChanges(cmd.Checksum, batch, chunk)
			if err != nil {
				return res, fmt.Errorf("import %s: %w", cmd.Source, err)
			}
			domains = append(domains, ds...)
			added, err := h.appendChunk(ctx, meta, changes)
			if err != nil {
				return res, fmt.Errorf("import %s: %w", cmd.Source, err)
			}
			res.Imported += added
			res.AlreadyImported += len(changes) - added
			if progress != nil {
				progress(len(domains))
			}
		}
	}

	recorded := domain.ImportBatchRecorded{
		BatchID: batch, Source: cmd.Source, Checksum: cmd.Checksum, Targets: nonNilDomains(domains), Report: report(),
		ImportedBy: cmd.Actor, ImportedAt: h.now().UTC(),
	}
	r, err := h.repo.Save(ctx, meta, Change{
		Stream: domain.ImportStream(batch), Expected: domain.AnyVersion, Events: []domain.Event{recorded}, ID: ByType(cmd.Checksum),
	})
	if err != nil {
		return res, fmt.Errorf("import %s: record batch: %w", cmd.Source, err)
	}
	res.Recorded = !r[0].Duplicate
	return res, nil
}

// nonNilDomains keeps an empty batch's target list [] rather than null, as
// it was recorded before imports streamed.
func nonNilDomains(ds []domain.Domain) []domain.Domain {
	if ds == nil {
		return []domain.Domain{}
	}
	return ds
}

// importChanges is one TargetImported per target, each on its stream with
// an id fixed by the file and the domain.
func importChanges(checksum string, batch uuid.UUID, targets []LegacyTarget) ([]Change, []domain.Domain, error) {
	changes := make([]Change, len(targets))
	domains := make([]domain.Domain, len(targets))
	for i, t := range targets {
		d, err := domain.ParseDomain(t.Profile.Domain)
		if err != nil {
			return nil, nil, fmt.Errorf("legacy row %d: %w", t.SourceRowID, err)
		}
		changes[i] = Change{
			Stream: domain.TargetStream(d), Expected: domain.AnyVersion, ID: ByType(checksum, d.String()),
			Events: []domain.Event{domain.TargetImported{
				Domain: d, BatchID: batch, SourceRowID: t.SourceRowID, MergedRows: t.MergedRowIDs, Profile: t.Profile,
			}},
		}
		domains[i] = d
	}
	return changes, domains, nil
}

// appendChunk appends every change in one transaction and returns how many
// were new. A chunk stored whole before is a no-op; one stored in part (an
// import that crashed with other chunk bounds) is appended target by
// target, each of which is then new or a no-op.
func (h *ImportTargetsHandler) appendChunk(ctx context.Context, meta domain.Metadata, changes []Change) (int, error) {
	res, err := h.repo.Save(ctx, meta, changes...)
	if errors.Is(err, domain.ErrDuplicateEvent) {
		added := 0
		for _, c := range changes {
			r, err := h.repo.Save(ctx, meta, c)
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
