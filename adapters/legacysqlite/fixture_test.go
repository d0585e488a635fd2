package legacysqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// testNormalize stands in for the domain package's normaliser: lowercase,
// strip the scheme, "www." and any path, then require dotted labels of
// letters, digits and hyphens.
func testNormalize(raw string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(raw))
	for _, scheme := range []string{"https://", "http://"} {
		s = strings.TrimPrefix(s, scheme)
	}
	s = strings.TrimPrefix(s, "www.")
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if !strings.Contains(s, ".") {
		return "", errors.New("no top-level domain")
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return "", errors.New("empty or hyphen-edged label")
		}
		if strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return "", errors.New("invalid character")
		}
	}
	return s, nil
}

// writeFixture writes rows into a new legacy database in a test directory.
func writeFixture(t *testing.T, rows ...legacyRow) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "legacy.sqlite")
	if err := writeRows(context.Background(), path, rows); err != nil {
		t.Fatalf("write fixture: %v", err)
	}
	return path
}

// createDB runs arbitrary statements against a new database, for schemas the
// legacy scripts never wrote.
func createDB(t *testing.T, stmts ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "other.sqlite")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("exec %q: %v", s, err)
		}
	}
	return path
}

// messyRows is a hand-written legacy list covering every conversion and merge
// rule. Comments say what each row proves.
func messyRows() []legacyRow {
	return []legacyRow{
		// Three spellings of one target: the newest last_enriched (row 2)
		// wins over an older one and over an unknown one.
		{ID: 1, Domain: "northwind-outfitters.com", CompanyName: "Northwind (old)", LeadScore: int64(10), LastEnriched: "2024-01-10 00:00:00"},
		{ID: 2, Domain: "www.Northwind-Outfitters.com", CompanyName: "Northwind Outfitters", LeadScore: int64(20), LastEnriched: "2024-02-01T00:00:00Z"},
		{ID: 3, Domain: "https://northwind-outfitters.com/shop", CompanyName: "Northwind (never enriched)", LeadScore: int64(30)},
		// The same instant in two zones is a tie: the higher id wins.
		{ID: 4, Domain: "cedar-home.com", CompanyName: "Cedar Home (first)", LastEnriched: "2024-05-01 09:00:00"},
		{ID: 5, Domain: " CEDAR-HOME.COM ", CompanyName: "Cedar Home (second)", LastEnriched: "2024-05-01T11:00:00+02:00"},
		// Both unknown is a tie too.
		{ID: 6, Domain: "bluebird-goods.com", CompanyName: "Bluebird (first)"},
		{ID: 7, Domain: "http://www.bluebird-goods.com", CompanyName: "Bluebird (second)"},
		// Rejected rows.
		{ID: 8, Domain: nil, CompanyName: "No Domain Ltd"},
		{ID: 9, Domain: "   ", CompanyName: "Blank Domain Ltd"},
		{ID: 10, Domain: "not a domain", CompanyName: "Bad Domain Ltd"},
		// Every messy form that still converts.
		{
			ID: 11, Domain: "harbor-supply.com", CompanyName: "  Harbor Supply Co. ", Country: "US", State: "",
			TechSpend: "$12,500", Visits: "1.2M", Bounce: 45.2, PagesPerVisit: "4.5", AvgDuration: 95.6,
			SearchShare: "38.5%", Rank: "12,345", GrossMargin: "41%", Revenue: "1.2B", TrafficGrowth: "-3.5%",
			IsPublic: "yes", Ticker: "HSC", CreatedAt: int64(1709294400), LastEnriched: "2024-03-01T14:00:00.5+02:00",
			Emails:         `['info@harbor-supply.com', "o'brien@harbor-supply.com"]`,
			Socials:        `{'linkedin': 'harbor-supply', 'verified': True, 'followers': None}`,
			ScoreBreakdown: `{"traffic": 20, "search": 25}`,
			Phones:         "+1 (555) 010-0199",
			Hiring:         `{'open_roles': `,
			ICPScore:       " 72 ", ICPTier: "2", ICPTierName: "Warm",
		},
		// Unusable cells: the row imports with those attributes unknown.
		{
			ID: 12, Domain: "maple-market.com", CompanyName: "Maple Market",
			TechSpend: "call sales", Bounce: 140.0, IsPublic: "maybe", CreatedAt: "last tuesday", Revenue: "TBD",
		},
		// Clean values of other storage classes.
		{
			ID: 13, Domain: "quarry-depot.de", CompanyName: []byte("Quarry Depot GmbH"), Bounce: 0.31, SearchShare: int64(1),
			IsPublic: int64(0), CreatedAt: "2024-03-01", LastEnriched: int64(1709294400), GrossMargin: 0.0,
		},
	}
}
