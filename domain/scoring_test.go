package domain

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// strongTarget is a textbook displacement target: big, retail, on Solr and a
// partner platform, with some timing signals.
func strongTarget() ScoreInput {
	return ScoreInput{
		Vertical:    "Retail & Ecommerce",
		Country:     "US",
		PartnerTech: []string{"Adobe Commerce"},
		Tech:        &TechStack{SearchVendor: "Apache Solr", Source: "builtwith"},
		Traffic: &Traffic{
			MonthlyVisits: 15_000_000, BounceRate: 0.55, PagesPerVisit: 4.2,
			SearchTrafficShare: 0.35, TrafficGrowth: 0.12,
		},
		Financials:    &Financials{Ticker: "ACME", Revenue: 2.1e9, Currency: "USD", RevenueGrowth: 0.08},
		TriggerEvents: []string{"Replatforming to Adobe Commerce"},
		HiringSignals: []string{"Hiring a search product manager"},
	}
}

// middlingTarget leaves room to move every factor both ways.
func middlingTarget() ScoreInput {
	return ScoreInput{
		Vertical:      "Media",
		Tech:          &TechStack{SearchVendor: "Coveo"},
		Traffic:       &Traffic{MonthlyVisits: 1_000_000, BounceRate: 0.45, PagesPerVisit: 5, SearchTrafficShare: 0.2, TrafficGrowth: 0.15},
		Financials:    &Financials{Revenue: 200e6, RevenueGrowth: 0.08},
		TriggerEvents: []string{"New CTO"},
	}
}

func points(t *testing.T, s Score, factor string) int {
	t.Helper()
	for _, f := range s.Breakdown {
		if f.Factor == factor {
			return f.Points
		}
	}
	t.Fatalf("factor %q missing from breakdown %+v", factor, s.Breakdown)
	return 0
}

func TestScoringWeightsSumTo100(t *testing.T) {
	t.Parallel()
	total := 0
	for _, f := range scoringModel {
		if f.weight <= 0 {
			t.Errorf("factor %s has weight %d", f.factor, f.weight)
		}
		total += f.weight
	}
	if total != 100 {
		t.Fatalf("weights sum to %d, want 100", total)
	}
}

func TestTierBoundaries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value    int
		tier     int
		tierName string
	}{
		{100, 1, "Hot"},
		{80, 1, "Hot"},
		{79, 2, "Warm"},
		{60, 2, "Warm"},
		{59, 3, "Cool"},
		{40, 3, "Cool"},
		{39, 4, "Cold"},
		{0, 4, "Cold"},
	}
	for _, tc := range tests {
		tier, name := TierFor(tc.value)
		if tier != tc.tier || name != tc.tierName {
			t.Errorf("TierFor(%d) = %d %s, want %d %s", tc.value, tier, name, tc.tier, tc.tierName)
		}
	}
}

func TestComputeScoreEmptyInput(t *testing.T) {
	t.Parallel()
	s := ComputeScore(ScoreInput{})
	if s.ModelVersion != ScoringModelVersion || s.Value != 0 || s.Tier != 4 || s.TierName != "Cold" || s.Excluded {
		t.Fatalf("ComputeScore(empty) = %+v, want a version-stamped, not excluded, Cold 0", s)
	}
	if len(s.Breakdown) != len(scoringModel) {
		t.Fatalf("breakdown has %d factors, want %d", len(s.Breakdown), len(scoringModel))
	}
	for i, f := range s.Breakdown {
		if f.Factor != scoringModel[i].factor || f.Max != scoringModel[i].weight || f.Points != 0 || f.Detail == "" {
			t.Errorf("breakdown[%d] = %+v, want 0 of %d points for %s with a detail", i, f, scoringModel[i].weight, scoringModel[i].factor)
		}
	}
	if len(s.Reasons) == 0 {
		t.Error("no reasons for an empty input")
	}
	if want := (Signals{SignalLow, SignalLow, SignalLow}); s.Signals != want {
		t.Errorf("signals = %+v, want %+v", s.Signals, want)
	}
}

