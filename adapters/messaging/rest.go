package messaging

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
)

// Waker tells idle subscribers that new events may be readable
// (wakeup.Wakeups). fn must not block.
type Waker interface {
	OnEvents(fn func())
}

// DefaultRest is how long a resting subscriber waits for a wake-up before
// it polls anyway.
const DefaultRest = 2 * time.Second

// watermill-sql's subscriber polls on a timer of its own and has no hook to
// be woken. It does, though, begin a transaction for every poll through the
// Beginner it is given: a resting subscriber's Beginner holds the next poll
// after an empty one until a wake-up or the fallback interval, whichever
// comes first. Only a poll that found no rows at all makes the next one
// wait: a busy subscriber polls back to back as before, and a message that
// was nacked is resent within its poll, unchanged. Offsets, acks and
// redelivery stay watermill-sql's.

// rest is one subscriber's resting state.
type rest struct {
	fallback time.Duration
	wake     chan struct{}
	closed   chan struct{}
	close    sync.Once
	// idle: the last poll found nothing, so the next one may wait.
	idle atomic.Bool
	// resting is set while a poll waits (tests watch it).
	resting atomic.Bool
}

func newRest(fallback time.Duration) *rest {
	if fallback <= 0 {
		fallback = DefaultRest
	}
	return &rest{fallback: fallback, wake: make(chan struct{}, 1), closed: make(chan struct{})}
}

// notify wakes the subscriber, or lets its next rest end at once.
func (r *rest) notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// wait holds an idle poll until a wake-up, the fallback interval, the
// subscriber's closing or the end of ctx.
func (r *rest) wait(ctx context.Context) {
	if !r.idle.Load() {
		return
	}
	r.resting.Store(true)
	defer r.resting.Store(false)
	t := time.NewTimer(r.fallback)
	defer t.Stop()
	select {
	case <-r.wake:
	case <-t.C:
	case <-r.closed:
	case <-ctx.Done():
	}
}

// restingBeginner is the Beginner a resting subscriber polls through.
type restingBeginner struct {
	wsql.Beginner
	rest *rest
}

func (b restingBeginner) BeginTx(ctx context.Context, opts *sql.TxOptions) (wsql.Tx, error) {
	b.rest.wait(ctx)
	tx, err := b.Beginner.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &restingTx{Tx: tx, rest: b.rest}, nil
}

// restingTx notes whether its poll found rows; its end decides whether the
// next poll may rest. Transactions that never query (schema set-up) leave
// the subscriber awake.
type restingTx struct {
	wsql.Tx
	rest    *rest
	queried bool
	rows    int
}

func (t *restingTx) QueryContext(ctx context.Context, query string, args ...any) (wsql.Rows, error) {
	rows, err := t.Tx.QueryContext(ctx, query, args...)
	if err != nil {
		return rows, err
	}
	t.queried = true
	return &countingRows{Rows: rows, n: &t.rows}, nil
}

func (t *restingTx) Commit() error {
	t.settle()
	return t.Tx.Commit()
}

func (t *restingTx) Rollback() error {
	t.settle()
	return t.Tx.Rollback()
}

func (t *restingTx) settle() { t.rest.idle.Store(t.queried && t.rows == 0) }

type countingRows struct {
	wsql.Rows
	n *int
}

func (r *countingRows) Next() bool {
	if r.Rows.Next() {
		*r.n++
		return true
	}
	return false
}

// restingSubscriber releases a resting poll when it closes: watermill-sql's
// Close waits for its poll loop, which does not watch the context here.
type restingSubscriber struct {
	*wsql.Subscriber
	rest *rest
}

func (s restingSubscriber) Close() error {
	s.rest.close.Do(func() { close(s.rest.closed) })
	return s.Subscriber.Close()
}

var _ message.Subscriber = restingSubscriber{}
