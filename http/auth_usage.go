package httpapi

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
)

// KeyUsageStore records when keys were last used; postgres.APIKeys does.
type KeyUsageStore interface {
	TouchKeys(ctx context.Context, used map[uuid.UUID]time.Time) error
}

// DefaultUsageFlush is how often last use is written.
const DefaultUsageFlush = 30 * time.Second

// KeyUsage keeps each key's last use in memory and writes them in one
// statement per flush, so a request costs no write. What a crash loses is
// at most one flush interval of "last used" times.
type KeyUsage struct {
	store KeyUsageStore
	log   *slog.Logger
	mu    sync.Mutex
	used  map[uuid.UUID]time.Time
}

// NewKeyUsage returns a recorder writing to store.
func NewKeyUsage(store KeyUsageStore, log *slog.Logger) *KeyUsage {
	if store == nil {
		panic("httpapi.NewKeyUsage: nil store")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &KeyUsage{store: store, log: log, used: map[uuid.UUID]time.Time{}}
}

// Record notes a use of the key; a nil recorder records nothing.
func (u *KeyUsage) Record(id uuid.UUID, at time.Time) {
	if u == nil {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if at.After(u.used[id]) {
		u.used[id] = at
	}
}

// Flush writes the uses recorded since the last flush. On failure they are
// kept for the next one.
func (u *KeyUsage) Flush(ctx context.Context) error {
	u.mu.Lock()
	batch := u.used
	u.used = map[uuid.UUID]time.Time{}
	u.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := u.store.TouchKeys(ctx, batch)
	if err != nil {
		for id, at := range batch {
			u.Record(id, at)
		}
	}
	return err
}

// Run flushes every interval until ctx is done, then once more so a
// graceful shutdown loses nothing.
func (u *KeyUsage) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := u.Flush(ctx); err != nil {
				u.log.Warn("record API key use", slog.String("error", err.Error()))
			}
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := u.Flush(final); err != nil {
				u.log.Warn("record API key use at shutdown", slog.String("error", err.Error()))
			}
			cancel()
			return
		}
	}
}
