package domain

import (
	"encoding/json"
	"strings"
)

// Sources of a score's inputs, as recorded in ScoreComputed.Inputs.
const (
	SourceProfile = "imported_profile"
	SourceNone    = "none"
)

// ScoreInputFor builds the scoring input from what a job fetched, falling
// back to the imported profile for anything no provider delivered this time:
// the score reflects the best knowledge at hand. The returned map names the
// source of each input group ("tech", "traffic", "financials").
func ScoreInputFor(profile *TargetProfile, fetched []ProviderData) (ScoreInput, map[string]string) {
	var in ScoreInput
	sources := map[string]string{"tech": SourceNone, "traffic": SourceNone, "financials": SourceNone}
	for _, d := range fetched {
		switch {
		case d.Tech != nil:
			in.Tech = d.Tech
			sources["tech"] = d.Tech.Source
		case d.Traffic != nil:
			in.Traffic = d.Traffic
			sources["traffic"] = string(ProviderSimilarWeb)
		case d.Financials != nil:
			in.Financials = d.Financials
			sources["financials"] = string(ProviderYahooFinance)
		}
	}
	if profile == nil {
		return in, sources
	}
	in.Vertical, in.Country, in.CurrentSearch = profile.Vertical, profile.Country, profile.CurrentSearch
	for _, p := range strings.Split(profile.PartnerTech, ",") {
		if p = strings.TrimSpace(p); p != "" {
			in.PartnerTech = append(in.PartnerTech, p)
		}
	}
	in.TriggerEvents = stringList(profile.TriggerEvents)
	in.HiringSignals = stringList(profile.HiringSignals)
	if profile.TechSpend != nil {
		in.TechSpend = *profile.TechSpend
	}
	if in.Tech == nil && profile.CurrentSearch != "" {
		sources["tech"] = SourceProfile
	}
	if in.Traffic == nil && profile.SWMonthlyVisits != nil {
		in.Traffic = trafficFromProfile(profile)
		sources["traffic"] = SourceProfile
	}
	if in.Financials == nil && profile.Revenue != nil {
		in.Financials = &Financials{Ticker: profile.Ticker, Revenue: *profile.Revenue, GrossMargin: deref(profile.GrossMargin)}
		sources["financials"] = SourceProfile
	}
	return in, sources
}

func trafficFromProfile(p *TargetProfile) *Traffic {
	t := &Traffic{
		MonthlyVisits:      *p.SWMonthlyVisits,
		BounceRate:         deref(p.SWBounceRate),
		PagesPerVisit:      deref(p.SWPagesPerVisit),
		SearchTrafficShare: deref(p.SWSearchTrafficPct),
		// The legacy list kept growth in percentage points; Traffic uses
		// fractions.
		TrafficGrowth: deref(p.TrafficGrowth) / 100,
	}
	if p.SWAvgDuration != nil {
		t.AvgDurationSeconds = float64(*p.SWAvgDuration)
	}
	if p.SWRankGlobal != nil {
		t.GlobalRank = *p.SWRankGlobal
	}
	return t
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// stringList reads a JSON list of strings, tolerating a list of objects or
// scalars (their JSON text is used) and a lone string.
func stringList(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		var s string
		if json.Unmarshal(raw, &s) == nil && strings.TrimSpace(s) != "" {
			return []string{s}
		}
		return nil
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		var s string
		if json.Unmarshal(item, &s) != nil {
			s = string(item)
		}
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
