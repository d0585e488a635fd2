package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// The target list is read from target_list, the narrow copy of
// displacement_targets that the targets projection keeps (migration 00014),
// by statements built here rather than by sqlc: sqlc cannot parametrise
// ORDER BY, and an ORDER BY of CASE expressions on a bound parameter is
// something no index can serve. What varies is chosen from fixed lists —
// the sort key's column from targetSortKeys, the direction from two words,
// each filter's condition from a constant — and every value is a bound
// parameter, so no request text ever becomes SQL.
//
// The order is the sort key, then the domain, both in the requested
// direction, with NULL keys last either way. One (key, domain) index per key
// serves it: read forwards for ascending, backwards for descending. A NULL
// key cannot take part in a row comparison, so the list is read in two
// segments through that same index: the rows with a key, ordered by
// (key, domain), then the rows without, ordered by domain. A page that
// straddles the two reads both.
//
// Deep pages are read by keyset: the cursor holds the last row's key and
// domain, and the next page starts the index scan right after them — the
// same cost on page 4,000 as on page 2. Page numbers (OFFSET) still work
// and stay cheap for the first pages the dashboard shows.

// targetSortKey is how one sort key is read and compared.
type targetSortKey struct {
	// expr is the ordered expression; the index is on (expr, domain).
	expr string
	// keyText renders the key of a row as text for the cursor, and param
	// turns a cursor's text (placeholder %s) back into the key's type.
	// Timestamps travel as integer microseconds, exactly.
	keyText, param string
	// parse checks a cursor key before it reaches the database.
	parse func(string) error
	// unique means expr is the domain itself: no NULLs and no ties.
	unique bool
}

var targetSortKeys = map[string]targetSortKey{
	readmodel.SortScore:   {expr: "icp_score", keyText: "icp_score::text", param: "%s::integer", parse: parseInt32},
	readmodel.SortVisits:  {expr: "sw_monthly_visits", keyText: "sw_monthly_visits::text", param: "%s::bigint", parse: parseInt},
	readmodel.SortRevenue: {expr: "revenue", keyText: "revenue::text", param: "%s::double precision", parse: parseFloat},
	readmodel.SortLastEnriched: {
		expr:    "last_enriched",
		keyText: "(extract(epoch FROM last_enriched) * 1000000)::bigint::text",
		param:   "('epoch'::timestamptz + %s::bigint * interval '1 microsecond')",
		parse:   parseMicros,
	},
	readmodel.SortCompanyName: {expr: "lower(company_name)", keyText: "lower(company_name)", param: "%s::text", parse: func(string) error { return nil }},
	readmodel.SortDomain:      {expr: "domain", keyText: "domain", param: "%s::text", parse: func(string) error { return nil }, unique: true},
}

func parseInt(s string) error     { _, err := strconv.ParseInt(s, 10, 64); return err }
func parseInt32(s string) error   { _, err := strconv.ParseInt(s, 10, 32); return err }
func parseFloat(s string) error   { _, err := strconv.ParseFloat(s, 64); return err }
func direction(desc bool) string  { return map[bool]string{false: "ASC", true: "DESC"}[desc] }
func comparison(desc bool) string { return map[bool]string{false: ">", true: "<"}[desc] }

// parseMicros accepts microseconds since 1970 within ±3,000 years, which
// PostgreSQL's timestamp arithmetic holds without overflowing.
func parseMicros(s string) error {
	us, err := strconv.ParseInt(s, 10, 64)
	if err == nil && (us > maxCursorMicros || us < -maxCursorMicros) {
		err = fmt.Errorf("timestamp %d µs out of range", us)
	}
	return err
}

const maxCursorMicros = 3000 * 366 * 24 * 3600 * 1_000_000

// targetListColumns are the columns of readmodel.TargetSummary, in scan
// order, followed by the sort key as text.
const targetListColumns = `domain, company_name, partner_tech, vertical, country, city, state,
       icp_score, icp_tier, icp_tier_name, lead_score, sw_monthly_visits,
       sw_search_traffic_pct, traffic_growth, revenue, ticker, is_public, current_search,
       enrichment_level, last_enriched, excluded, updated_at`

// listCursor is the position after a page: opaque to clients (base64 of
// this JSON), checked against the list it is used with.
type listCursor struct {
	Sort string `json:"s"`
	Desc bool   `json:"r,omitempty"`
	// Null says the last row had no key: the list continues among the
	// rows without one. Key is the last row's key otherwise.
	Null   bool   `json:"n,omitempty"`
	Key    string `json:"k,omitempty"`
	Domain string `json:"d"`
	// Offset counts the rows up to and including the last one, so that a
	// cursor's page can still be numbered.
	Offset int `json:"o"`
}