// TestComputeScoreStrongTarget pins icp-v2 on one input. If it fails after a
// deliberate model change, bump ScoringModelVersion and update docs/scoring.md.
func TestComputeScoreStrongTarget(t *testing.T) {
	t.Parallel()
	s := ComputeScore(strongTarget())
	want := Score{
		ModelVersion: "icp-v2",
		Value:        86,
		Tier:         1,
		TierName:     "Hot",
		Breakdown: []FactorScore{
			{FactorTraffic, 20, 25, "15.0M monthly visits (log scale, 100.0K to 50.0M)"},
			{FactorRevenue, 13, 15, "annual revenue $2.1B (log scale, $10.0M to $5.0B)"},
			{FactorVertical, 15, 15, `vertical "Retail & Ecommerce": strong fit`},
			{FactorDisplacement, 20, 20, `search vendor "Apache Solr": legacy or self-hosted search`},
			{FactorPartnerTech, 10, 10, "partner platforms: Adobe Commerce"},
			{FactorGrowth, 5, 10, "trigger events: Replatforming to Adobe Commerce; hiring: Hiring a search product manager; " +
				"traffic +12% year over year; revenue +8% year over year"},
			{FactorEngagement, 3, 5, "bounce rate 55%, 4.2 pages per visit, 35% of visits from search engines"},
		},
		Reasons: []string{
			"High traffic: 15.0M monthly visits",
			"Runs Apache Solr — legacy or self-hosted search, strong displacement case",
			"Retail & Ecommerce vertical — strong fit for commerce search",
		},
		Signals: Signals{Budget: SignalHigh, Pain: SignalHigh, Timing: SignalMedium},
	}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("ComputeScore(strongTarget)\n got %+v\nwant %+v", s, want)
	}
}

func TestComputeScoreFactorDirections(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*ScoreInput)
		factor string
		up     bool
	}{
		{"more traffic", func(in *ScoreInput) { in.Traffic.MonthlyVisits = 20_000_000 }, FactorTraffic, true},
		{"less traffic", func(in *ScoreInput) { in.Traffic.MonthlyVisits = 200_000 }, FactorTraffic, false},
		{"more revenue", func(in *ScoreInput) { in.Financials.Revenue = 3e9 }, FactorRevenue, true},
		{"less revenue", func(in *ScoreInput) { in.Financials.Revenue = 20e6 }, FactorRevenue, false},
		{"retail vertical", func(in *ScoreInput) { in.Vertical = "Retail & Ecommerce" }, FactorVertical, true},
		{"other vertical", func(in *ScoreInput) { in.Vertical = "Healthcare" }, FactorVertical, false},
		{"legacy search", func(in *ScoreInput) { in.Tech.SearchVendor = "Solr" }, FactorDisplacement, true},
		{"unknown search", func(in *ScoreInput) { in.Tech.SearchVendor = "Acme Find" }, FactorDisplacement, false},
		{"no search detected", func(in *ScoreInput) { in.Tech.SearchVendor = "" }, FactorDisplacement, false},
		{"partner platform", func(in *ScoreInput) { in.PartnerTech = []string{"Shopify Plus"} }, FactorPartnerTech, true},
		{"partner platform in stack", func(in *ScoreInput) { in.Tech.PartnerTech = []string{"BigCommerce"} }, FactorPartnerTech, true},
		{"second trigger", func(in *ScoreInput) { in.TriggerEvents = append(in.TriggerEvents, "Replatforming") }, FactorGrowth, true},
		{"no trigger", func(in *ScoreInput) { in.TriggerEvents = nil }, FactorGrowth, false},
		{"hiring", func(in *ScoreInput) { in.HiringSignals = []string{"Search engineer"} }, FactorGrowth, true},
		{"traffic growth", func(in *ScoreInput) { in.Traffic.TrafficGrowth = 0.3 }, FactorGrowth, true},
		{"traffic decline", func(in *ScoreInput) { in.Traffic.TrafficGrowth = -0.1 }, FactorGrowth, false},
		{"revenue growth", func(in *ScoreInput) { in.Financials.RevenueGrowth = 0.25 }, FactorGrowth, true},
		{"higher bounce", func(in *ScoreInput) { in.Traffic.BounceRate = 0.7 }, FactorEngagement, true},
		{"fewer pages", func(in *ScoreInput) { in.Traffic.PagesPerVisit = 2 }, FactorEngagement, true},
		{"more pages", func(in *ScoreInput) { in.Traffic.PagesPerVisit = 9 }, FactorEngagement, false},
		{"more search traffic", func(in *ScoreInput) { in.Traffic.SearchTrafficShare = 0.6 }, FactorEngagement, true},
	}
	base := ComputeScore(middlingTarget())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := middlingTarget()
			tc.change(&in)
			s := ComputeScore(in)
			for _, f := range scoringModel {
				before, after := points(t, base, f.factor), points(t, s, f.factor)
				switch {
				case f.factor != tc.factor && after != before:
					t.Errorf("%s moved from %d to %d; only %s should move", f.factor, before, after, tc.factor)
				case f.factor == tc.factor && tc.up && after <= before:
					t.Errorf("%s went from %d to %d, want more", f.factor, before, after)
				case f.factor == tc.factor && !tc.up && after >= before:
					t.Errorf("%s went from %d to %d, want fewer", f.factor, before, after)
				}
			}
			if tc.up != (s.Value > base.Value) {
				t.Errorf("value went from %d to %d, want it to go %s", base.Value, s.Value, map[bool]string{true: "up", false: "down"}[tc.up])
			}
		})
	}
}

