// Package wakeup tells the followers of the log (watermill subscribers,
// projections, read-model caches) and the enrichment workers that there is
// something new, so that an idle instance rests instead of polling.
//
// It uses PostgreSQL LISTEN/NOTIFY, but never inside a writing transaction:
// a transaction that notifies takes a server-wide lock at commit, which would
// serialise every append. The writer pokes a Wakeups after its commit; the
// Wakeups wakes this instance's followers at once and sends one NOTIFY per
// channel per coalescing window, from a pooled connection of its own, for the
// other instances. A dedicated connection LISTENs; after it is lost and
// re-established, every follower is woken once, since a notification may
// have been missed.
//
// A wake-up is a hint, never a delivery: followers keep a slow fallback poll,
// so a lost notification delays work by at most that interval and loses
// nothing.
package wakeup
