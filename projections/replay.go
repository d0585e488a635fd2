package projections

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
	"github.com/partnerforge/partnerforge/domain"
)

// load replays batches into the shadow, one transaction each, up to upTo.
// With wait, it keeps polling while an older transaction holds the
// visibility horizon below upTo; without, it stops at the first empty
// batch. The next batch is read on another connection while one is
// applied, so reading the log and writing the shadow overlap.
func (b *builder) load(ctx context.Context, upTo int64, wait bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan readBatch, 2)
	go b.readAhead(ctx, b.pos, upTo, wait, batches)
	for rb := range batches {
		if rb.err != nil {
			return rb.err
		}
		err := pgx.BeginFunc(ctx, b.r.pool, func(tx pgx.Tx) error {
			// Losing the last batches in a crash loses nothing: the
			// shadow is rebuilt from the log anyway.
			if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
				return fmt.Errorf("set synchronous_commit: %w", err)
			}
			return b.applyDecoded(ctx, tx, rb.events, rb.decoded)
		})
		if err != nil {
			return err
		}
		b.pos, b.events = rb.events[len(rb.events)-1].Position, b.events+int64(len(rb.events))
		b.report()
	}
	return ctx.Err()
}

type readBatch struct {
	events []domain.RecordedEvent
	// decoded holds the events the projection handles, decoded (nil for
	// the others): decoding is most of the client's work per event, and
	// done here it overlaps the server applying the previous batch.
	decoded []domain.Event
	err     error
}

// readAhead sends the batches of the log after pos up to upTo, then closes
// out.
func (b *builder) readAhead(ctx context.Context, pos, upTo int64, wait bool, out chan<- readBatch) {
	defer close(out)
	for pos < upTo {
		evs, err := b.read(ctx, b.r.pool, pos, upTo)
		if err == nil && len(evs) == 0 {
			if !wait {
				return
			}
			sleep(ctx, b.r.poll, nil)
			err = ctx.Err()
		}
		if err != nil {
			select {
			case out <- readBatch{err: err}:
			case <-ctx.Done():
			}
			return
		}
		if len(evs) == 0 {
			continue
		}
		rb := readBatch{events: evs, decoded: make([]domain.Event, len(evs))}
		for i, re := range evs {
			if !b.p.Handles(re.Type) {
				continue
			}
			if rb.decoded[i], err = domain.Decode(re); err != nil {
				rb = readBatch{err: &EventError{Position: re.Position, EventID: re.ID, Type: re.Type, StreamID: re.StreamID, Err: err}}
				break
			}
		}
		select {
		case out <- rb:
		case <-ctx.Done():
			return
		}
		if rb.err != nil {
			return
		}
		pos = evs[len(evs)-1].Position
	}
}

// read returns the next batch of events after pos, none past upTo.
func (b *builder) read(ctx context.Context, db gen.DBTX, pos, upTo int64) ([]domain.RecordedEvent, error) {
	evs, err := postgres.ReadAll(ctx, db, pos, b.opts.BatchSize)
	if err != nil {
		return nil, err
	}
	for len(evs) > 0 && evs[len(evs)-1].Position > upTo {
		evs = evs[:len(evs)-1]
	}
	return evs, nil
}

// applyEvents applies events to the shadow within tx, their writes
// pipelined.
func (b *builder) applyEvents(ctx context.Context, tx pgx.Tx, evs []domain.RecordedEvent) error {
	if _, err := tx.Exec(ctx, b.sh.searchPath()); err != nil {
		return fmt.Errorf("use shadow: %w", err)
	}
	db := &pipelined{tx: tx}
	for _, re := range evs {
		db.current = re
		if err := applyOne(ctx, b.p, db, re); err != nil {
			return err
		}
	}
	return db.flush(ctx)
}

// applyDecoded is applyEvents for events decoded beforehand (nil where the
// projection does not handle the event).
func (b *builder) applyDecoded(ctx context.Context, tx pgx.Tx, evs []domain.RecordedEvent, decoded []domain.Event) error {
	if _, err := tx.Exec(ctx, b.sh.searchPath()); err != nil {
		return fmt.Errorf("use shadow: %w", err)
	}
	db := &pipelined{tx: tx}
	for i, re := range evs {
		if decoded[i] == nil {
			continue
		}
		db.current = re
		if err := b.p.Apply(ctx, db, re, decoded[i]); err != nil {
			return &EventError{Position: re.Position, EventID: re.ID, Type: re.Type, StreamID: re.StreamID, Err: err}
		}
	}
	return db.flush(ctx)
}

// applyBatch reads one batch after pos (and up to upTo) within tx and
// applies it to the shadow; it returns the position reached and the number
// of events read.
func (b *builder) applyBatch(ctx context.Context, tx pgx.Tx, pos, upTo int64) (int64, int64, error) {
	evs, err := b.read(ctx, tx, pos, upTo)
	if err != nil || len(evs) == 0 {
		return pos, 0, err
	}
	if err := b.applyEvents(ctx, tx, evs); err != nil {
		return 0, 0, err
	}
	return evs[len(evs)-1].Position, int64(len(evs)), nil
}
