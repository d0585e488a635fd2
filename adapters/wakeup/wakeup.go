package wakeup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Channel is a PostgreSQL notification channel.
type Channel string

// The channels. Their names are shared by every instance on a database.
const (
	// EventsChannel: events were appended (the payload carries the last
	// position, so a receiver can wait until it is readable).
	EventsChannel Channel = "partnerforge_events"
	// WorkChannel: fetch tasks were queued.
	WorkChannel Channel = "partnerforge_work"
	// ReadModelsChannel: a projection moved its checkpoint.
	ReadModelsChannel Channel = "partnerforge_read_models"
)

var channels = []Channel{EventsChannel, WorkChannel, ReadModelsChannel}

// DefaultCoalesce is the shortest gap between two notifications on one
// channel: the first goes out at once, those that follow within the window
// are merged into one.
const DefaultCoalesce = 5 * time.Millisecond

// Config tunes a Wakeups; zero values take the defaults.
type Config struct {
	Coalesce time.Duration
	Logger   *slog.Logger
}

// Wakeups wakes this instance's followers when something changed, here or
// in another instance on the same database. Register listeners with On*,
// poke it after a commit (Appended, Work, ReadModels), and Run it.
type Wakeups struct {
	pool     *pgxpool.Pool
	coalesce time.Duration
	log      *slog.Logger
	// id marks this instance's notifications: its own followers were woken
	// in process already, so its listener skips them.
	id string

	mu        sync.Mutex
	listeners map[Channel][]func()

	outMu       sync.Mutex
	outbox      map[Channel]string
	outPosition int64 // the highest position announced
	// kick tells pump there is something to send or a position to watch.
	kick chan struct{}

	horizon horizonWatch
}

// New returns a Wakeups on pool's database. The pool sends the
// notifications and checks the visibility horizon; Run opens the dedicated
// listening connection with the pool's connection settings.
func New(pool *pgxpool.Pool, cfg Config) (*Wakeups, error) {
	if pool == nil {
		return nil, errors.New("wakeup.New: nil pool")
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("wakeup.New: instance id: %w", err)
	}
	w := &Wakeups{
		pool: pool, coalesce: cfg.Coalesce, log: cfg.Logger, id: hex.EncodeToString(id),
		listeners: map[Channel][]func(){}, outbox: map[Channel]string{}, kick: make(chan struct{}, 1),
	}
	if w.coalesce <= 0 {
		w.coalesce = DefaultCoalesce
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	return w, nil
}

// OnEvents registers fn to run when appended events have become readable
// by a follower (the visibility horizon has passed them). fn must not
// block: it should signal a goroutine, as Runner.Notify does.
func (w *Wakeups) OnEvents(fn func()) { w.on(EventsChannel, fn) }

// OnWork registers fn to run when fetch tasks were queued. fn must not block.
func (w *Wakeups) OnWork(fn func()) { w.on(WorkChannel, fn) }

// OnReadModels registers fn to run when a projection moved its checkpoint.
// fn must not block.
func (w *Wakeups) OnReadModels(fn func()) { w.on(ReadModelsChannel, fn) }

func (w *Wakeups) on(ch Channel, fn func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.listeners[ch] = append(w.listeners[ch], fn)
}

// Appended tells followers that events up to position were committed. Call
// it after the commit, never inside the writing transaction; it does not
// block and costs the caller no round trip.
func (w *Wakeups) Appended(position int64) {
	w.horizon.await(position)
	w.outMu.Lock()
	// Positions of concurrent appends arrive in any order: announce the
	// highest: once it is readable, so is every lower one.
	w.outPosition = max(w.outPosition, position)
	w.outbox[EventsChannel] = w.id + " " + formatPosition(w.outPosition)
	w.outMu.Unlock()
	kick(w.kick)
}

// announced is a notification of appended events from another instance.
func (w *Wakeups) announced(position int64) {
	w.horizon.await(position)
	kick(w.kick)
}

// Work tells workers that fetch tasks were queued (after the commit).
func (w *Wakeups) Work() {
	w.fire(WorkChannel)
	w.post(WorkChannel, w.id)
}

// ReadModels tells readers of projection checkpoints that one moved (after
// the commit).
func (w *Wakeups) ReadModels() {
	w.fire(ReadModelsChannel)
	w.post(ReadModelsChannel, w.id)
}

// listened reports whether ch has listeners here.
func (w *Wakeups) listened(ch Channel) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.listeners[ch]) > 0
}

// fire runs ch's listeners.
func (w *Wakeups) fire(ch Channel) {
	w.mu.Lock()
	fns := w.listeners[ch]
	w.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// wakeAll wakes every follower once: after the listening connection was
// (re)established, a notification may have been missed.
func (w *Wakeups) wakeAll() {
	for _, ch := range channels {
		w.fire(ch)
	}
}

// Run listens, and sends and watches the horizon, until ctx ends. Losing the
// database is not an error: it reconnects with back-off, and followers fall
// back to their slow poll meanwhile.
func (w *Wakeups) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { w.listen(ctx) })
	wg.Go(func() { w.pump(ctx) })
	wg.Wait()
	return nil
}

// kick signals c without blocking; a pending signal already covers it.
func kick(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// sleep waits for d or the end of ctx.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// WakeAll wakes every follower of every instance on pool's database once.
// It is for writers that run no Wakeups of their own — the command-line
// tools — after their commits, so that a running service picks their writes
// up at once rather than at its fallback poll. An error only leaves that to
// the fallback poll.
func WakeAll(ctx context.Context, pool *pgxpool.Pool) error {
	cols := []string{"set_config('synchronous_commit', 'off', true)"}
	args := make([]any, 0, len(channels))
	for _, ch := range channels {
		args = append(args, string(ch))
		// No instance sends "-"; position 0 is readable at once.
		cols = append(cols, fmt.Sprintf("pg_notify($%d, '-')", len(args)))
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := pool.Exec(ctx, "SELECT "+strings.Join(cols, ", "), args...); err != nil {
		return fmt.Errorf("wake running services: %w", err)
	}
	return nil
}