func TestDisplacementVendors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		tech          *TechStack
		currentSearch string
		want          int
	}{
		{"solr", &TechStack{SearchVendor: "Apache Solr"}, "", 20},
		{"elasticsearch", &TechStack{SearchVendor: "Elasticsearch"}, "", 20},
		{"native platform search", &TechStack{SearchVendor: "Magento Native Search"}, "", 20},
		{"sfcc", &TechStack{SearchVendor: "Salesforce Commerce Cloud Search"}, "", 20},
		{"coveo", &TechStack{SearchVendor: "Coveo"}, "", 15},
		{"bloomreach", &TechStack{SearchVendor: "Bloomreach Discovery"}, "", 15},
		{"constructor", &TechStack{SearchVendor: "Constructor.io"}, "", 15},
		{"lucidworks", &TechStack{SearchVendor: "Lucidworks Fusion"}, "", 15},
		{"searchspring", &TechStack{SearchVendor: "SearchSpring"}, "", 15},
		{"klevu", &TechStack{SearchVendor: "klevu"}, "", 15},
		{"nosto", &TechStack{SearchVendor: "Nosto Search"}, "", 15},
		{"vertex ai", &TechStack{SearchVendor: "Google Vertex AI Search"}, "", 15},
		{"cloudsearch", &TechStack{SearchVendor: "Amazon CloudSearch"}, "", 20},
		{"unknown vendor", &TechStack{SearchVendor: "Acme Find"}, "", 10},
		{"none detected", &TechStack{}, "", 6},
		{"no stack data", nil, "", 0},
		{"legacy field without stack", nil, "Solr", 20},
		{"legacy field when stack names no vendor", &TechStack{}, "Klevu", 15},
		{"stack wins over legacy field", &TechStack{SearchVendor: "Coveo"}, "Solr", 15},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := ComputeScore(ScoreInput{Tech: tc.tech, CurrentSearch: tc.currentSearch})
			if got := points(t, s, FactorDisplacement); got != tc.want {
				t.Fatalf("displacement points = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestVerticalFit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		vertical, industry string
		want               int
	}{
		{"Retail & Ecommerce", "", 15},
		{"E-Commerce", "", 15},
		{"FASHION", "", 15},
		{"Online Marketplace", "", 15},
		{"Media & Entertainment", "", 9},
		{"travel", "", 9},
		{"Healthcare", "", 3},
		{"", "", 0},
		{"", "Internet Retail", 15},
		{"Healthcare", "Internet Retail", 3},
	}
	for _, tc := range tests {
		in := ScoreInput{Vertical: tc.vertical}
		if tc.industry != "" {
			in.Financials = &Financials{Industry: tc.industry}
		}
		if got := points(t, ComputeScore(in), FactorVertical); got != tc.want {
			t.Errorf("vertical %q, industry %q: %d points, want %d", tc.vertical, tc.industry, got, tc.want)
		}
	}
}

func TestPartnerTechDistinctAndSorted(t *testing.T) {
	t.Parallel()
	s := ComputeScore(ScoreInput{
		PartnerTech: []string{"Shopify Plus", " "},
		Tech:        &TechStack{PartnerTech: []string{"shopify plus", "Adobe Commerce"}},
	})
	if got, want := s.Breakdown[4].Detail, "partner platforms: Adobe Commerce, Shopify Plus"; got != want {
		t.Fatalf("partner detail = %q, want %q", got, want)
	}
}

func TestAlgoliaExclusion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		change   func(*ScoreInput)
		excluded bool
	}{
		{"detected by stack", func(in *ScoreInput) { in.Tech.HasAlgolia = true }, true},
		{"named as search vendor", func(in *ScoreInput) { in.Tech.SearchVendor = "Algolia" }, true},
		{"legacy field without stack", func(in *ScoreInput) { in.Tech = nil; in.CurrentSearch = "algolia" }, true},
		{"stale legacy field", func(in *ScoreInput) { in.CurrentSearch = "Algolia" }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := strongTarget()
			tc.change(&in)
			s := ComputeScore(in)
			if s.Excluded != tc.excluded {
				t.Fatalf("Excluded = %v, want %v", s.Excluded, tc.excluded)
			}
			if !tc.excluded {
				return
			}
			if s.ExcludedReason != "already uses Algolia" || s.Reasons[0] != "Excluded: already uses Algolia" {
				t.Errorf("reason %q, reasons %q: want the exclusion stated first", s.ExcludedReason, s.Reasons)
			}
			if got := points(t, s, FactorDisplacement); got != 0 {
				t.Errorf("displacement points = %d for an Algolia customer, want 0", got)
			}
			if s.Value == 0 {
				t.Error("an excluded target still gets its score computed")
			}
		})
	}
}

