package commands_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/partnerforge/partnerforge/adapters/legacysqlite"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"

	_ "modernc.org/sqlite" // the legacy fixture is a SQLite file
)

// legacyRow is a row of the fixture's legacy table; it holds a subset of
// the legacy columns, which the reader accepts and reports as missing.
type legacyRow struct {
	id                    int64
	domain                any
	company, lastEnriched any
	score                 any
	vertical, country     any
}

// messyRows: three spellings of one target, two of another, three rows no
// domain can be read from, and clean rows.
func messyRows() []legacyRow {
	return []legacyRow{
		{1, "northwind-outfitters.com", "Northwind (old)", "2024-01-10 00:00:00", 40, "Fashion", "US"},
		{2, "www.Northwind-Outfitters.com", "Northwind Outfitters", "2024-02-01T00:00:00Z", 81, "Fashion", "US"},
		{3, "https://northwind-outfitters.com/shop", "Northwind (never enriched)", nil, 10, "Fashion", "US"},
		{4, "cedar-home.com", "Cedar Home (first)", nil, 55, "Home", "GB"},
		{5, " CEDAR-HOME.COM ", "Cedar Home (second)", nil, 56, "Home", "GB"},
		{6, nil, "No Domain Ltd", nil, nil, nil, nil},
		{7, "   ", "Blank Domain Ltd", nil, nil, nil, nil},
		{8, "not a domain", "Bad Domain Ltd", nil, nil, nil, nil},
		{9, "harbor-supply.com", "Harbor Supply", "2024-03-01", "72", "Home", "US"},
		{10, "quarry-depot.de", "Quarry Depot GmbH", nil, 33, "Hardware", "DE"},
		{11, "maple-market.com", "Maple Market", nil, "call us", "Grocery", "US"},
	}
}

// writeLegacy writes rows into a new SQLite file with the legacy table's
// name and column names.
func writeLegacy(t *testing.T, rows []legacyRow) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "legacy.sqlite")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE ` + legacysqlite.Table + ` (id INTEGER PRIMARY KEY, domain TEXT, company_name TEXT,
		last_enriched TIMESTAMP, icp_score INTEGER, vertical TEXT, country TEXT)`); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if _, err := db.Exec(`INSERT INTO `+legacysqlite.Table+` VALUES (?, ?, ?, ?, ?, ?, ?)`,
			r.id, r.domain, r.company, r.lastEnriched, r.score, r.vertical, r.country); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// readLegacy reads a legacy file into the import command, as the CLI does.
func readLegacy(t *testing.T, path string) (commands.ImportTargets, *legacysqlite.Result) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	res, err := legacysqlite.Read(context.Background(), path, func(s string) (string, error) {
		d, err := domain.ParseDomain(s)
		return d.String(), err
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	report, err := json.Marshal(res.Report)
	if err != nil {
		t.Fatal(err)
	}
	cmd := commands.ImportTargets{Source: filepath.Base(path), Checksum: hex.EncodeToString(sum[:]), Report: report, Actor: "ops@example.com"}
	for _, tg := range res.Targets {
		cmd.Targets = append(cmd.Targets, commands.LegacyTarget{Profile: tg.Profile, SourceRowID: tg.SourceRowID, MergedRowIDs: tg.MergedRowIDs})
	}
	return cmd, res
}
