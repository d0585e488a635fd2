package domain

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
)

// The factors of the ICP model, one assessment each, and their helpers.
// Weights and tiers are in scoring.go.

// Traffic: monthly visits on a log scale, because reach grows with orders of
// magnitude, not linearly.
const (
	trafficFloor   = 100_000    // visits a month earning nothing
	trafficCeiling = 50_000_000 // visits a month earning the full weight
)

func assessTraffic(in ScoreInput) assessment {
	if in.Traffic == nil || in.Traffic.MonthlyVisits <= 0 {
		return assessment{detail: "no traffic data"}
	}
	visits := float64(in.Traffic.MonthlyVisits)
	f := logScale(visits, trafficFloor, trafficCeiling)
	return assessment{
		fraction: f,
		detail:   fmt.Sprintf("%s monthly visits (log scale, %s to %s)", compact(visits), compact(trafficFloor), compact(trafficCeiling)),
		reason:   fmt.Sprintf("%s traffic: %s monthly visits", magnitude(f, "High", "Moderate", "Low"), compact(visits)),
	}
}

// Revenue: annual revenue on a log scale. It is taken as reported; the model
// does not convert currencies.
const (
	revenueFloor   = 10e6 // revenue earning nothing
	revenueCeiling = 5e9  // revenue earning the full weight
)

func assessRevenue(in ScoreInput) assessment {
	if in.Financials == nil || !(in.Financials.Revenue > 0) {
		return assessment{detail: "no revenue data"}
	}
	currency := in.Financials.Currency
	revenue := money(in.Financials.Revenue, currency)
	f := logScale(in.Financials.Revenue, revenueFloor, revenueCeiling)
	return assessment{
		fraction: f,
		detail: fmt.Sprintf("annual revenue %s (log scale, %s to %s)",
			revenue, money(revenueFloor, currency), money(revenueCeiling, currency)),
		reason: fmt.Sprintf("%s company: %s annual revenue", magnitude(f, "Large", "Mid-size", "Small"), revenue),
	}
}

// fit is how well a vertical suits commerce site search.
type fit struct {
	fraction float64
	name     string
}

var (
	fitHigh   = fit{1, "strong"}
	fitMedium = fit{0.6, "moderate"}
	fitLow    = fit{0.2, "weak"}
)

// verticalFits maps words of a vertical (lower case) to its fit. A vertical
// takes the best fit among its words, so "Retail & Ecommerce" and "Apparel
// Retail" are both strong; a vertical with no listed word is a weak fit.
var verticalFits = map[string]fit{
	"retail": fitHigh, "retailer": fitHigh, "retailers": fitHigh, "ecommerce": fitHigh, "commerce": fitHigh,
	"shopping": fitHigh, "stores": fitHigh, "fashion": fitHigh, "apparel": fitHigh, "clothing": fitHigh,
	"footwear": fitHigh, "luxury": fitHigh, "beauty": fitHigh, "cosmetics": fitHigh, "grocery": fitHigh,
	"marketplace": fitHigh, "marketplaces": fitHigh,

	"media": fitMedium, "publishing": fitMedium, "publisher": fitMedium, "news": fitMedium,
	"entertainment": fitMedium, "travel": fitMedium, "hospitality": fitMedium, "hotels": fitMedium,
	"airlines": fitMedium,
}

// assessVertical falls back to the Yahoo Finance industry (for example
// "Internet Retail") when no vertical was recorded.
func assessVertical(in ScoreInput) assessment {
	vertical := strings.TrimSpace(in.Vertical)
	if vertical == "" && in.Financials != nil {
		vertical = strings.TrimSpace(in.Financials.Industry)
	}
	if vertical == "" {
		return assessment{detail: "no vertical"}
	}
	best := fitLow
	for _, w := range words(vertical) {
		if f, ok := verticalFits[w]; ok && f.fraction > best.fraction {
			best = f
		}
	}
	return assessment{
		fraction: best.fraction,
		detail:   fmt.Sprintf("vertical %q: %s fit", vertical, best.name),
		reason:   fmt.Sprintf("%s vertical — %s fit for commerce search", vertical, best.name),
	}
}

// vendorClass is how strong a case the current site search makes for a
// switch to Algolia. Which vendor is in which class is in vendors.go.
type vendorClass struct {
	fraction float64
	kind     string
	verdict  string
}

var vendorClasses = map[SearchClass]vendorClass{
	SearchLegacy:     {1, "legacy or self-hosted search", "strong displacement case"},
	SearchNative:     {1, "native platform search", "strong displacement case"},
	SearchCompetitor: {0.75, "competing SaaS search", "displacement possible"},
	SearchUnknown:    {0.5, "unclassified search vendor", "worth qualifying"},
	SearchNone:       {0.3, "no site search detected", "room for a first search product"},
}

