package readmodel

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
)

// ErrNotFound is returned (wrapped) when a read model has no such row.
var ErrNotFound = errors.New("not found")

// ErrInvalidCursor is returned (wrapped) for a list cursor that was not
// issued for this list: malformed, or made for another sort or order.
var ErrInvalidCursor = errors.New("invalid cursor")

// Sort keys of the target list.
const (
	SortScore        = "icp_score"
	SortVisits       = "sw_monthly_visits"
	SortCompanyName  = "company_name"
	SortRevenue      = "revenue"
	SortLastEnriched = "last_enriched"
	SortDomain       = "domain"
)

// SortKeys lists every sort key the target list accepts.
var SortKeys = []string{SortScore, SortVisits, SortCompanyName, SortRevenue, SortLastEnriched, SortDomain}

// TargetFilter selects one page of targets. Zero values mean "any"; Page
// counts from 1.
type TargetFilter struct {
	Page, PerPage int
	Tier          *int
	ScoreMin      *int
	ScoreMax      *int
	// Verticals and Countries match any of their values, ignoring case; a
	// country may be given by code, name or alias (domain.NormalizeCountry).
	Verticals []string
	Countries []string
	// PartnerTech matches one of a target's platforms by its name or its
	// leading words, ignoring case (domain.PlatformKeys): "Shopify" finds
	// "Shopify Plus".
	PartnerTech string
	// Search is a case-insensitive substring of the company name or domain.
	Search     string
	Sort       string
	Descending bool
	// Cursor, when set, continues the list after the page that returned it
	// as TargetPage.NextCursor (keyset paging), and Page is ignored. It must
	// come from a list with the same Sort and Descending.
	Cursor string
}

// TargetPage is one page of the target list and the number of targets
// across all pages.
type TargetPage struct {
	Targets []TargetSummary
	Total   int
	// Offset counts the targets before this page (for a cursor, as they
	// stood when the cursor was issued).
	Offset int
	// NextCursor continues the list after this page; "" on the last page.
	NextCursor string
}

// TargetSummary is a target as the list shows it.
type TargetSummary struct {
	Domain             string     `json:"domain"`
	CompanyName        *string    `json:"company_name"`
	PartnerTech        *string    `json:"partner_tech"`
	Vertical           *string    `json:"vertical"`
	Country            *string    `json:"country"`
	City               *string    `json:"city"`
	State              *string    `json:"state"`
	ICPScore           *int       `json:"icp_score"`
	ICPTier            *int       `json:"icp_tier"`
	ICPTierName        *string    `json:"icp_tier_name"`
	LeadScore          *int64     `json:"lead_score"`
	SWMonthlyVisits    *int64     `json:"sw_monthly_visits"`
	SWSearchTrafficPct *float64   `json:"sw_search_traffic_pct"`
	TrafficGrowth      *float64   `json:"traffic_growth"`
	Revenue            *float64   `json:"revenue"`
	Ticker             *string    `json:"ticker"`
	IsPublic           *bool      `json:"is_public"`
	CurrentSearch      *string    `json:"current_search"`
	EnrichmentLevel    *string    `json:"enrichment_level"`
	LastEnriched       *time.Time `json:"last_enriched"`
	Excluded           bool       `json:"excluded"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

// Target is the full record of one target: every legacy column under its
// legacy name, then what enrichment and scoring added. Unknown values are
// null. Shares (sw_bounce_rate, sw_search_traffic_pct, gross_margin) are
// fractions 0–1; traffic_growth is in percentage points.
type Target struct {
	Domain                  string          `json:"domain"`
	CompanyName             *string         `json:"company_name"`
	PartnerTech             *string         `json:"partner_tech"`
	Vertical                *string         `json:"vertical"`
	Country                 *string         `json:"country"`
	City                    *string         `json:"city"`
	State                   *string         `json:"state"`
	TechSpend               *int64          `json:"tech_spend"`
	Emails                  json.RawMessage `json:"emails"`
	Phones                  json.RawMessage `json:"phones"`
	Socials                 json.RawMessage `json:"socials"`
	ExecTitles              json.RawMessage `json:"exec_titles"`
	SWMonthlyVisits         *int64          `json:"sw_monthly_visits"`
	SWBounceRate            *float64        `json:"sw_bounce_rate"`
	SWPagesPerVisit         *float64        `json:"sw_pages_per_visit"`
	SWAvgDuration           *int64          `json:"sw_avg_duration"`
	SWSearchTrafficPct      *float64        `json:"sw_search_traffic_pct"`
	SWRankGlobal            *int64          `json:"sw_rank_global"`
	MatchedCaseStudies      json.RawMessage `json:"matched_case_studies"`
	LeadScore               *int64          `json:"lead_score"`
	CreatedAt               *time.Time      `json:"created_at"`
	ICPTier                 *int            `json:"icp_tier"`
	ICPScore                *int            `json:"icp_score"`
	ScoreReasons            json.RawMessage `json:"score_reasons"`
	ICPTierName             *string         `json:"icp_tier_name"`
	ScoreBreakdown          json.RawMessage `json:"score_breakdown"`
	Ticker                  *string         `json:"ticker"`
	IsPublic                *bool           `json:"is_public"`
	EnrichmentLevel         *string         `json:"enrichment_level"`
	LastEnriched            *time.Time      `json:"last_enriched"`
	Revenue                 *float64        `json:"revenue"`
	GrossMargin             *float64        `json:"gross_margin"`
	TrafficGrowth           *float64        `json:"traffic_growth"`
	CurrentSearch           *string         `json:"current_search"`
	TriggerEvents           json.RawMessage `json:"trigger_events"`
	ExecQuote               *string         `json:"exec_quote"`
	ExecName                *string         `json:"exec_name"`
	ExecTitle               *string         `json:"exec_title"`
	QuoteSource             *string         `json:"quote_source"`
	CompetitorsUsingAlgolia json.RawMessage `json:"competitors_using_algolia"`
	DisplacementAngle       *string         `json:"displacement_angle"`
	FinancialsJSON          json.RawMessage `json:"financials_json"`
	HiringSignals           json.RawMessage `json:"hiring_signals"`
	TechStackJSON           json.RawMessage `json:"tech_stack_json"`

	UpdatedAt         time.Time  `json:"updated_at"`
	LastJobID         *uuid.UUID `json:"last_job_id"`
	ScoreModelVersion *string    `json:"score_model_version"`
	Excluded          bool       `json:"excluded"`
	ExcludedReason    *string    `json:"excluded_reason"`
	ImportBatchID     *uuid.UUID `json:"import_batch_id"`
}

// Stats counts targets per dimension. The key "unknown" counts targets
// without a value; tiers are keyed "1" to "4".
type Stats struct {
	Total             int            `json:"total"`
	ByTier            map[string]int `json:"by_tier"`
	ByVertical        map[string]int `json:"by_vertical"`
	ByCountry         map[string]int `json:"by_country"`
	ByEnrichmentLevel map[string]int `json:"by_enrichment_level"`
}

// UnknownKey is the Stats key of targets without a value.
const UnknownKey = "unknown"
