package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

// RevertImport withdraws the targets an import batch brought in. History
// stays: the targets' streams keep every event, and read models drop them.
type RevertImport struct {
	BatchID uuid.UUID
	Actor   string
}

// RevertResult tells what a revert did to each of the batch's targets.
type RevertResult struct {
	// Reverted counts targets withdrawn by this call.
	Reverted int
	// AlreadyReverted counts targets a previous revert had withdrawn.
	AlreadyReverted int
	// Superseded counts targets a later import brought in again: they
	// belong to that batch now and stay.
	Superseded int
	// Recorded is false when the batch's revert had been recorded before.
	Recorded bool
}

// RevertImportHandler reverts import batches.
type RevertImportHandler struct {
	store EventStore
	now   Clock
}

// NewRevertImportHandler needs the event store and a clock.
func NewRevertImportHandler(store EventStore, now Clock) *RevertImportHandler {
	if store == nil || now == nil {
		panic("commands.NewRevertImportHandler: nil dependency")
	}
	return &RevertImportHandler{store: store, now: now}
}

// Handle appends TargetImportReverted to every target whose current import
// is the batch, then ImportBatchReverted to the batch's stream. Running it
// again finds the targets withdrawn and appends nothing new.
func (h *RevertImportHandler) Handle(ctx context.Context, cmd RevertImport, progress func(done, total int)) (RevertResult, error) {
	var res RevertResult
	recorded, _, err := batchState(ctx, h.store, cmd.BatchID)
	if err != nil {
		return res, fmt.Errorf("revert batch %s: %w", cmd.BatchID, err)
	}
	if recorded == nil {
		return res, fmt.Errorf("revert batch %s: %w", cmd.BatchID, ErrUnknownBatch)
	}
	meta := domain.Metadata{Actor: cmd.Actor, CorrelationID: cmd.BatchID.String(), CausationID: "revert:" + cmd.BatchID.String()}
	for start := 0; start < len(recorded.Targets); start += importChunk {
		chunk := recorded.Targets[start:min(start+importChunk, len(recorded.Targets))]
		if err := h.revertChunk(ctx, cmd.BatchID, chunk, meta, &res); err != nil {
			return res, fmt.Errorf("revert batch %s: %w", cmd.BatchID, err)
		}
		if progress != nil {
			progress(start+len(chunk), len(recorded.Targets))
		}
	}
	ev, err := domain.EncodeWithID(domain.EventID(cmd.BatchID.String(), domain.TypeImportBatchReverted),
		domain.ImportBatchReverted{BatchID: cmd.BatchID, RevertedBy: cmd.Actor, RevertedAt: h.now().UTC()}, meta)
	if err != nil {
		return res, err
	}
	r, err := h.store.AppendStreams(ctx, domain.StreamAppend{Stream: ImportStream(cmd.BatchID), Expected: domain.AnyVersion, Events: []domain.EventData{ev}})
	if err != nil {
		return res, fmt.Errorf("revert batch %s: record: %w", cmd.BatchID, err)
	}
	res.Recorded = !r[0].Duplicate
	return res, nil
}

// revertChunk decides for each target of the chunk and appends the
// reverts in one transaction, each guarded by the version its decision was
// made on. If any target moved meanwhile (a job opened on it), the chunk is
// redone target by target, reloading on each conflict.
func (h *RevertImportHandler) revertChunk(ctx context.Context, batch uuid.UUID, domains []domain.Domain, meta domain.Metadata, res *RevertResult) error {
	var (
		parts []domain.StreamAppend
		tally RevertResult
	)
	for _, d := range domains {
		part, err := h.decide(ctx, batch, d, meta, &tally)
		if err != nil {
			return err
		}
		if part != nil {
			parts = append(parts, *part)
		}
	}
	if len(parts) == 0 {
		addTally(res, tally)
		return nil
	}
	_, err := h.store.AppendStreams(ctx, parts...)
	if err == nil {
		addTally(res, tally)
		return nil
	}
	if !errors.Is(err, domain.ErrConcurrencyConflict) {
		return err
	}
	for _, d := range domains {
		var one RevertResult
		err := retryOnConflict(ctx, "revert "+d.String(), func() error {
			one = RevertResult{}
			part, err := h.decide(ctx, batch, d, meta, &one)
			if err != nil || part == nil {
				return err
			}
			_, err = h.store.AppendStreams(ctx, *part)
			return err
		})
		if err != nil {
			return err
		}
		addTally(res, one)
	}
	return nil
}

// decide loads a target and returns the append that withdraws it, or nil
// when there is nothing to withdraw, counting the outcome in tally.
func (h *RevertImportHandler) decide(ctx context.Context, batch uuid.UUID, d domain.Domain, meta domain.Metadata, tally *RevertResult) (*domain.StreamAppend, error) {
	t, err := loadTarget(ctx, h.store, d)
	if err != nil {
		return nil, err
	}
	switch {
	case t.ImportBatch() != batch:
		tally.Superseded++
		return nil, nil
	case t.Withdrawn():
		tally.AlreadyReverted++
		return nil, nil
	}
	ev, err := domain.EncodeWithID(domain.EventID(batch.String(), d.String(), domain.TypeTargetImportReverted),
		domain.TargetImportReverted{Domain: d, BatchID: batch}, meta)
	if err != nil {
		return nil, err
	}
	tally.Reverted++
	return &domain.StreamAppend{Stream: domain.TargetStream(d), Expected: domain.ExactVersion(t.Version()), Events: []domain.EventData{ev}}, nil
}

func addTally(res *RevertResult, t RevertResult) {
	res.Reverted += t.Reverted
	res.AlreadyReverted += t.AlreadyReverted
	res.Superseded += t.Superseded
}
