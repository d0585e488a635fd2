package legacysqlite

import (
	"encoding/json"
	"time"

	"github.com/partnerforge/partnerforge/domain"
)

// column ties a legacy column to the profile field it fills. apply converts
// the scanned cell and stores the result; a returned error becomes a warning,
// and the field keeps whatever could be salvaged (usually nothing).
type column struct {
	name  string
	apply func(p *domain.TargetProfile, v any) error
}

// Both the identity columns must exist; without them a row cannot become a
// target. Every attribute column is optional: an older export that lacks one
// imports with that attribute unknown, and the report names it.
const (
	colID     = "id"
	colDomain = "domain"
)

// attributeColumns lists every legacy attribute column in schema order.
var attributeColumns = []column{
	text("company_name", func(p *domain.TargetProfile) *string { return &p.CompanyName }),
	text("partner_tech", func(p *domain.TargetProfile) *string { return &p.PartnerTech }),
	text("vertical", func(p *domain.TargetProfile) *string { return &p.Vertical }),
	text("country", func(p *domain.TargetProfile) *string { return &p.Country }),
	text("city", func(p *domain.TargetProfile) *string { return &p.City }),
	text("state", func(p *domain.TargetProfile) *string { return &p.State }),
	integer("tech_spend", func(p *domain.TargetProfile) **int64 { return &p.TechSpend }),
	jsonish("emails", func(p *domain.TargetProfile) *json.RawMessage { return &p.Emails }),
	jsonish("phones", func(p *domain.TargetProfile) *json.RawMessage { return &p.Phones }),
	jsonish("socials", func(p *domain.TargetProfile) *json.RawMessage { return &p.Socials }),
	jsonish("exec_titles", func(p *domain.TargetProfile) *json.RawMessage { return &p.ExecTitles }),
	integer("sw_monthly_visits", func(p *domain.TargetProfile) **int64 { return &p.SWMonthlyVisits }),
	number("sw_bounce_rate", toFraction, func(p *domain.TargetProfile) **float64 { return &p.SWBounceRate }),
	number("sw_pages_per_visit", toFloat, func(p *domain.TargetProfile) **float64 { return &p.SWPagesPerVisit }),
	integer("sw_avg_duration", func(p *domain.TargetProfile) **int64 { return &p.SWAvgDuration }),
	number("sw_search_traffic_pct", toFraction, func(p *domain.TargetProfile) **float64 { return &p.SWSearchTrafficPct }),
	integer("sw_rank_global", func(p *domain.TargetProfile) **int64 { return &p.SWRankGlobal }),
	jsonish("matched_case_studies", func(p *domain.TargetProfile) *json.RawMessage { return &p.MatchedCaseStudies }),
	integer("lead_score", func(p *domain.TargetProfile) **int64 { return &p.LeadScore }),
	timestamp("created_at", func(p *domain.TargetProfile) **time.Time { return &p.CreatedAt }),
	integer("icp_tier", func(p *domain.TargetProfile) **int64 { return &p.ICPTier }),
	integer("icp_score", func(p *domain.TargetProfile) **int64 { return &p.ICPScore }),
	jsonish("score_reasons", func(p *domain.TargetProfile) *json.RawMessage { return &p.ScoreReasons }),
	text("icp_tier_name", func(p *domain.TargetProfile) *string { return &p.ICPTierName }),
	jsonish("score_breakdown", func(p *domain.TargetProfile) *json.RawMessage { return &p.ScoreBreakdown }),
	text("ticker", func(p *domain.TargetProfile) *string { return &p.Ticker }),
	{name: "is_public", apply: func(p *domain.TargetProfile, v any) (err error) {
		p.IsPublic, err = toBool(v)
		return err
	}},
	text("enrichment_level", func(p *domain.TargetProfile) *string { return &p.EnrichmentLevel }),
	timestamp("last_enriched", func(p *domain.TargetProfile) **time.Time { return &p.LastEnriched }),
	number("revenue", toFloat, func(p *domain.TargetProfile) **float64 { return &p.Revenue }),
	number("gross_margin", toFraction, func(p *domain.TargetProfile) **float64 { return &p.GrossMargin }),
	number("traffic_growth", toPercentPoints, func(p *domain.TargetProfile) **float64 { return &p.TrafficGrowth }),
	text("current_search", func(p *domain.TargetProfile) *string { return &p.CurrentSearch }),
	jsonish("trigger_events", func(p *domain.TargetProfile) *json.RawMessage { return &p.TriggerEvents }),
	text("exec_quote", func(p *domain.TargetProfile) *string { return &p.ExecQuote }),
	text("exec_name", func(p *domain.TargetProfile) *string { return &p.ExecName }),
	text("exec_title", func(p *domain.TargetProfile) *string { return &p.ExecTitle }),
	text("quote_source", func(p *domain.TargetProfile) *string { return &p.QuoteSource }),
	jsonish("competitors_using_algolia", func(p *domain.TargetProfile) *json.RawMessage { return &p.CompetitorsUsingAlgolia }),
	text("displacement_angle", func(p *domain.TargetProfile) *string { return &p.DisplacementAngle }),
	jsonish("financials_json", func(p *domain.TargetProfile) *json.RawMessage { return &p.FinancialsJSON }),
	jsonish("hiring_signals", func(p *domain.TargetProfile) *json.RawMessage { return &p.HiringSignals }),
	jsonish("tech_stack_json", func(p *domain.TargetProfile) *json.RawMessage { return &p.TechStackJSON }),
}

func text(name string, field func(*domain.TargetProfile) *string) column {
	return column{name: name, apply: func(p *domain.TargetProfile, v any) (err error) {
		*field(p), err = toText(v)
		return err
	}}
}

func integer(name string, field func(*domain.TargetProfile) **int64) column {
	return column{name: name, apply: func(p *domain.TargetProfile, v any) (err error) {
		*field(p), err = toInt(v)
		return err
	}}
}

func number(name string, conv func(any) (*float64, error), field func(*domain.TargetProfile) **float64) column {
	return column{name: name, apply: func(p *domain.TargetProfile, v any) (err error) {
		*field(p), err = conv(v)
		return err
	}}
}

func timestamp(name string, field func(*domain.TargetProfile) **time.Time) column {
	return column{name: name, apply: func(p *domain.TargetProfile, v any) (err error) {
		*field(p), err = toTime(v)
		return err
	}}
}

func jsonish(name string, field func(*domain.TargetProfile) *json.RawMessage) column {
	return column{name: name, apply: func(p *domain.TargetProfile, v any) (err error) {
		*field(p), err = toJSON(v)
		return err
	}}
}
