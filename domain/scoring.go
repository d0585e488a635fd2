package domain

import (
	"cmp"
	"math"
	"slices"
)

// ScoringModelVersion names the rules ComputeScore applies and is stored with
// every score. Bump it whenever a weight, threshold or map in scoring.go,
// scoring_factors.go or a search vendor's class in vendors.go changes, so that
// scores from different models are never read as comparable; docs/scoring.md
// describes the current model and its history.
const ScoringModelVersion = "icp-v2"

// Factor names, in Breakdown order. They are stored in events: never rename.
const (
	FactorTraffic      = "traffic"
	FactorRevenue      = "revenue"
	FactorVertical     = "vertical_fit"
	FactorDisplacement = "displacement"
	FactorPartnerTech  = "partner_tech"
	FactorGrowth       = "growth_signals"
	FactorEngagement   = "engagement"
)

// Signal levels used in Signals.
const (
	SignalHigh   = "high"
	SignalMedium = "medium"
	SignalLow    = "low"
)

// ScoreInput is everything ComputeScore looks at. Any pointer may be nil and
// any field empty: missing data earns no points, it never fails.
type ScoreInput struct {
	Vertical string
	// Country is carried for later models; icp-v2 does not score it.
	Country     string
	PartnerTech []string
	Tech        *TechStack
	Traffic     *Traffic
	Financials  *Financials
	// TriggerEvents and HiringSignals are short descriptions such as
	// "Replatforming to Adobe Commerce" or "Hiring a head of search".
	TriggerEvents []string
	HiringSignals []string
	// TechSpend is the estimated monthly technology spend in US dollars, 0
	// when unknown. It only informs the budget signal.
	TechSpend int64
	// CurrentSearch is the search vendor recorded before enrichment existed;
	// it is used only when Tech is nil or names no SearchVendor.
	CurrentSearch string
}

// FactorScore is one factor's contribution to a Score.
type FactorScore struct {
	Factor string `json:"factor"`
	Points int    `json:"points"`
	Max    int    `json:"max"`
	Detail string `json:"detail"`
}

// Signals summarise a target for sellers: can it pay, does it hurt, is now
// the moment. Each is SignalHigh, SignalMedium or SignalLow.
type Signals struct {
	Budget string `json:"budget"`
	Pain   string `json:"pain"`
	Timing string `json:"timing"`
}

// Score is the result of ComputeScore. Value is the sum of Breakdown points.
type Score struct {
	ModelVersion   string        `json:"model_version"`
	Value          int           `json:"value"`
	Tier           int           `json:"tier"`
	TierName       string        `json:"tier_name"`
	Breakdown      []FactorScore `json:"breakdown"`
	Reasons        []string      `json:"reasons"`
	Signals        Signals       `json:"signals"`
	Excluded       bool          `json:"excluded"`
	ExcludedReason string        `json:"excluded_reason,omitempty"`
}

// assessment is how much of a factor's weight a target earns, as a fraction
// in [0, 1], with the explanation shown in the breakdown and, when the factor
// is among the biggest contributors, in the reasons.
type assessment struct {
	fraction float64
	detail   string
	reason   string
}

// scoringModel is the one place the factor weights live. Weights are the most
// points a factor can earn and sum to 100, so Value needs no rescaling; the
// order here is the Breakdown order.
var scoringModel = []struct {
	factor string
	weight int
	assess func(ScoreInput) assessment
}{
	{FactorTraffic, 25, assessTraffic},
	{FactorRevenue, 15, assessRevenue},
	{FactorVertical, 15, assessVertical},
	{FactorDisplacement, 20, assessDisplacement},
	{FactorPartnerTech, 10, assessPartnerTech},
	{FactorGrowth, 10, assessGrowth},
	{FactorEngagement, 5, assessEngagement},
}

// scoreTiers are checked in order; the first whose minimum Value is met wins,
// and the last one takes everything below the others.
var scoreTiers = []struct {
	min  int
	tier int
	name string
}{
	{80, 1, "Hot"},
	{60, 2, "Warm"},
	{40, 3, "Cool"},
	{0, 4, "Cold"},
}

// maxReasons caps Reasons (besides an exclusion) so they stay readable.
const maxReasons = 3

// ComputeScore rates how well a target fits the ideal customer profile. It is
// pure and deterministic: the same input always yields the same Score.
func ComputeScore(in ScoreInput) Score {
	s := Score{
		ModelVersion: ScoringModelVersion,
		Breakdown:    make([]FactorScore, 0, len(scoringModel)),
	}
	fractions := make(map[string]float64, len(scoringModel))
	type contribution struct {
		points int
		reason string
	}
	var contributions []contribution
	for _, f := range scoringModel {
		a := f.assess(in)
		fraction := clamp01(a.fraction)
		points := int(math.Round(fraction * float64(f.weight)))
		fractions[f.factor] = fraction
		s.Value += points
		s.Breakdown = append(s.Breakdown, FactorScore{Factor: f.factor, Points: points, Max: f.weight, Detail: a.detail})
		if points > 0 {
			contributions = append(contributions, contribution{points, a.reason})
		}
	}
	s.Tier, s.TierName = TierFor(s.Value)
	s.Signals = signalsFor(in, fractions)

	// Biggest contributors first; the stable sort keeps model order on ties.
	slices.SortStableFunc(contributions, func(a, b contribution) int { return cmp.Compare(b.points, a.points) })
	s.Reasons = make([]string, 0, maxReasons+1)
	if usesAlgolia(in) {
		s.Excluded = true
		s.ExcludedReason = "already uses Algolia"
		s.Reasons = append(s.Reasons, "Excluded: already uses Algolia")
	}
	for _, c := range contributions[:min(len(contributions), maxReasons)] {
		s.Reasons = append(s.Reasons, c.reason)
	}
	if len(s.Reasons) == 0 {
		s.Reasons = append(s.Reasons, "No scoring signals in the data available so far")
	}
	return s
}

// TierFor is the tier and its name for a score value: the model's one
// table of thresholds.
func TierFor(value int) (int, string) {
	last := len(scoreTiers) - 1
	for _, t := range scoreTiers[:last] {
		if value >= t.min {
			return t.tier, t.name
		}
	}
	return scoreTiers[last].tier, scoreTiers[last].name
}