func TestScoreJSONNames(t *testing.T) {
	t.Parallel()
	in := strongTarget()
	in.Tech.HasAlgolia = true
	b, err := json.Marshal(ComputeScore(in))
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	for _, key := range []string{
		`"model_version":`, `"value":`, `"tier":`, `"tier_name":`, `"breakdown":`, `"factor":`, `"points":`,
		`"max":`, `"detail":`, `"reasons":`, `"signals":`, `"budget":`, `"pain":`, `"timing":`,
		`"excluded":`, `"excluded_reason":`,
	} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON %s lacks %s", b, key)
		}
	}
}

// TestComputeScoreProperties checks the invariants on random, often
// malformed, inputs: NaN, infinities, negatives and empty strings included.
func TestComputeScoreProperties(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	num := func(scale float64) float64 {
		switch r.IntN(10) {
		case 0:
			return math.NaN()
		case 1:
			return math.Inf(1 - 2*r.IntN(2))
		case 2:
			return -r.Float64() * scale
		default:
			return r.Float64() * scale
		}
	}
	validSignal := func(s string) bool { return s == SignalHigh || s == SignalMedium || s == SignalLow }

	for i := range 5000 {
		in := ScoreInput{
			Vertical:      pick("", "Retail", "Media", "Healthcare", "e-commerce & fashion"),
			PartnerTech:   slices.Repeat([]string{pick("", "Shopify Plus", "VTEX")}, r.IntN(3)),
			TriggerEvents: slices.Repeat([]string{pick("", "Replatforming", "New CTO")}, r.IntN(4)),
			HiringSignals: slices.Repeat([]string{pick("", "Search engineer")}, r.IntN(3)),
			TechSpend:     int64(num(200_000)),
			CurrentSearch: pick("", "Solr", "Algolia", "Coveo", "Acme"),
		}
		if r.IntN(3) > 0 {
			in.Tech = &TechStack{HasAlgolia: r.IntN(10) == 0, SearchVendor: pick("", "Elasticsearch", "Klevu", "algolia", "x")}
		}
		if r.IntN(3) > 0 {
			in.Traffic = &Traffic{
				MonthlyVisits: int64(num(1e9)), BounceRate: num(1), PagesPerVisit: num(12),
				SearchTrafficShare: num(1), TrafficGrowth: num(2),
			}
		}
		if r.IntN(3) > 0 {
			in.Financials = &Financials{Revenue: num(1e11), RevenueGrowth: num(1), Industry: pick("", "Internet Retail")}
		}

		s := ComputeScore(in)
		if s.Value < 0 || s.Value > 100 {
			t.Fatalf("case %d: value %d outside 0..100 for %+v", i, s.Value, in)
		}
		sum := 0
		for _, f := range s.Breakdown {
			if f.Points < 0 || f.Points > f.Max {
				t.Fatalf("case %d: %s has %d of %d points", i, f.Factor, f.Points, f.Max)
			}
			sum += f.Points
		}
		if sum != s.Value {
			t.Fatalf("case %d: breakdown sums to %d, value is %d", i, sum, s.Value)
		}
		if tier, name := TierFor(s.Value); s.Tier != tier || s.TierName != name {
			t.Fatalf("case %d: tier %d %s for value %d", i, s.Tier, s.TierName, s.Value)
		}
		if !validSignal(s.Signals.Budget) || !validSignal(s.Signals.Pain) || !validSignal(s.Signals.Timing) {
			t.Fatalf("case %d: invalid signals %+v", i, s.Signals)
		}
		if len(s.Reasons) == 0 || len(s.Reasons) > maxReasons+1 {
			t.Fatalf("case %d: %d reasons", i, len(s.Reasons))
		}
		if again := ComputeScore(in); !reflect.DeepEqual(s, again) {
			t.Fatalf("case %d: not deterministic:\n%+v\n%+v", i, s, again)
		}
	}
}
