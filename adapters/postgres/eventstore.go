package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
	"github.com/partnerforge/partnerforge/domain"
)

// MaxEventsPerTransaction bounds one transaction's appends: positions give
// each transaction 2^20 slots (see sql/migrations/00001_event_store.sql).
const MaxEventsPerTransaction = 1<<20 - 1

// ErrTransactionFull refuses an append that would take a transaction past
// MaxEventsPerTransaction events.
var ErrTransactionFull = fmt.Errorf("more than %d events in one transaction", MaxEventsPerTransaction)

// EventStore is the append-only event log in PostgreSQL. It is also the
// watermill topic handlers subscribe to (adapters/messaging.EventsSchema):
// an event is delivered exactly when it is stored.
type EventStore struct {
	pool     *pgxpool.Pool
	appended func(lastPosition int64)
}

// NewEventStore returns a store over pool.
func NewEventStore(pool *pgxpool.Pool) *EventStore {
	if pool == nil {
		panic("postgres.NewEventStore: nil pool")
	}
	return &EventStore{pool: pool}
}

// OnAppend has fn told the last position of each append that stored
// events, right after its commit (appends inside a caller's transaction
// excepted: only the caller knows when it commits). fn must not block: it
// runs on the appender's time, and a wake-up that costs the append a round
// trip would slow every writer. Set it before the store is shared.
func (s *EventStore) OnAppend(fn func(lastPosition int64)) { s.appended = fn }

// Append stores events at the end of stream, provided the stream is at the
// expected version. Re-appending events that are all already stored in that
// stream is a no-op reported with Duplicate set.
func (s *EventStore) Append(ctx context.Context, stream string, expected domain.ExpectedVersion, events ...domain.EventData) (domain.AppendResult, error) {
	res, err := s.AppendStreams(ctx, domain.StreamAppend{Stream: stream, Expected: expected, Events: events})
	if err != nil {
		return domain.AppendResult{}, err
	}
	return res[0], nil
}

// AppendStreams appends to several streams atomically: every part commits or
// none does. The parts' statements travel in one round trip and run as one
// implicit transaction, so an append of any number of streams costs one
// round trip.
func (s *EventStore) AppendStreams(ctx context.Context, parts ...domain.StreamAppend) ([]domain.AppendResult, error) {
	if err := domain.ValidateAppend(parts); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		var (
			res    []domain.AppendResult
			failed int
			err    error
		)
		res, failed, err = s.appendOnPooledConn(ctx, parts)
		if err == nil {
			s.announce(res)
			return res, nil
		}
		res, err = resolveFailure(ctx, s.pool, parts, failed, err)
		if retryAny(parts[failed].Expected, err, attempt) {
			continue
		}
		return res, err
	}
}

// AppendTx appends inside the caller's transaction, so that the caller's own
// writes (a read model, an import's bookkeeping) commit or roll back with the
// events.
func (s *EventStore) AppendTx(ctx context.Context, tx pgx.Tx, stream string, expected domain.ExpectedVersion, events ...domain.EventData) (domain.AppendResult, error) {
	res, err := s.WithTx(tx).AppendStreams(ctx, domain.StreamAppend{Stream: stream, Expected: expected, Events: events})
	if err != nil {
		return domain.AppendResult{}, err
	}
	return res[0], nil
}

// WithTx returns the store bound to the caller's transaction.
func (s *EventStore) WithTx(tx pgx.Tx) *TxEventStore { return &TxEventStore{store: s, tx: tx} }

// TxEventStore reads and appends inside one caller-owned transaction, so
// the caller's other writes commit or roll back with the events.
type TxEventStore struct {
	store *EventStore
	tx    pgx.Tx
}

// ReadStream reads within the transaction, so it sees the transaction's own
// appends.
func (t *TxEventStore) ReadStream(ctx context.Context, stream string, afterVersion int64, limit int) ([]domain.RecordedEvent, error) {
	return readStream(ctx, t.tx, stream, afterVersion, limit)
}

// AppendStreams appends atomically inside the transaction. A savepoint keeps
// a refused append from aborting the caller's transaction.
func (t *TxEventStore) AppendStreams(ctx context.Context, parts ...domain.StreamAppend) ([]domain.AppendResult, error) {
	if err := domain.ValidateAppend(parts); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		var (
			res    []domain.AppendResult
			failed int
		)
		err := pgx.BeginFunc(ctx, t.tx, func(sp pgx.Tx) error {
			var err error
			res, failed, err = t.store.appendParts(ctx, sp, parts)
			return err
		})
		if err == nil {
			return res, nil
		}
		res, err = resolveFailure(ctx, t.tx, parts, failed, err)
		if retryAny(parts[failed].Expected, err, attempt) {
			continue
		}
		return res, err
	}
}

// announce tells OnAppend's fn about a committed append.
func (s *EventStore) announce(res []domain.AppendResult) {
	if s.appended == nil {
		return
	}
	var last int64
	for _, r := range res {
		last = max(last, r.LastPosition)
	}
	s.appended(last)
}

