package postgres

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
)

// ProjectionVersion follows one projection's checkpoint. A read model changes
// only in the transaction that moves its checkpoint, so the checkpoint is a
// version of the whole read model: a response built from it stays valid
// until the checkpoint moves. Response caches key on it.
//
// A rebuild replaces the read model whole and may leave the checkpoint where
// it was; it counts the swap in the generation instead, which Generation
// reports. A response is valid for one (generation, checkpoint) pair.
type ProjectionVersion struct {
	pool *pgxpool.Pool
	name string
	// Both are stored under mu so that a reader never pairs a generation
	// with a checkpoint of another read.
	mu  sync.RWMutex
	v   int64
	gen int64

	wake chan struct{}
}

// NewProjectionVersion follows the named projection; Version is 0 (unknown)
// until Run's first read.
func NewProjectionVersion(pool *pgxpool.Pool, name string) *ProjectionVersion {
	return &ProjectionVersion{pool: pool, name: name, wake: make(chan struct{}, 1)}
}

// Notify has Run read the checkpoint now: the projection committed, here or
// in another instance. It does not block.
func (p *ProjectionVersion) Notify() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Version is the checkpoint last read, or 0 when unknown. Reading it costs
// a read lock, so a request can afford it.
func (p *ProjectionVersion) Version() int64 {
	v, _ := p.Read()
	return v
}

// Generation is the number of rebuilds swapped in, as last read.
func (p *ProjectionVersion) Generation() int64 {
	_, g := p.Read()
	return g
}

// Read returns the checkpoint and the generation of the same read.
func (p *ProjectionVersion) Read() (version, generation int64) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.v, p.gen
}

// Refresh reads the checkpoint now.
func (p *ProjectionVersion) Refresh(ctx context.Context) error {
	row, err := gen.New(p.pool).ProjectionVersion(ctx, p.name)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		// Unknown: callers must stop trusting what they cached.
		p.v = 0
		return err
	}
	p.v, p.gen = row.Position, row.Generation
	return nil
}

// Run refreshes every interval, and at each Notify, until ctx ends. Readers
// see a change at most one interval late, on top of the projection's own
// lag; when every commit is notified, at once.
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
		case <-p.wake:
		}
	}
}
