package domain

import (
	"encoding/json"
	"time"
)

// TargetProfile is what the legacy displacement-target list knew about one
// target, normalised: numbers are numbers, fractions are 0–1, times are UTC and
// list- or object-shaped columns are valid JSON.
//
// It is the payload of the TargetImported event, so it stays plain data and its
// JSON names are the legacy column names: renaming a tag changes stored events.
//
// Absent means unknown. Pointer fields are nil, strings are "" and JSON fields
// are empty when the legacy row held nothing usable, so an unknown value is
// never confused with a real zero (a site with 0 % search traffic, a private
// company).
type TargetProfile struct {
	// Domain is the normalised registrable host name, e.g. "example.com"; it
	// identifies the target and is always set.
	Domain      string `json:"domain"`
	CompanyName string `json:"company_name,omitempty"`
	// PartnerTech is the commerce platform (or platforms, comma-separated, as
	// the legacy list wrote them) the site runs on.
	PartnerTech string `json:"partner_tech,omitempty"`
	Vertical    string `json:"vertical,omitempty"`
	Country     string `json:"country,omitempty"`
	City        string `json:"city,omitempty"`
	State       string `json:"state,omitempty"`
	// TechSpend is the estimated monthly technology spend in US dollars.
	TechSpend *int64 `json:"tech_spend,omitempty"`

	Emails     json.RawMessage `json:"emails,omitempty"`
	Phones     json.RawMessage `json:"phones,omitempty"`
	Socials    json.RawMessage `json:"socials,omitempty"`
	ExecTitles json.RawMessage `json:"exec_titles,omitempty"`

	SWMonthlyVisits *int64 `json:"sw_monthly_visits,omitempty"`
	// SWBounceRate is a fraction, 0–1.
	SWBounceRate    *float64 `json:"sw_bounce_rate,omitempty"`
	SWPagesPerVisit *float64 `json:"sw_pages_per_visit,omitempty"`
	// SWAvgDuration is the average visit duration in seconds.
	SWAvgDuration *int64 `json:"sw_avg_duration,omitempty"`
	// SWSearchTrafficPct is the share of visits that arrive from search
	// engines, as a fraction 0–1 despite the legacy "pct" in its name.
	SWSearchTrafficPct *float64 `json:"sw_search_traffic_pct,omitempty"`
	SWRankGlobal       *int64   `json:"sw_rank_global,omitempty"`

	MatchedCaseStudies json.RawMessage `json:"matched_case_studies,omitempty"`
	LeadScore          *int64          `json:"lead_score,omitempty"`
	CreatedAt          *time.Time      `json:"created_at,omitempty"`
	ICPTier            *int64          `json:"icp_tier,omitempty"`
	ICPScore           *int64          `json:"icp_score,omitempty"`
	ScoreReasons       json.RawMessage `json:"score_reasons,omitempty"`
	ICPTierName        string          `json:"icp_tier_name,omitempty"`
	ScoreBreakdown     json.RawMessage `json:"score_breakdown,omitempty"`

	Ticker   string `json:"ticker,omitempty"`
	IsPublic *bool  `json:"is_public,omitempty"`
	// EnrichmentLevel is the legacy label of how much was known ("basic" …).
	EnrichmentLevel string     `json:"enrichment_level,omitempty"`
	LastEnriched    *time.Time `json:"last_enriched,omitempty"`

	// Revenue is annual revenue in US dollars.
	Revenue *float64 `json:"revenue,omitempty"`
	// GrossMargin is a fraction, 0–1.
	GrossMargin *float64 `json:"gross_margin,omitempty"`
	// TrafficGrowth is kept in the unit the legacy list used, percentage
	// points (12.5 means +12.5 %). Growth may be negative or above 100 %, so
	// unlike the shares above it cannot be rescaled by looking at its size.
	TrafficGrowth *float64 `json:"traffic_growth,omitempty"`

	// CurrentSearch is the site-search product the site used when listed.
	CurrentSearch           string          `json:"current_search,omitempty"`
	TriggerEvents           json.RawMessage `json:"trigger_events,omitempty"`
	ExecQuote               string          `json:"exec_quote,omitempty"`
	ExecName                string          `json:"exec_name,omitempty"`
	ExecTitle               string          `json:"exec_title,omitempty"`
	QuoteSource             string          `json:"quote_source,omitempty"`
	CompetitorsUsingAlgolia json.RawMessage `json:"competitors_using_algolia,omitempty"`
	DisplacementAngle       string          `json:"displacement_angle,omitempty"`
	FinancialsJSON          json.RawMessage `json:"financials_json,omitempty"`
	HiringSignals           json.RawMessage `json:"hiring_signals,omitempty"`
	TechStackJSON           json.RawMessage `json:"tech_stack_json,omitempty"`
}
