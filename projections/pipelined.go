package projections

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/partnerforge/partnerforge/domain"
)

// pipelined is a gen.DBTX over a transaction that queues statements run
// with Exec and sends them to the server together, in one round trip, at
// the next read or flush. Replaying the log spends most of its time waiting
// for the server's answer to one upsert after another; queued, a batch of
// a few thousand events costs a handful of round trips. Apply code is
// unchanged: it cannot tell, because an Exec's command tag is never read
// by a projection and reads (Query, QueryRow) see every queued write first.
//
// A queued statement's error surfaces at flush, attributed to the event
// whose Apply queued it.
type pipelined struct {
	tx     pgx.Tx
	batch  pgx.Batch
	origin []domain.RecordedEvent // the event each queued statement applies
	// current is the event being applied.
	current domain.RecordedEvent
}

func (p *pipelined) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	p.batch.Queue(sql, args...)
	p.origin = append(p.origin, p.current)
	return pgconn.CommandTag{}, nil
}

func (p *pipelined) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := p.flush(ctx); err != nil {
		return nil, err
	}
	return p.tx.Query(ctx, sql, args...)
}

func (p *pipelined) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := p.flush(ctx); err != nil {
		return errRow{err}
	}
	return p.tx.QueryRow(ctx, sql, args...)
}

// flush sends the queued statements and reads every result: a failure
// names the event whose statement failed.
func (p *pipelined) flush(ctx context.Context) error {
	if p.batch.Len() == 0 {
		return nil
	}
	batch, origin := p.batch, p.origin
	p.batch, p.origin = pgx.Batch{}, nil
	br := p.tx.SendBatch(ctx, &batch)
	for _, re := range origin {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return &EventError{Position: re.Position, EventID: re.ID, Type: re.Type, StreamID: re.StreamID, Err: err}
		}
	}
	if err := br.Close(); err != nil {
		return fmt.Errorf("close batch: %w", err)
	}
	return nil
}

// SendBatch sends the queued statements first, then b. No projection
// sends batches of its own; should a queued statement fail, the transaction
// is aborted and b's results say so.
func (p *pipelined) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	_ = p.flush(ctx)
	return p.tx.SendBatch(ctx, b)
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
