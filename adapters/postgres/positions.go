package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
)

// ErrPositionsBehind means the server would give new events positions below
// stored ones.
var ErrPositionsBehind = errors.New("the server's transaction ids are behind the event log's positions")

// CheckPositions verifies that events appended from now on are positioned
// after every stored event. Positions come from transaction ids (see
// sql/migrations/00001_event_store.sql), which a physical backup or a
// replica keeps but a logical restore (pg_dump, logical replication into a
// new cluster) does not: there the counter starts low again, new events
// would sort before old ones, and every subscriber past them would skip them
// for good. Reading the counter assigns no transaction id.
func CheckPositions(ctx context.Context, db gen.DBTX) error {
	var exists bool
	if err := db.QueryRow(ctx, "SELECT to_regclass('events') IS NOT NULL").Scan(&exists); err != nil {
		return fmt.Errorf("check positions: %w", err)
	}
	if !exists {
		return nil // nothing stored yet
	}
	var last, next int64
	err := db.QueryRow(ctx, `
SELECT coalesce((SELECT max(position) FROM events), 0),
       pg_snapshot_xmax(pg_current_snapshot())::text::bigint`).Scan(&last, &next)
	if err != nil {
		return fmt.Errorf("check positions: %w", err)
	}
	if lastXact := last >> 20; next <= lastXact {
		return fmt.Errorf("%w: the last event was appended by transaction %d and the server's next transaction is %d, "+
			"as after a logical restore (pg_dump, logical replication); new events would be ordered before stored ones. "+
			"Advance the server's transaction counter past %d before starting PartnerForge (docs/event-store.md, \"Backups and restores\")",
			ErrPositionsBehind, lastXact, next, lastXact)
	}
	return nil
}
