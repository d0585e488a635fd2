package commands

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

// RestoreImport brings back the targets a reverted import batch had brought
// in, as the batch had them.
type RestoreImport struct {
	BatchID uuid.UUID
	Actor   string
}

// RestoreResult tells what a restore did to each of the batch's targets.
type RestoreResult struct {
	// Restored counts targets brought back by this call.
	Restored int
	// AlreadyRestored counts targets in place already: an earlier,
	// interrupted restore brought them back.
	AlreadyRestored int
	// Superseded counts targets a later import brought in: they belong to
	// that batch now and stay as they are.
	Superseded int
}

func (res *RestoreResult) add(t RestoreResult) {
	res.Restored += t.Restored
	res.AlreadyRestored += t.AlreadyRestored
	res.Superseded += t.Superseded
}

// RestoreImportHandler restores reverted import batches.
type RestoreImportHandler struct {
	repo Repository
	now  Clock
}

// NewRestoreImportHandler needs the event store and a clock.
func NewRestoreImportHandler(store EventStore, now Clock) *RestoreImportHandler {
	if store == nil || now == nil {
		panic("commands.NewRestoreImportHandler: nil dependency")
	}
	return &RestoreImportHandler{repo: NewRepository(store), now: now}
}

// Handle appends the batch's TargetImported again to every target it had
// withdrawn, then ImportBatchRestored to the batch's stream. The batch is
// recorded last, so a restore that stopped half-way is finished by running
// it again; once recorded, the batch can be reverted again.
func (h *RestoreImportHandler) Handle(ctx context.Context, cmd RestoreImport, progress func(done, total int)) (RestoreResult, error) {
	var res RestoreResult
	batch, err := h.repo.ImportBatch(ctx, cmd.BatchID)
	if err != nil {
		return res, fmt.Errorf("restore batch %s: %w", cmd.BatchID, err)
	}
	restored, err := batch.Restore(cmd.Actor, h.now())
	if err != nil {
		return res, fmt.Errorf("restore batch %s: %w", cmd.BatchID, err)
	}
	meta := domain.Metadata{Actor: cmd.Actor, CorrelationID: cmd.BatchID.String(), CausationID: "restore:" + cmd.BatchID.String()}
	key := append([]string{cmd.BatchID.String()}, batch.RestoreKey()...)
	decide := func(ctx context.Context, d domain.Domain, tally *RestoreResult) (*Change, error) {
		t, err := h.repo.Target(ctx, d)
		if err != nil {
			return nil, err
		}
		outcome, ev := t.RestoreImport(cmd.BatchID)
		switch outcome {
		case domain.RestoreSuperseded:
			tally.Superseded++
			return nil, nil
		case domain.RestoreAlreadyDone:
			tally.AlreadyRestored++
			return nil, nil
		}
		tally.Restored++
		return &Change{
			Stream: domain.TargetStream(d), Expected: domain.ExactVersion(t.Version()),
			Events: []domain.Event{*ev}, ID: ByType(append(key[:len(key):len(key)], d.String())...),
		}, nil
	}
	targets := batch.Recorded().Targets
	for start := 0; start < len(targets); start += importChunk {
		chunk := targets[start:min(start+importChunk, len(targets))]
		if err := saveChunk(ctx, h.repo, chunk, meta, decide, &res); err != nil {
			return res, fmt.Errorf("restore batch %s: %w", cmd.BatchID, err)
		}
		if progress != nil {
			progress(start+len(chunk), len(targets))
		}
	}
	if _, err := h.repo.Save(ctx, meta, Change{
		Stream: domain.ImportStream(cmd.BatchID), Expected: domain.ExactVersion(batch.Version()), ID: ByType(key...),
		Events: []domain.Event{restored},
	}); err != nil {
		return res, fmt.Errorf("restore batch %s: record: %w", cmd.BatchID, err)
	}
	return res, nil
}
