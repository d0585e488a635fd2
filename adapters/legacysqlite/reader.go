package legacysqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/partnerforge/partnerforge/domain"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Table is the legacy table that holds the displacement targets.
const Table = "displacement_targets"

// progressEvery is how many rows pass between progress reports.
const progressEvery = 500

var (
	// ErrNoTable means the file is a SQLite database without the legacy table.
	ErrNoTable = errors.New("legacy table " + Table + " not found")
	// ErrMissingColumn means the legacy table lacks a column every row needs.
	ErrMissingColumn = errors.New("legacy table lacks a required column")
	// ErrNotATable means the file names a view or a virtual table
	// displacement_targets. Reading either runs SQL (or a module) that the
	// file chose, which an untrusted file must not get to do.
	ErrNotATable = errors.New("legacy " + Table + " is not an ordinary table")
)

// Per-cell size caps. A legacy cell is a name, a number or a small JSON
// document; anything larger is not data we want to copy into permanent
// events, and SQLite hands it over only after reading it all.
const (
	// maxKeyCellBytes bounds the id and domain cells; a domain, even as a
	// URL, is far shorter. A longer domain cell rejects its row.
	maxKeyCellBytes = 2 << 10
	// maxCellBytes bounds every attribute cell; a longer one is dropped
	// with a warning and the attribute is unknown.
	maxCellBytes = 64 << 10
)

// Result is everything read from a legacy database.
type Result struct {
	// Targets holds one entry per distinct normalised domain, sorted by domain.
	Targets []Target
	Report  Report
}

// Target is one importable target and the legacy rows it came from. Rows
// whose domains normalise alike are one target: the row with the newest
// last_enriched is kept whole (a known time beats an unknown one, and a tie
// goes to the higher id); the others are listed in MergedRowIDs.
type Target struct {
	Profile domain.TargetProfile
	// SourceRowID is the legacy id of the row whose profile was kept.
	SourceRowID int64
	// MergedRowIDs are the ids of other rows with the same normalised domain,
	// ascending; their data was dropped in favour of SourceRowID's.
	MergedRowIDs []int64
}

// Report accounts for every row read: RowsRead = TargetsImported + Merged +
// Rejected. It is written as JSON for the operator who runs the import.
type Report struct {
	RowsRead        int `json:"rows_read"`
	TargetsImported int `json:"targets_imported"`
	// Merged counts rows folded into another row with the same domain.
	Merged   int `json:"merged"`
	Rejected int `json:"rejected"`
	// MissingColumns names optional legacy columns absent from the table;
	// their attributes are unknown for every target.
	MissingColumns []string    `json:"missing_columns"`
	Merges         []Merge     `json:"merges"`
	Rejections     []Rejection `json:"rejections"`
	Warnings       []Warning   `json:"warnings"`
}

// Merge records rows that named the same target.
type Merge struct {
	Domain        string  `json:"domain"`
	KeptRowID     int64   `json:"kept_row_id"`
	DroppedRowIDs []int64 `json:"dropped_row_ids"`
}

// Rejection records a row that could not become a target.
type Rejection struct {
	RowID     int64  `json:"row_id"`
	RawDomain string `json:"raw_domain"`
	Reason    string `json:"reason"`
}