// appendOnPooledConn runs appendParts on a connection held for the whole
// call: appendParts closes the batch twice, and a pool's batch gives its
// connection back to the pool on the first close.
func (s *EventStore) appendOnPooledConn(ctx context.Context, parts []domain.StreamAppend) ([]domain.AppendResult, int, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("append: %w", err)
	}
	defer conn.Release()
	return s.appendParts(ctx, conn, parts)
}

// appendParts sends every part's statement in one round trip (a pgx batch)
// and says which part failed. Outside an explicit transaction the batch runs
// as one implicit transaction, and every refusal raises, so the parts commit
// all or nothing.
func (s *EventStore) appendParts(ctx context.Context, db gen.DBTX, parts []domain.StreamAppend) ([]domain.AppendResult, int, error) {
	params := make([]gen.AppendEventsParams, len(parts))
	for i, p := range parts {
		var err error
		if params[i], err = s.params(p); err != nil {
			return nil, i, err
		}
	}
	var (
		res    = make([]domain.AppendResult, len(parts))
		failed = -1
		first  error
	)
	batch := gen.New(db).AppendEvents(ctx, params)
	batch.Query(func(i int, rows []gen.AppendEventsRow, err error) {
		switch {
		case failed >= 0:
			// The transaction is aborted; later parts only echo that.
		case err != nil:
			failed, first = i, fmt.Errorf("append to %s: %w", parts[i].Stream, err)
		case len(rows) != len(parts[i].Events):
			failed, first = i, fmt.Errorf("append to %s: stored %d of %d events", parts[i].Stream, len(rows), len(parts[i].Events))
		default:
			res[i] = domain.AppendResult{
				FirstPosition:       rows[0].Position,
				LastPosition:        rows[len(rows)-1].Position,
				NextExpectedVersion: rows[len(rows)-1].StreamVersion,
			}
		}
	})
	// Query closes the batch but drops what closing it returns. Outside a
	// transaction that is where a failed commit shows (a deferred check, a
	// serialization failure, a connection lost at the last moment): every
	// statement answered, and still nothing is stored. Closing again returns
	// the saved error (db must be a connection or a transaction, not a pool:
	// see appendOnPooledConn). A commit whose answer was lost may in fact have
	// succeeded; the caller's retry with the same event ids then resolves to
	// an idempotent no-op.
	if err := batch.Close(); err != nil && failed < 0 {
		failed, first = len(parts)-1, fmt.Errorf("append: commit: %w", err)
	}
	if failed >= 0 {
		return nil, failed, first
	}
	return res, 0, nil
}

// maxAnyAttempts bounds the retries of an AnyVersion append that lost a race
// for the next version to a concurrent appender of the same stream.
const maxAnyAttempts = 10

// retryAny reports whether an AnyVersion append should simply try again: the
// only way it can conflict is by losing that race, and the winner has
// committed by the time the loser sees the unique violation.
func retryAny(expected domain.ExpectedVersion, err error, attempt int) bool {
	return expected == domain.AnyVersion && attempt < maxAnyAttempts && errors.Is(err, domain.ErrConcurrencyConflict)
}

func (s *EventStore) params(part domain.StreamAppend) (gen.AppendEventsParams, error) {
	events := part.Events
	p := gen.AppendEventsParams{
		StreamID:        part.Stream,
		ExpectedVersion: int64(part.Expected),
		EventIds:        make([]uuid.UUID, len(events)),
		EventTypes:      make([]string, len(events)),
		SchemaVersions:  make([]int32, len(events)),
		Datas:           make([][]byte, len(events)),
		Metadatas:       make([][]byte, len(events)),
	}
	for i, e := range events {
		meta, err := json.Marshal(e.Metadata)
		if err != nil {
			return p, fmt.Errorf("append to %s: encode metadata of %s: %w", part.Stream, e.Type, err)
		}
		p.EventIds[i], p.EventTypes[i], p.Datas[i], p.Metadatas[i] = e.ID, e.Type, e.Data, meta
		p.SchemaVersions[i] = int32(max(e.SchemaVersion, 1))
	}
	return p, nil
}

// SQLSTATEs raised by the append statement (sql/migrations/00004).
const (
	sqlstateVersionConflict = "PF409"
	sqlstateTransactionFull = "PF413"
	sqlstateUniqueViolation = "23505"
)

