package domain

import (
	"errors"
	"fmt"

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
)

// ImportBatch is one legacy import: recorded once every target of the file
// is stored, reverted when its targets were withdrawn.
type ImportBatch struct {
	recorded *ImportBatchRecorded
	reverted bool
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