func assessDisplacement(in ScoreInput) assessment {
	if usesAlgolia(in) {
		return assessment{detail: "already uses Algolia"}
	}
	vendor, known := searchVendor(in)
	if !known {
		return assessment{detail: "no tech stack data"}
	}
	if vendor == "" {
		none := vendorClasses[SearchNone]
		return assessment{
			fraction: none.fraction,
			detail:   none.kind,
			reason:   "No site search detected — " + none.verdict,
		}
	}
	class, ok := vendorClasses[ClassifySearchVendor(vendor)]
	if !ok {
		// SearchOurs: unreachable, usesAlgolia excluded it above.
		class = vendorClasses[SearchUnknown]
	}
	return assessment{
		fraction: class.fraction,
		detail:   fmt.Sprintf("search vendor %q: %s", vendor, class.kind),
		reason:   fmt.Sprintf("Runs %s — %s, %s", vendor, class.kind, class.verdict),
	}
}

// searchVendor returns the site's search vendor, "" when none was detected,
// and whether anything is known about it at all.
func searchVendor(in ScoreInput) (vendor string, known bool) {
	if in.Tech != nil {
		if v := strings.TrimSpace(in.Tech.SearchVendor); v != "" {
			return v, true
		}
	}
	if v := strings.TrimSpace(in.CurrentSearch); v != "" {
		return v, true
	}
	return "", in.Tech != nil
}

func usesAlgolia(in ScoreInput) bool {
	if in.Tech != nil && in.Tech.HasAlgolia {
		return true
	}
	vendor, _ := searchVendor(in)
	return strings.Contains(strings.ToLower(vendor), strings.ToLower(AlgoliaVendor))
}

// assessPartnerTech is all or nothing: one partner platform is what makes a
// co-sell possible, a second adds nothing.
func assessPartnerTech(in ScoreInput) assessment {
	var all []string
	all = append(all, in.PartnerTech...)
	if in.Tech != nil {
		all = append(all, in.Tech.PartnerTech...)
	}
	platforms := DistinctNames(all)
	if len(platforms) == 0 {
		return assessment{detail: "no partner platform detected"}
	}
	list := strings.Join(platforms, ", ")
	return assessment{
		fraction: 1,
		detail:   "partner platforms: " + list,
		reason:   "Runs a partner commerce platform: " + list,
	}
}

// Growth and timing: the factor's weight is shared between its signals
// (shares sum to 1); each signal earns its share in full at the cap.
const (
	growthTriggerShare = 0.4
	growthHiringShare  = 0.2
	growthTrafficShare = 0.2
	growthRevenueShare = 0.2

	growthSignalCap  = 2    // trigger events or hiring signals earning the full share
	growthTrafficCap = 0.25 // year-over-year traffic growth earning the full share
	growthRevenueCap = 0.20 // year-over-year revenue growth earning the full share
)

func assessGrowth(in ScoreInput) assessment {
	triggers := DistinctNames(in.TriggerEvents)
	hiring := DistinctNames(in.HiringSignals)
	f := growthTriggerShare*clamp01(float64(len(triggers))/growthSignalCap) +
		growthHiringShare*clamp01(float64(len(hiring))/growthSignalCap)

	var parts []string
	if len(triggers) > 0 {
		parts = append(parts, "trigger events: "+strings.Join(triggers, ", "))
	}
	if len(hiring) > 0 {
		parts = append(parts, "hiring: "+strings.Join(hiring, ", "))
	}
	if in.Traffic != nil && in.Traffic.TrafficGrowth != 0 {
		f += growthTrafficShare * clamp01(in.Traffic.TrafficGrowth/growthTrafficCap)
		parts = append(parts, fmt.Sprintf("traffic %+.0f%% year over year", in.Traffic.TrafficGrowth*100))
	}
	if in.Financials != nil && in.Financials.RevenueGrowth != 0 {
		f += growthRevenueShare * clamp01(in.Financials.RevenueGrowth/growthRevenueCap)
		parts = append(parts, fmt.Sprintf("revenue %+.0f%% year over year", in.Financials.RevenueGrowth*100))
	}
	if len(parts) == 0 {
		return assessment{detail: "no growth or trigger signals"}
	}
	detail := strings.Join(parts, "; ")
	return assessment{fraction: f, detail: detail, reason: "Growth and timing: " + detail}
}

// Engagement: visitors who bounce or see few pages are failing to find
// things, and visitors arriving from search engines come with intent that
// site search has to serve. Shares sum to 1.
const (
	engagementBounceShare = 0.4
	engagementPagesShare  = 0.4
	engagementSearchShare = 0.2

	bounceFloor   = 0.30 // bounce rate earning nothing
	bounceCeiling = 0.70 // bounce rate earning the full share
	pagesFloor    = 8.0  // pages per visit earning nothing
	pagesCeiling  = 2.0  // pages per visit earning the full share
	searchCap     = 0.5  // share of visits from search engines earning the full share
)

