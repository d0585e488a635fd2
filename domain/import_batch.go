package domain

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// ImportStream is the stream of one import batch.
func ImportStream(batch uuid.UUID) string { return "import-" + batch.String() }

// ImportBatchID is the batch id of a file with the given checksum: the same
// file is always the same batch.
func ImportBatchID(checksum string) uuid.UUID { return EventID("import-batch", checksum) }

var (
	// ErrBatchReverted refuses to import a file whose batch was reverted:
	// its events are already stored, so importing it again would append
	// nothing and bring nothing back.
	ErrBatchReverted = errors.New("import batch was reverted")
	// ErrUnknownBatch names a batch that was never recorded.
	ErrUnknownBatch = errors.New("no such import batch")
	// ErrBatchNotReverted refuses to restore a batch whose targets are in
	// place: there is nothing to bring back.
	ErrBatchNotReverted = errors.New("import batch is not reverted: nothing to restore")
)

// ImportBatch is one legacy import: recorded once every target of the file
// is stored, reverted when its targets were withdrawn.
type ImportBatch struct {
	recorded *ImportBatchRecorded
	reverted bool
	restores int
	version  int64
}

// LoadImportBatch folds a batch's stream.
func LoadImportBatch(events []RecordedEvent) (*ImportBatch, error) {
	b := &ImportBatch{}
	for _, re := range events {
		e, err := Decode(re)
		if err != nil {
			return nil, err
		}
		switch e := e.(type) {
		case ImportBatchRecorded:
			b.recorded = &e
		case ImportBatchReverted:
			b.reverted = true
		case ImportBatchRestored:
			b.reverted = false
			b.restores++
		default:
			return nil, fmt.Errorf("unexpected %s in import stream %s", e.EventType(), re.StreamID)
		}
		b.version = re.StreamVersion
	}
	return b, nil
}

// Recorded is the batch's record, nil while the import has not completed.
func (b *ImportBatch) Recorded() *ImportBatchRecorded { return b.recorded }

// Reverted reports whether the batch's targets were withdrawn.
func (b *ImportBatch) Reverted() bool { return b.reverted }

// Restores counts how often the batch was restored. It tells one revert or
// restore of the batch from the next, so that the events of each get ids of
// their own: a revert after a restore is new history, not a replay of the
// first revert.
func (b *ImportBatch) Restores() int { return b.restores }

// CycleKey names the current revert/restore cycle in event ids: nothing
// before the first restore, so reverts keep the ids they always had.
func (b *ImportBatch) CycleKey() []string {
	if b.restores == 0 {
		return nil
	}
	return []string{"cycle", strconv.Itoa(b.restores)}
}

// Restore decides to bring the batch's targets back: it must have been
// recorded and reverted. Its targets are restored first (Target.RestoreImport),
// the batch last, so an interrupted restore is finished by running it again.
func (b *ImportBatch) Restore(actor string, at time.Time) (ImportBatchRestored, error) {
	switch {
	case b.recorded == nil:
		return ImportBatchRestored{}, ErrUnknownBatch
	case !b.reverted:
		return ImportBatchRestored{}, ErrBatchNotReverted
	}
	return ImportBatchRestored{BatchID: b.recorded.BatchID, RestoredBy: actor, RestoredAt: at.UTC()}, nil
}

// RestoreKey names the restore about to be decided in event ids: the
// cycle it opens.
func (b *ImportBatch) RestoreKey() []string {
	return []string{"restore", strconv.Itoa(b.restores + 1)}
}

// Version is the stream version the batch was loaded at.
func (b *ImportBatch) Version() int64 { return b.version }

// RevertOutcome is what reverting a batch does to one of its targets.
type RevertOutcome int

const (
	// RevertWithdraws withdraws the target.
	RevertWithdraws RevertOutcome = iota
	// RevertAlreadyDone finds the target withdrawn by an earlier revert.
	RevertAlreadyDone
	// RevertSuperseded leaves a target a later import brought in again: it
	// belongs to that batch now.
	RevertSuperseded
)

// RevertImport decides what reverting batch does to the target, and the
// event that withdraws it when it does.
func (t *Target) RevertImport(batch uuid.UUID) (RevertOutcome, *TargetImportReverted) {
	switch {
	case t.batchID != batch:
		return RevertSuperseded, nil
	case t.withdrawn:
		return RevertAlreadyDone, nil
	}
	return RevertWithdraws, &TargetImportReverted{Domain: t.domain, BatchID: batch}
}

// RestoreOutcome is what restoring a batch does to one of its targets.
type RestoreOutcome int

const (
	// RestoreBringsBack imports the target again as the batch had it.
	RestoreBringsBack RestoreOutcome = iota
	// RestoreAlreadyDone finds the target in place: restored by an earlier,
	// interrupted run, or never withdrawn.
	RestoreAlreadyDone
	// RestoreSuperseded leaves a target a later import brought in: it
	// belongs to that batch now.
	RestoreSuperseded
)

// RestoreImport decides what restoring batch does to the target, and the
// event that brings it back when it does: the batch's own TargetImported
// again, so every read model takes it back as it took it the first time.
func (t *Target) RestoreImport(batch uuid.UUID) (RestoreOutcome, *TargetImported) {
	switch {
	case t.batchID != batch || t.imported == nil:
		return RestoreSuperseded, nil
	case !t.withdrawn:
		return RestoreAlreadyDone, nil
	}
	again := *t.imported
	return RestoreBringsBack, &again
}
