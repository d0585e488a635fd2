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
	repo Repository
	now  Clock
}

// NewRevertImportHandler needs the event store and a clock.
func NewRevertImportHandler(store EventStore, now Clock) *RevertImportHandler {
	if store == nil || now == nil {
		panic("commands.NewRevertImportHandler: nil dependency")
	}
	return &RevertImportHandler{repo: NewRepository(store), now: now}
}

// Handle appends TargetImportReverted to every target whose current import
// is the batch, then ImportBatchReverted to the batch's stream. Running it
// again finds the targets withdrawn and appends nothing new.
func (h *RevertImportHandler) Handle(ctx context.Context, cmd RevertImport, progress func(done, total int)) (RevertResult, error) {
	var res RevertResult
	batch, err := h.repo.ImportBatch(ctx, cmd.BatchID)
	if err != nil {
		return res, fmt.Errorf("revert batch %s: %w", cmd.BatchID, err)
	}
	recorded := batch.Recorded()
	if recorded == nil {
		return res, fmt.Errorf("revert batch %s: %w", cmd.BatchID, domain.ErrUnknownBatch)
	}
	meta := domain.Metadata{Actor: cmd.Actor, CorrelationID: cmd.BatchID.String(), CausationID: "revert:" + cmd.BatchID.String()}
	// Each revert/restore cycle has ids of its own: a revert after a
	// restore must append, not be taken for a replay of the first revert.
	key := append([]string{cmd.BatchID.String()}, batch.CycleKey()...)
	decide := func(ctx context.Context, d domain.Domain, tally *RevertResult) (*Change, error) {
		return h.decide(ctx, cmd.BatchID, key, d, tally)
	}
	for start := 0; start < len(recorded.Targets); start += importChunk {
		chunk := recorded.Targets[start:min(start+importChunk, len(recorded.Targets))]
		if err := saveChunk(ctx, h.repo, chunk, meta, decide, &res); err != nil {
			return res, fmt.Errorf("revert batch %s: %w", cmd.BatchID, err)
		}
		if progress != nil {
			progress(start+len(chunk), len(recorded.Targets))
		}
	}
	r, err := h.repo.Save(ctx, meta, Change{
		Stream: domain.ImportStream(cmd.BatchID), Expected: domain.AnyVersion, ID: ByType(key...),
		Events: []domain.Event{domain.ImportBatchReverted{BatchID: cmd.BatchID, RevertedBy: cmd.Actor, RevertedAt: h.now().UTC()}},
	})
	if err != nil {
		return res, fmt.Errorf("revert batch %s: record: %w", cmd.BatchID, err)
	}
	res.Recorded = !r[0].Duplicate
	return res, nil
}

// tally is a per-target count of outcomes that adds up over chunks.
type tally[T any] interface{ add(T) }

// saveChunk asks decide about each target of the chunk and appends the
// changes in one transaction, each guarded by the version its decision was
// made on. If any target moved meanwhile (a job opened on it), the chunk is
// redone target by target, reloading on each conflict.
func saveChunk[T any, PT interface {
	*T
	tally[T]
}](ctx context.Context, repo Repository, domains []domain.Domain, meta domain.Metadata,
	decide func(context.Context, domain.Domain, PT) (*Change, error), res PT) error {
	var (
		changes []Change
		counted T
	)
	for _, d := range domains {
		change, err := decide(ctx, d, &counted)
		if err != nil {
			return err
		}
		if change != nil {
			changes = append(changes, *change)
		}
	}
	if len(changes) == 0 {
		res.add(counted)
		return nil
	}
	_, err := repo.Save(ctx, meta, changes...)
	if err == nil {
		res.add(counted)
		return nil
	}
	if !errors.Is(err, domain.ErrConcurrencyConflict) {
		return err
	}
	for _, d := range domains {
		var one T
		err := repo.Retry(ctx, "decide for "+d.String(), func() error {
			one = *new(T)
			change, err := decide(ctx, d, &one)
			if err != nil || change == nil {
				return err
			}
			_, err = repo.Save(ctx, meta, *change)
			return err
		})
		if err != nil {
			return err
		}
		res.add(one)
	}
	return nil
}

// decide loads a target and returns the change that withdraws it, or nil
// when there is nothing to withdraw, counting the outcome in tally.
func (h *RevertImportHandler) decide(ctx context.Context, batch uuid.UUID, key []string, d domain.Domain, tally *RevertResult) (*Change, error) {
	t, err := h.repo.Target(ctx, d)
	if err != nil {
		return nil, err
	}
	outcome, ev := t.RevertImport(batch)
	switch outcome {
	case domain.RevertSuperseded:
		tally.Superseded++
		return nil, nil
	case domain.RevertAlreadyDone:
		tally.AlreadyReverted++
		return nil, nil
	}
	tally.Reverted++
	return &Change{
		Stream: domain.TargetStream(d), Expected: domain.ExactVersion(t.Version()),
		Events: []domain.Event{*ev}, ID: ByType(append(key[:len(key):len(key)], d.String())...),
	}, nil
}

func (res *RevertResult) add(t RevertResult) {
	res.Reverted += t.Reverted
	res.AlreadyReverted += t.AlreadyReverted
	res.Superseded += t.Superseded
}
