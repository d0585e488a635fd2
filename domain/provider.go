package domain

import (
	"errors"
	"fmt"
)

// ErrQuotaExhausted is returned (wrapped) when a provider's daily call budget
// is spent; the provider is then not called.
var ErrQuotaExhausted = errors.New("daily provider quota exhausted")

// Provider names an external enrichment source. The string values are part of
// the public API and of stored events: never rename them.
type Provider string

const (
	ProviderBuiltWith    Provider = "builtwith"
	ProviderSimilarWeb   Provider = "similarweb"
	ProviderYahooFinance Provider = "yahoo_finance"
)

// AllProviders lists every provider in the order jobs report them.
var AllProviders = []Provider{ProviderBuiltWith, ProviderSimilarWeb, ProviderYahooFinance}

// ParseProvider validates a provider name.
func ParseProvider(s string) (Provider, error) {
	for _, p := range AllProviders {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("unknown provider %q (want one of builtwith, similarweb, yahoo_finance)", s)
}

// FailureCode classifies why a provider produced no data. Values are stored in
// events and shown to users.
type FailureCode string

const (
	FailureTimeout        FailureCode = "timeout"
	FailureRateLimited    FailureCode = "rate_limited"
	FailureQuotaExhausted FailureCode = "quota_exhausted"
	FailureUnauthorized   FailureCode = "unauthorized"
	FailureNotFound       FailureCode = "not_found"
	FailureBadResponse    FailureCode = "bad_response"
	FailureCircuitOpen    FailureCode = "circuit_open"
	FailureUpstreamError  FailureCode = "upstream_error"
	FailureNoTicker       FailureCode = "no_ticker"
	// FailureExpired ends a job that did not finish within its lifetime.
	FailureExpired FailureCode = "expired"
)

// TechStack is BuiltWith's (or SimilarWeb's fallback) view of a site.
type TechStack struct {
	Technologies []string `json:"technologies"`
	// SearchVendor is the site-search product detected, "" when none was.
	SearchVendor string `json:"search_vendor,omitempty"`
	HasAlgolia   bool   `json:"has_algolia"`
	// PartnerTech lists the commerce platforms we partner with found on the site.
	PartnerTech []string `json:"partner_tech,omitempty"`
	// Source says which provider produced the stack: "builtwith", or
	// "similarweb" when BuiltWith refused and the fallback answered.
	Source string `json:"source"`
}

// Traffic is SimilarWeb's view of a site. Fractions are 0–1.
type Traffic struct {
	MonthlyVisits      int64    `json:"monthly_visits"`
	BounceRate         float64  `json:"bounce_rate"`
	PagesPerVisit      float64  `json:"pages_per_visit"`
	AvgDurationSeconds float64  `json:"avg_duration_seconds"`
	SearchTrafficShare float64  `json:"search_traffic_share"`
	GlobalRank         int64    `json:"global_rank,omitempty"`
	TrafficGrowth      float64  `json:"traffic_growth"`
	SimilarSites       []string `json:"similar_sites,omitempty"`
}

// Financials is Yahoo Finance's view of the company behind a site.
type Financials struct {
	Ticker      string  `json:"ticker"`
	Revenue     float64 `json:"revenue,omitempty"`
	GrossMargin float64 `json:"gross_margin,omitempty"`
	MarketCap   float64 `json:"market_cap,omitempty"`
	Employees   int64   `json:"employees,omitempty"`
	Sector      string  `json:"sector,omitempty"`
	Industry    string  `json:"industry,omitempty"`
	Currency    string  `json:"currency,omitempty"`
	// RevenueGrowth is the year-over-year revenue growth as a fraction.
	RevenueGrowth float64 `json:"revenue_growth,omitempty"`
}

// ProviderData is the normalised result of one provider fetch; exactly one
// field is set, matching the provider.
type ProviderData struct {
	Tech       *TechStack  `json:"tech,omitempty"`
	Traffic    *Traffic    `json:"traffic,omitempty"`
	Financials *Financials `json:"financials,omitempty"`
}
