package legacysqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
)

// DemoRows is the size of the legacy list, and so of the demo dataset.
const DemoRows = 2687

// DemoSeed is the seed the demo dataset is generated with.
const DemoSeed int64 = 20240301

// legacySchema is the legacy table exactly as the old scripts created it.
const legacySchema = `CREATE TABLE displacement_targets (
    id INTEGER PRIMARY KEY, domain TEXT, company_name TEXT, partner_tech TEXT, vertical TEXT, country TEXT, city TEXT, state TEXT,
    tech_spend INTEGER, emails TEXT, phones TEXT, socials TEXT, exec_titles TEXT,
    sw_monthly_visits INTEGER, sw_bounce_rate REAL, sw_pages_per_visit REAL, sw_avg_duration INTEGER, sw_search_traffic_pct REAL, sw_rank_global INTEGER,
    matched_case_studies TEXT, lead_score INTEGER, created_at TEXT, icp_tier INTEGER, icp_score INTEGER, score_reasons TEXT, icp_tier_name TEXT, score_breakdown TEXT,
    ticker TEXT, is_public INTEGER DEFAULT 0, enrichment_level TEXT DEFAULT 'basic', last_enriched TIMESTAMP,
    revenue REAL, gross_margin REAL, traffic_growth REAL, current_search TEXT, trigger_events TEXT, exec_quote TEXT, exec_name TEXT, exec_title TEXT, quote_source TEXT,
    competitors_using_algolia TEXT, displacement_angle TEXT, financials_json TEXT, hiring_signals TEXT, tech_stack_json TEXT
)`

// legacyRow holds one row's cells in schema order. Cells are untyped because
// the legacy data is: a number column may hold "$12,500".
type legacyRow struct {
	ID                                                                 int64
	Domain, CompanyName, PartnerTech, Vertical, Country, City, State   any
	TechSpend, Emails, Phones, Socials, ExecTitles                     any
	Visits, Bounce, PagesPerVisit, AvgDuration, SearchShare, Rank      any
	CaseStudies, LeadScore, CreatedAt, ICPTier, ICPScore, ScoreReasons any
	ICPTierName, ScoreBreakdown, Ticker, IsPublic, EnrichmentLevel     any
	LastEnriched, Revenue, GrossMargin, TrafficGrowth, CurrentSearch   any
	TriggerEvents, ExecQuote, ExecName, ExecTitle, QuoteSource         any
	Competitors, DisplacementAngle, Financials, Hiring, TechStack      any
}

func (r *legacyRow) values() []any {
	return []any{
		r.ID, r.Domain, r.CompanyName, r.PartnerTech, r.Vertical, r.Country, r.City, r.State,
		r.TechSpend, r.Emails, r.Phones, r.Socials, r.ExecTitles,
		r.Visits, r.Bounce, r.PagesPerVisit, r.AvgDuration, r.SearchShare, r.Rank,
		r.CaseStudies, r.LeadScore, r.CreatedAt, r.ICPTier, r.ICPScore, r.ScoreReasons, r.ICPTierName, r.ScoreBreakdown,
		r.Ticker, r.IsPublic, r.EnrichmentLevel, r.LastEnriched,
		r.Revenue, r.GrossMargin, r.TrafficGrowth, r.CurrentSearch, r.TriggerEvents, r.ExecQuote, r.ExecName, r.ExecTitle, r.QuoteSource,
		r.Competitors, r.DisplacementAngle, r.Financials, r.Hiring, r.TechStack,
	}
}

// insertRowSQL inserts every column of a legacyRow, id included.
var insertRowSQL = "INSERT INTO " + Table + " VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", 45), ", ") + ")"

// writeRows creates a new SQLite file at path with the legacy schema and rows.
// It refuses to overwrite an existing file, and removes what it created if it
// fails part way.
func writeRows(ctx context.Context, path string, rows []legacyRow) (err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, os.Remove(path))
		}
	}()

	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=rw")
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer func() { err = errors.Join(err, db.Close()) }()

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback() // the file is removed anyway
		}
	}()
	if _, err := tx.ExecContext(ctx, legacySchema); err != nil {
		return fmt.Errorf("create table: %w", err)
	}
	stmt, err := tx.PrepareContext(ctx, insertRowSQL)
	if err != nil {
		return fmt.Errorf("prepare insert: %w", err)
	}
	defer stmt.Close()
	for i := range rows {
		if _, err := stmt.ExecContext(ctx, rows[i].values()...); err != nil {
			return fmt.Errorf("insert row %d: %w", rows[i].ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// WriteDemo creates a new SQLite file at path holding n synthetic legacy rows
// generated from seed; the same n and seed always give the same rows. The
// data is shaped like the real list (verticals, countries, platforms,
// log-normal traffic, scores consistent with tiers) and carries its mess in a
// small share of rows: percents stored where fractions belong, numbers as
// "$12,500" text, Python-literal lists, mixed timestamp formats, duplicate
// domains in other spellings, blank or invalid domains and a few unusable
// cells. DemoPlan tells how many of the planned anomalies a given n gets.
//
// All names are invented; domains are never contacted, because fixtures
// serve the provider data for them.
func WriteDemo(ctx context.Context, path string, n int, seed int64) error {
	if n < 0 {
		return fmt.Errorf("write demo database: negative row count %d", n)
	}
	g := newDemoGen(n, seed)
	rows, err := g.rows(ctx)
	if err != nil {
		return fmt.Errorf("write demo database: %w", err)
	}
	if err := writeRows(ctx, path, rows); err != nil {
		return fmt.Errorf("write demo database: %w", err)
	}
	return nil
}

// Plan counts the deliberate anomalies in a demo dataset of a given size.
type Plan struct {
	// Duplicates are rows repeating an earlier row's domain in another
	// spelling; each is merged away on import.
	Duplicates int
	// Triples are duplicates that name a target already duplicated once, so
	// that target merges three rows.
	Triples int
	// Invalid are rows with a blank or invalid domain, rejected on import.
	Invalid int
	// BadCells are unusable cells, one per affected row, each reported as a
	// warning on import.
	BadCells int
}

// DemoPlan returns the anomalies WriteDemo plants in n rows. They scale with
// n, so a small demo is clean.
func DemoPlan(n int) Plan {
	p := Plan{Duplicates: n / 160, Invalid: n / 300, BadCells: n / 400}
	p.Triples = p.Duplicates / tripleEvery
	return p
}

// DemoRowsFor returns how many rows WriteDemo needs for its import to yield
// exactly targets targets: the planted duplicates merge away and the invalid
// rows are rejected, so the file holds a few more rows than targets. The
// demo dataset is WriteDemo(ctx, path, DemoRowsFor(DemoRows), DemoSeed),
// which shows the legacy list's 2,687 targets.
func DemoRowsFor(targets int) int {
	// n minus its anomalies grows by at most one per row, so the first n that
	// reaches targets hits it exactly.
	n := max(targets, 0)
	for {
		p := DemoPlan(n)
		if n-p.Duplicates-p.Invalid >= targets {
			return n
		}
		n++
	}
}

// tripleEvery makes every tripleEvery-th duplicate repeat the previous
// duplicate's target.
const tripleEvery = 8

// newRand returns the generator's random source; PCG is specified exactly, so
// a seed means the same stream everywhere.
func newRand(seed int64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), 0x5eed_0f_1e9ac7))
}
