// Package projections builds PartnerForge's read models from the event log.
//
// Each projection has a stable name, handles a set of event types and
// follows the log in position order with postgres.ReadAll, which never
// returns an event while an earlier one may still commit. A batch of events
// and the projection's checkpoint (projection_checkpoints) are written in one
// transaction, so a crash or restart neither skips an event nor applies one
// twice, and an advisory lock per projection keeps two processes from
// applying the same batch.
//
// Handlers are deterministic: they use only the event (its data and recorded
// time), never the clock, so a replay reproduces the same rows: Rebuild
// replays the log into shadow tables and swaps them in, and Verify replays it
// into scratch tables and compares them with the live ones.
package projections