func assessEngagement(in ScoreInput) assessment {
	t := in.Traffic
	if t == nil {
		return assessment{detail: "no traffic data"}
	}
	f := engagementBounceShare*clamp01((t.BounceRate-bounceFloor)/(bounceCeiling-bounceFloor)) +
		engagementSearchShare*clamp01(t.SearchTrafficShare/searchCap)
	pages := "pages per visit not reported"
	// Zero pages per visit means SimilarWeb did not report it, not that
	// visitors saw nothing.
	if t.PagesPerVisit > 0 {
		f += engagementPagesShare * clamp01((pagesFloor-t.PagesPerVisit)/(pagesFloor-pagesCeiling))
		pages = fmt.Sprintf("%.1f pages per visit", t.PagesPerVisit)
	}
	detail := fmt.Sprintf("bounce rate %.0f%%, %s, %.0f%% of visits from search engines",
		t.BounceRate*100, pages, t.SearchTrafficShare*100)
	return assessment{fraction: f, detail: detail, reason: "Engagement: " + detail}
}

// Signal thresholds. Budget is high or medium when either annual revenue or
// monthly tech spend reaches the level: a private company can still spend.
const (
	budgetHighRevenue     = 1e9
	budgetMediumRevenue   = 100e6
	budgetHighTechSpend   = 100_000
	budgetMediumTechSpend = 20_000

	painDisplacementShare = 0.6 // pain blends displacement and engagement
	painEngagementShare   = 0.4
	painHigh              = 0.6
	painMedium            = 0.35

	timingHigh   = 0.5 // growth_signals fraction
	timingMedium = 0.2
)

func signalsFor(in ScoreInput, fractions map[string]float64) Signals {
	var revenue float64
	if in.Financials != nil {
		revenue = in.Financials.Revenue
	}
	budget := SignalLow
	switch {
	case revenue >= budgetHighRevenue || in.TechSpend >= budgetHighTechSpend:
		budget = SignalHigh
	case revenue >= budgetMediumRevenue || in.TechSpend >= budgetMediumTechSpend:
		budget = SignalMedium
	}
	pain := painDisplacementShare*fractions[FactorDisplacement] + painEngagementShare*fractions[FactorEngagement]
	return Signals{
		Budget: budget,
		Pain:   level(pain, painHigh, painMedium),
		Timing: level(fractions[FactorGrowth], timingHigh, timingMedium),
	}
}

// level names x against the thresholds for SignalHigh and SignalMedium.
func level(x, high, medium float64) string {
	switch {
	case x >= high:
		return SignalHigh
	case x >= medium:
		return SignalMedium
	default:
		return SignalLow
	}
}

// magnitude names a fraction by thirds, for reasons.
func magnitude(f float64, high, medium, low string) string {
	switch {
	case f >= 2.0/3:
		return high
	case f >= 1.0/3:
		return medium
	default:
		return low
	}
}

// logScale places v between lo and hi on a log10 scale, clamped to [0, 1].
func logScale(v, lo, hi float64) float64 {
	return clamp01((math.Log10(v) - math.Log10(lo)) / (math.Log10(hi) - math.Log10(lo)))
}

// clamp01 also maps NaN to 0, so malformed provider numbers cannot leak into
// a score.
func clamp01(x float64) float64 {
	if !(x > 0) {
		return 0
	}
	return min(x, 1)
}

// words splits s into lower-case runs of letters and digits, so "E-Commerce",
// "Retail & Ecommerce" and "Constructor.io" can be matched word by word.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// DistinctNames trims ss, drops blanks and case-insensitive duplicates
// (keeping the first spelling) and sorts the rest case-insensitively. Scoring
// reads platforms and signals this way, and the tech-stack adapter stores
// technology lists this way, so both agree on what counts as one name.
func DistinctNames(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	var out []string
	for _, s := range ss {
		s = strings.TrimSpace(s)
		key := strings.ToLower(s)
		if s == "" || seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, s)
	}
	// Keys are unique, so this order is total.
	slices.SortFunc(out, func(a, b string) int {
		return cmp.Compare(strings.ToLower(a), strings.ToLower(b))
	})
	return out
}

// compact formats a count or amount as 15.0M, 850.0K or 2.1B.
func compact(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.1fB", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fK", v/1e3)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

func money(amount float64, currency string) string {
	currency = strings.ToUpper(strings.TrimSpace(currency))
	if currency == "" || currency == "USD" {
		return "$" + compact(amount)
	}
	return compact(amount) + " " + currency
}