func (c listCursor) encode() string {
	b, _ := json.Marshal(c) // a struct of strings, ints and bools always encodes
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, f readmodel.TargetFilter, key targetSortKey) (listCursor, error) {
	var c listCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	switch {
	case err != nil:
		return c, fmt.Errorf("%w: %v", readmodel.ErrInvalidCursor, err)
	case c.Sort != f.Sort || c.Desc != f.Descending:
		return c, fmt.Errorf("%w: it was issued for sort %s %s", readmodel.ErrInvalidCursor, c.Sort, strings.ToLower(direction(c.Desc)))
	case c.Domain == "" || c.Offset < 1:
		return c, fmt.Errorf("%w: no position", readmodel.ErrInvalidCursor)
	case !c.Null && !key.unique:
		if err := key.parse(c.Key); err != nil {
			return c, fmt.Errorf("%w: key: %v", readmodel.ErrInvalidCursor, err)
		}
	}
	return c, nil
}

// targetRow is a list row and its sort key as text (nil when NULL).
type targetRow struct {
	summary readmodel.TargetSummary
	key     *string
}

// listStatement builds one segment's query: the filter's conditions, the
// segment's (with or without a key), the position after which to start,
// and the order.
type listStatement struct {
	where []string
	args  []any
}

func (s *listStatement) arg(v any) string {
	s.args = append(s.args, v)
	return "$" + strconv.Itoa(len(s.args))
}

// filter adds the conditions of f's filters. The caller lower-cases
// vertical and country, and the partner_tech filter is a
// domain.PlatformKey, so that each is served by its index on target_list.
func (s *listStatement) filter(f readmodel.TargetFilter) {
	if f.Tier != nil {
		s.where = append(s.where, "icp_tier = "+s.arg(int32(*f.Tier)))
	}
	if f.ScoreMin != nil {
		s.where = append(s.where, "icp_score >= "+s.arg(int32(*f.ScoreMin)))
	}
	if f.ScoreMax != nil {
		s.where = append(s.where, "icp_score <= "+s.arg(int32(*f.ScoreMax)))
	}
	if len(f.Verticals) > 0 {
		s.where = append(s.where, "vertical_key = ANY("+s.arg(lowerAll(f.Verticals, nil))+"::text[])")
	}
	if len(f.Countries) > 0 {
		s.where = append(s.where, "country_key = ANY("+s.arg(lowerAll(f.Countries, domain.NormalizeCountry))+"::text[])")
	}
	if k := domain.PlatformKey(f.PartnerTech); k != "" {
		s.where = append(s.where, "partner_tech_keys @> ARRAY["+s.arg(k)+"::text]")
	}
	if f.Search != "" {
		p := s.arg(containsPattern(f.Search))
		s.where = append(s.where, "(company_name ILIKE "+p+" OR domain ILIKE "+p+")")
	}
}