// Warning records a cell that could not be used; the row was imported with
// that attribute unknown (or, for structured text, kept as a JSON string).
type Warning struct {
	RowID  int64  `json:"row_id"`
	Column string `json:"column"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// Read imports the legacy database at path, which is opened read-only and
// never modified. normalize maps a raw domain to the target's canonical
// domain or fails; progress, if not nil, is called every 500 rows and once at
// the end with the rows done and the rows in the table.
//
// Bad attributes become warnings and bad domains rejections; only a file that
// cannot be read as the legacy table fails the whole call.
func Read(ctx context.Context, path string, normalize func(string) (string, error), progress func(done, total int)) (*Result, error) {
	if normalize == nil {
		return nil, errors.New("read legacy database: no domain normaliser")
	}
	// SQLite reports a missing file as "unable to open database file";
	// checking first gives the operator the path and errors.Is(os.ErrNotExist).
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open legacy database: %w", err)
	}
	db, err := sql.Open("sqlite", readOnlyDSN(path))
	if err != nil {
		return nil, fmt.Errorf("open legacy database %s: %w", path, err)
	}
	defer db.Close()

	if err := checkIsTable(ctx, db); err != nil {
		return nil, fmt.Errorf("legacy database %s: %w", path, err)
	}
	cols, missing, err := selectColumns(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("legacy database %s: %w", path, err)
	}
	var total int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+qualifiedTable).Scan(&total); err != nil {
		return nil, fmt.Errorf("count rows in %s: %w", path, err)
	}

	m := newMerger(normalize)
	m.report.MissingColumns = missing
	if err := scanRows(ctx, db, cols, total, m, progress); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return m.result(), nil
}

// qualifiedTable names the legacy table in the file itself, so no temporary
// object of the same name can stand in for it.
const qualifiedTable = `main."` + Table + `"`

// readOnlyDSN builds a SQLite URI so that mode=ro is honoured; the path is
// escaped because '?', '#' and '%' are meaningful in a URI. The file is not
// trusted: trusted_schema off keeps SQL functions with side effects out of
// anything its schema defines (views, triggers, generated columns, CHECK
// constraints), query_only refuses writes even if read-only mode were lost,
// and cell_size_check catches a corrupt page before it is read.
func readOnlyDSN(path string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?mode=ro&_pragma=trusted_schema(0)&_pragma=query_only(1)&_pragma=cell_size_check(1)"
}

// checkIsTable makes sure displacement_targets is an ordinary table of the
// file's main schema: not a view, whose SELECT the file wrote, and not a
// virtual table, whose module would run on every read.
func checkIsTable(ctx context.Context, db *sql.DB) error {
	var kind, ddl sql.NullString
	err := db.QueryRowContext(ctx,
		"SELECT type, sql FROM main.sqlite_schema WHERE name = ? COLLATE NOCASE AND type IN ('table', 'view')", Table).
		Scan(&kind, &ddl)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ErrNoTable
	case err != nil:
		return fmt.Errorf("inspect schema: %w", err)
	case kind.String != "table":
		return fmt.Errorf("%w: it is a %s", ErrNotATable, kind.String)
	case strings.HasPrefix(strings.ToUpper(strings.Join(strings.Fields(ddl.String), " ")), "CREATE VIRTUAL TABLE"):
		return fmt.Errorf("%w: it is a virtual table", ErrNotATable)
	}
	return nil
}

// selectColumns returns the legacy columns present in the table, in schema
// order with id and domain first, and the optional ones that are absent.
func selectColumns(ctx context.Context, db *sql.DB) (present []column, missing []string, err error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM pragma_table_info(?, 'main')", Table)
	if err != nil {
		return nil, nil, fmt.Errorf("inspect table %s: %w", Table, err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, nil, fmt.Errorf("inspect table %s: %w", Table, err)
		}
		have[strings.ToLower(name)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("inspect table %s: %w", Table, err)
	}
	if len(have) == 0 {
		return nil, nil, ErrNoTable
	}
	for _, required := range []string{colID, colDomain} {
		if !have[required] {
			return nil, nil, fmt.Errorf("%w: %s", ErrMissingColumn, required)
		}
	}
	missing = []string{}
	for _, c := range attributeColumns {
		if have[c.name] {
			present = append(present, c)
		} else {
			missing = append(missing, c.name)
		}
	}
	return present, missing, nil
}

// oversizeCell stands for a cell larger than its cap, which was not read.
type oversizeCell struct{ bytes, limit int64 }

func (o oversizeCell) String() string {
	return fmt.Sprintf("(%d bytes, not read)", o.bytes)
}

// cappedColumn selects a column's value only when it is at most limit
// bytes, so an oversize cell is never copied out of SQLite.
func cappedColumn(name string, limit int) string {
	q := `"` + name + `"`
	return fmt.Sprintf("CASE WHEN octet_length(%s) > %d THEN NULL ELSE %s END", q, limit, q)
}

// oversizeList is one more selected column: "" for a row whose cells are all
// within their caps, else "i=bytes,…" naming each oversize column by its
// index. One text column costs far less to scan than a size per cell.
func oversizeList(names []string, limits []int) string {
	parts := make([]string, len(names))
	for i, n := range names {
		q := `"` + n + `"`
		parts[i] = fmt.Sprintf("iif(octet_length(%s) > %d, '%d=' || octet_length(%s), NULL)", q, limits[i], i, q)
	}
	return "concat_ws(',', " + strings.Join(parts, ", ") + ")"
}

// markOversize replaces the cells list names with oversizeCell values.
func markOversize(cells []any, list string, limits []int) error {
	for item := range strings.SplitSeq(list, ",") {
		i, n, ok := strings.Cut(item, "=")
		idx, err1 := strconv.Atoi(i)
		size, err2 := strconv.ParseInt(n, 10, 64)
		if !ok || err1 != nil || err2 != nil || idx < 0 || idx >= len(cells) {
			return fmt.Errorf("unexpected cell size list %q", list)
		}
		cells[idx] = oversizeCell{bytes: size, limit: int64(limits[idx])}
	}
	return nil
}

func scanRows(ctx context.Context, db *sql.DB, cols []column, total int, m *merger, progress func(done, total int)) error {
	names := []string{colID, colDomain}
	limits := []int{maxKeyCellBytes, maxKeyCellBytes}
	for _, c := range cols {
		names = append(names, c.name)
		limits = append(limits, maxCellBytes)
	}
	values := make([]string, len(names))
	for i, n := range names {
		values[i] = cappedColumn(n, limits[i])
	}
	q := "SELECT " + strings.Join(values, ", ") + ", " + oversizeList(names, limits) +
		" FROM " + qualifiedTable + ` ORDER BY "` + colID + `"`
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("query %s: %w", Table, err)
	}
	defer rows.Close()

	cells := make([]any, len(names))
	var oversize string
	ptrs := make([]any, len(cells)+1)
	for i := range cells {
		ptrs[i] = &cells[i]
	}
	ptrs[len(cells)] = &oversize
	done := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("scan row %d: %w", done+1, err)
		}
		if oversize != "" {
			if err := markOversize(cells, oversize, limits); err != nil {
				return fmt.Errorf("scan row %d: %w", done+1, err)
			}
		}
		m.add(cells[0], cells[1], cols, cells[2:])
		done++
		if progress != nil && done%progressEvery == 0 {
			progress(done, max(total, done))
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query %s: %w", Table, err)
	}
	if progress != nil && (done == 0 || done%progressEvery != 0) {
		progress(done, max(total, done))
	}
	return nil
}
