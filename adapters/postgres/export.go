package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
	"github.com/partnerforge/partnerforge/domain"
)

// ExportPageSize is how many events one page of an export reads: large
// enough that round trips do not dominate, small enough that a page's
// payloads stay a few megabytes.
const ExportPageSize = 1000

// Export hands page every event matching f, in position order, one page at
// a time, and returns how many it handed over. It pages by position (keyset
// paging on the primary key), so memory stays flat however long the log is,
// and reads only below the visibility horizon, as ReadAll does, so an event
// committing during the export is never skipped: it is either exported or
// later than every exported one. page must not keep the slice.
func (s *EventStore) Export(ctx context.Context, f domain.EventFilter, page func([]domain.RecordedEvent) error) (int64, error) {
	q := gen.New(s.pool)
	params := gen.ExportEventsParams{
		AfterPosition: f.After,
		StreamID:      optText(f.Stream),
		EventType:     optText(f.Type),
		Since:         timestampOrNull(f.Since),
		Until:         timestampOrNull(f.Until),
		MaxEvents:     ExportPageSize,
	}
	var total int64
	for {
		rows, err := q.ExportEvents(ctx, params)
		if err != nil {
			return total, fmt.Errorf("export events after %d: %w", params.AfterPosition, err)
		}
		if len(rows) == 0 {
			return total, nil
		}
		events, err := toRecorded(rows)
		if err != nil {
			return total, err
		}
		if err := page(events); err != nil {
			return total, err
		}
		total += int64(len(events))
		params.AfterPosition = events[len(events)-1].Position
		if len(rows) < ExportPageSize {
			return total, nil
		}
	}
}

func timestampOrNull(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()}
}
