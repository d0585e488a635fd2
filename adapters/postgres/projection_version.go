package postgres

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
)

// ProjectionVersion follows one projection's checkpoint. A read model changes
// only in the transaction that moves its checkpoint, so the checkpoint is a
// version of the whole read model: a response built from it stays valid
// until the checkpoint moves. Response caches key on it.
type ProjectionVersion struct {
	pool *pgxpool.Pool
	name string
	v    atomic.Int64
}

// NewProjectionVersion follows the named projection; Version is 0 (unknown)
// until Run's first read.
func NewProjectionVersion(pool *pgxpool.Pool, name string) *ProjectionVersion {
	return &ProjectionVersion{pool: pool, name: name}
}

// Version is the checkpoint last read, or 0 when unknown. Reading it costs
// an atomic load, so a request can afford it.
func (p *ProjectionVersion) Version() int64 { return p.v.Load() }

// Refresh reads the checkpoint now.
func (p *ProjectionVersion) Refresh(ctx context.Context) error {
	pos, err := gen.New(p.pool).ProjectionPosition(ctx, p.name)
	if err != nil {
		// Unknown: callers must stop trusting what they cached.
		p.v.Store(0)
		return err
	}
	p.v.Store(pos)
	return nil
}

// Run refreshes every interval until ctx ends. Readers see a change at most
// one interval late, on top of the projection's own lag.
func (p *ProjectionVersion) Run(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := p.Refresh(ctx); err != nil && ctx.Err() == nil {
			log.Warn("read projection checkpoint", slog.String("projection", p.name), slog.Any("error", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