func (s *listStatement) whereSQL() string {
	if len(s.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(s.where, " AND ")
}

// segment is one of the list's two runs: the rows with a key, or (nulls)
// the rows without one.
type segment struct {
	key   targetSortKey
	nulls bool
	desc  bool
}

// segmentQuery is the statement reading up to limit rows of the segment
// after the position (when after is set) and offset rows further.
func segmentQuery(f readmodel.TargetFilter, seg segment, after *listCursor, offset, limit int) (string, []any) {
	var s listStatement
	s.filter(f)
	order := seg.key.expr + " " + direction(seg.desc) + ", domain " + direction(seg.desc)
	switch {
	case seg.key.unique:
		order = "domain " + direction(seg.desc)
	case seg.nulls:
		s.where = append(s.where, seg.key.expr+" IS NULL")
		order = "domain " + direction(seg.desc)
	default:
		s.where = append(s.where, seg.key.expr+" IS NOT NULL")
	}
	if after != nil {
		if seg.key.unique || seg.nulls {
			s.where = append(s.where, "domain "+comparison(seg.desc)+" "+s.arg(after.Domain)+"::text")
		} else {
			s.where = append(s.where, "("+seg.key.expr+", domain) "+comparison(seg.desc)+
				" ("+fmt.Sprintf(seg.key.param, s.arg(after.Key))+", "+s.arg(after.Domain)+"::text)")
		}
	}
	// The page's domains first, from the sort key's covering index alone
	// (an index-only scan that filters on the index's own columns), then
	// their rows: only the page's rows are read from the table.
	page := "SELECT domain FROM target_list" + s.whereSQL() + " ORDER BY " + order + " LIMIT " + s.arg(int32(limit))
	if offset > 0 {
		page += " OFFSET " + s.arg(int32(offset))
	}
	sql := "SELECT " + targetListColumns + ", " + seg.key.keyText + " AS sort_key FROM target_list" +
		" WHERE domain IN (" + page + ") ORDER BY " + order
	return sql, s.args
}

func scanTargetRow(row pgx.CollectableRow) (targetRow, error) {
	var t targetRow
	x := &t.summary
	err := row.Scan(&x.Domain, &x.CompanyName, &x.PartnerTech, &x.Vertical, &x.Country, &x.City, &x.State,
		&x.ICPScore, &x.ICPTier, &x.ICPTierName, &x.LeadScore, &x.SWMonthlyVisits,
		&x.SWSearchTrafficPct, &x.TrafficGrowth, &x.Revenue, &x.Ticker, &x.IsPublic, &x.CurrentSearch,
		&x.EnrichmentLevel, &x.LastEnriched, &x.Excluded, &x.UpdatedAt, &t.key)
	return t, err
}

// listVersion is the targets read model's version: the projection's
// checkpoint and its rebuild generation (as postgres.ProjectionVersion
// reads them).
type listVersion struct{ position, generation int64 }

const listVersionSQL = `SELECT COALESCE(c.position, 0)::bigint, COALESCE(c.generation, 0)::bigint
FROM (SELECT 1) AS one LEFT JOIN projection_checkpoints c ON c.name = $1`

// readFirst reads the read model's version and a page's first segment in
// one round trip on one connection: most pages need nothing more (their
// total is kept), so a page costs one round trip.
func (r *ReadModels) readFirst(ctx context.Context, sql string, args []any) (listVersion, []targetRow, error) {
	var b pgx.Batch
	b.Queue(listVersionSQL, targetsProjection)
	b.Queue(sql, args...)
	br := r.db.SendBatch(ctx, &b)
	defer br.Close()
	var v listVersion
	if err := br.QueryRow().Scan(&v.position, &v.generation); err != nil {
		return v, nil, fmt.Errorf("target list version: %w", err)
	}
	rows, err := br.Query()
	if err != nil {
		return v, nil, fmt.Errorf("read target list: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanTargetRow)
	if err != nil {
		return v, nil, fmt.Errorf("read target list: %w", err)
	}
	return v, out, br.Close()
}

// readSegment runs segmentQuery's statement.
func (r *ReadModels) readSegment(ctx context.Context, f readmodel.TargetFilter, seg segment, after *listCursor, offset, limit int) ([]targetRow, error) {
	sql, args := segmentQuery(f, seg, after, offset, limit)
	rows, err := r.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("read target list: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanTargetRow)
	if err != nil {
		return nil, fmt.Errorf("read target list: %w", err)
	}
	return out, nil
}

// countWithKey counts the rows of f that have a value for key: where the
// NULL segment starts, needed only when a page number lands past it.
func (r *ReadModels) countWithKey(ctx context.Context, f readmodel.TargetFilter, key targetSortKey) (int, error) {
	var s listStatement
	s.filter(f)
	s.where = append(s.where, key.expr+" IS NOT NULL")
	var n int
	if err := r.db.QueryRow(ctx, "SELECT count(*) FROM target_list"+s.whereSQL(), s.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count target list: %w", err)
	}
	return n, nil
}

// ListTargets returns one page of targets — by page number, or after
// f.Cursor — with the total across pages and the cursor of the next page.
// The caller validates the filter; Page (without a cursor) and PerPage must
// be at least 1.
func (r *ReadModels) ListTargets(ctx context.Context, f readmodel.TargetFilter) (readmodel.TargetPage, error) {
	if f.PerPage < 1 || f.Cursor == "" && f.Page < 1 {
		return readmodel.TargetPage{}, fmt.Errorf("list targets: page %d, per page %d", f.Page, f.PerPage)
	}
	if f.Sort == "" {
		f.Sort = readmodel.SortDomain
	}
	key, ok := targetSortKeys[f.Sort]
	if !ok {
		return readmodel.TargetPage{}, fmt.Errorf("list targets: unknown sort %q", f.Sort)
	}
	var (
		after  *listCursor
		offset int // rows to skip: the page number's, without a cursor
		before int // rows before the page
	)
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor, f, key)
		if err != nil {
			return readmodel.TargetPage{}, err
		}
		after, before = &c, c.Offset
	} else {
		offset = (f.Page - 1) * f.PerPage
		before = offset
	}
	// One row more than the page tells whether there is a next page.
	want := f.PerPage + 1
	keyed := segment{key: key, desc: f.Descending}
	nulls := segment{key: key, nulls: true, desc: f.Descending}
	// A cursor among the rows without a key reads on there; anything else
	// starts among the rows with one.
	first := keyed
	if after != nil && after.Null {
		first = nulls
	}
	sql, args := segmentQuery(f, first, after, offset, want)
	version, rows, err := r.readFirst(ctx, sql, args)
	if err != nil {
		return readmodel.TargetPage{}, err
	}
	if !first.nulls && len(rows) < want && !key.unique {
		// The page reaches the rows without a key. Past the keyed rows, a
		// page number skips what remains of its offset among them.
		nullOffset := 0
		if after == nil && offset > 0 && len(rows) == 0 {
			keyedRows, err := r.countWithKey(ctx, f, key)
			if err != nil {
				return readmodel.TargetPage{}, err
			}
			nullOffset = max(0, offset-keyedRows)
		}
		got, err := r.readSegment(ctx, f, nulls, nil, nullOffset, want-len(rows))
		if err != nil {
			return readmodel.TargetPage{}, err
		}
		rows = append(rows, got...)
	}
	page := readmodel.TargetPage{Offset: before, Targets: make([]readmodel.TargetSummary, 0, min(len(rows), f.PerPage))}
	for i, row := range rows {
		if i == f.PerPage {
			last := rows[i-1]
			next := listCursor{Sort: f.Sort, Desc: f.Descending, Domain: last.summary.Domain, Offset: before + f.PerPage}
			if last.key == nil {
				next.Null = !key.unique
			} else if !key.unique {
				next.Key = *last.key
			}
			page.NextCursor = next.encode()
			break
		}
		page.Targets = append(page.Targets, row.summary)
	}
	total, err := r.targetTotal(ctx, f, version)
	if err != nil {
		return readmodel.TargetPage{}, err
	}
	page.Total = total
	return page, nil
}

// targetTotal counts the targets f selects. An exact count reads every
// matching row, which on a large list costs more than the page itself, so
// it is kept per filter and read-model version: it is counted again only
// after the targets projection has moved (or a rebuild was swapped in).
// The version is read first and the count stored under it, so a count is
// never older than the version it is kept for.
func (r *ReadModels) targetTotal(ctx context.Context, f readmodel.TargetFilter, v listVersion) (int, error) {
	var s listStatement
	s.filter(f)
	args, err := json.Marshal(s.args)
	if err != nil {
		return 0, fmt.Errorf("target list filter: %w", err)
	}
	k := totalKey{sql: s.whereSQL(), args: string(args), version: v.position, generation: v.generation}
	if n, ok := r.totals.get(k); ok {
		return n, nil
	}
	var n int
	if err := r.db.QueryRow(ctx, "SELECT count(*) FROM target_list"+k.sql, s.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count target list: %w", err)
	}
	r.totals.put(k, n)
	return n, nil
}

// targetsProjection is the projection that writes target_list
// (projections.TargetsName, which this package cannot import).
const targetsProjection = "displacement_targets"

// totalKey identifies a count: the filter as the statement has it, and
// the read model's version.
type totalKey struct {
	sql, args           string
	version, generation int64
}

// maxKeptTotals bounds the counts kept; past it the cache starts over.
// Each is a few hundred bytes, and the dashboard's users combine a few
// dozen filters at a time.
const maxKeptTotals = 4096

// totalsCache keeps counts of the current read-model version only: the
// first count of a newer version drops the older ones.
type totalsCache struct {
	mu                  sync.Mutex
	version, generation int64
	counts              map[totalKey]int
}

func (c *totalsCache) get(k totalKey) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.counts[k]
	return n, ok
}

func (c *totalsCache) put(k totalKey, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil || len(c.counts) >= maxKeptTotals || k.version != c.version || k.generation != c.generation {
		if k.generation < c.generation || k.generation == c.generation && k.version < c.version {
			return // a count of an older version than the kept ones
		}
		c.counts, c.version, c.generation = map[totalKey]int{}, k.version, k.generation
	}
	c.counts[k] = n
}