// resolveFailure turns a failed append into the caller's answer. It runs only
// on the slow path, after the transaction (or savepoint) rolled back. If the
// failed part's events are all already stored in its stream, the whole
// append was done before and is an idempotent no-op, provided every part's
// events are stored too; a partial overlap is an ErrDuplicateEvent. A version
// mismatch or a lost race for the same version is an ErrConcurrencyConflict
// naming the stream's actual version.
func resolveFailure(ctx context.Context, db gen.DBTX, parts []domain.StreamAppend, failed int, cause error) ([]domain.AppendResult, error) {
	var pgErr *pgconn.PgError
	if !errors.As(cause, &pgErr) {
		return nil, cause
	}
	switch pgErr.Code {
	case sqlstateUniqueViolation, sqlstateVersionConflict:
	case sqlstateTransactionFull:
		return nil, fmt.Errorf("append to %s: %w", parts[failed].Stream, ErrTransactionFull)
	default:
		return nil, cause
	}
	q := gen.New(db)
	p := parts[failed]
	stored, err := storedEvents(ctx, q, p.Events)
	if err != nil {
		return nil, fmt.Errorf("append to %s: %w", p.Stream, err)
	}
	if len(stored) == 0 {
		// The raise carries the version the statement saw; a lost race on
		// the unique index does not, so read it.
		actual, err := strconv.ParseInt(pgErr.Detail, 10, 64)
		if pgErr.Code != sqlstateVersionConflict || err != nil {
			if actual, err = q.StreamVersion(ctx, p.Stream); err != nil {
				return nil, fmt.Errorf("append to %s: read stream version: %w", p.Stream, err)
			}
		}
		return nil, &domain.ConcurrencyError{Stream: p.Stream, Expected: p.Expected, Actual: actual}
	}
	res := make([]domain.AppendResult, len(parts))
	for i, part := range parts {
		if i != failed {
			if stored, err = storedEvents(ctx, q, part.Events); err != nil {
				return nil, fmt.Errorf("append to %s: %w", part.Stream, err)
			}
		}
		if res[i], err = duplicateResult(part.Stream, part.Events, stored); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func storedEvents(ctx context.Context, q *gen.Queries, events []domain.EventData) ([]gen.EventsByIDRow, error) {
	ids := make([]uuid.UUID, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	stored, err := q.EventsByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("check stored event ids: %w", err)
	}
	return stored, nil
}

func duplicateResult(stream string, events []domain.EventData, stored []gen.EventsByIDRow) (domain.AppendResult, error) {
	if len(stored) != len(events) {
		return domain.AppendResult{}, fmt.Errorf("append to %s: %d of %d events already stored: %w", stream, len(stored), len(events), domain.ErrDuplicateEvent)
	}
	for _, r := range stored {
		if r.StreamID != stream {
			return domain.AppendResult{}, fmt.Errorf("append to %s: event %s is stored in stream %s: %w", stream, r.EventID, r.StreamID, domain.ErrDuplicateEvent)
		}
	}
	return domain.AppendResult{
		FirstPosition:       stored[0].Position,
		LastPosition:        stored[len(stored)-1].Position,
		NextExpectedVersion: stored[len(stored)-1].StreamVersion,
		Duplicate:           true,
	}, nil
}

// ReadStream returns up to limit events of stream after afterVersion, in
// version order.
func (s *EventStore) ReadStream(ctx context.Context, stream string, afterVersion int64, limit int) ([]domain.RecordedEvent, error) {
	return readStream(ctx, s.pool, stream, afterVersion, limit)
}

func readStream(ctx context.Context, db gen.DBTX, stream string, afterVersion int64, limit int) ([]domain.RecordedEvent, error) {
	rows, err := gen.New(db).ReadStream(ctx, gen.ReadStreamParams{StreamID: stream, AfterVersion: afterVersion, MaxEvents: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	return toRecorded(rows)
}

// ReadAll returns up to limit events after position, in position order. It
// never returns an event while an event with a lower position may still
// commit, so a follower that resumes from the last position it saw never
// skips one.
func (s *EventStore) ReadAll(ctx context.Context, afterPosition int64, limit int) ([]domain.RecordedEvent, error) {
	return ReadAll(ctx, s.pool, afterPosition, limit)
}

// ReadAll is EventStore.ReadAll on any connection or transaction, so a
// projection can read and apply in one transaction.
func ReadAll(ctx context.Context, db gen.DBTX, afterPosition int64, limit int) ([]domain.RecordedEvent, error) {
	rows, err := gen.New(db).ReadAll(ctx, gen.ReadAllParams{AfterPosition: afterPosition, MaxEvents: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("read all after %d: %w", afterPosition, err)
	}
	return toRecorded(rows)
}

// HeadPosition is the highest position a follower can read up to now.
func (s *EventStore) HeadPosition(ctx context.Context) (int64, error) {
	p, err := gen.New(s.pool).HeadPosition(ctx)
	if err != nil {
		return 0, fmt.Errorf("head position: %w", err)
	}
	return p, nil
}

func toRecorded(rows []gen.Event) ([]domain.RecordedEvent, error) {
	out := make([]domain.RecordedEvent, len(rows))
	for i, r := range rows {
		var meta domain.Metadata
		if err := json.Unmarshal(r.Metadata, &meta); err != nil {
			return nil, fmt.Errorf("decode metadata of event %s: %w", r.EventID, err)
		}
		out[i] = domain.RecordedEvent{
			Position:      r.Position,
			StreamID:      r.StreamID,
			StreamVersion: r.StreamVersion,
			RecordedAt:    r.RecordedAt,
			EventData: domain.EventData{
				ID: r.EventID, Type: r.EventType, SchemaVersion: int(r.SchemaVersion),
				Data: r.Data, Metadata: meta,
			},
		}
	}
	return out, nil
}
