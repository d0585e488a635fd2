package domain

import (
	"encoding/json"
	"strings"
	"time"
)

// Sources of a score's inputs besides the providers, as recorded in
// ScoreComputed.Sources.
const (
	SourceProfile = "imported_profile"
	SourceNone    = "none"
)

// Fetch is one provider's answer for an input group and where it is from.
type Fetch struct {
	Source InputSource
	Data   ProviderData
}

// ScoreInputFor builds the scoring input from everything known about a
// target: for each input group, this job's fetch, else the newest earlier
// fetch, else the imported profile. A partial refresh therefore never
// forgets what an earlier job or the import told us. Financial figures a
// provider leaves out (zero revenue or margin means "not reported") are
// taken from the next source that has them, as the read model does.
//
// It returns, per group, where the data came from and how old it was at now.
func ScoreInputFor(k Knowledge, current map[InputGroup]Fetch, now time.Time) (ScoreInput, map[InputGroup]InputSource) {
	var in ScoreInput
	sources := make(map[InputGroup]InputSource, len(InputGroups))
	var layers [][]Fetch // per group, newest first
	for _, g := range InputGroups {
		var l []Fetch
		if f, ok := current[g]; ok && f.Data.For(g) {
			l = append(l, f)
		}
		if f, ok := k.Prior[g]; ok && f.Data.For(g) {
			l = append(l, f)
		}
		layers = append(layers, l)
		src := InputSource{Source: SourceNone}
		if len(l) > 0 {
			src = l[0].Source
		}
		sources[g] = src
	}
	if tech := layers[0]; len(tech) > 0 {
		in.Tech = tech[0].Data.Tech
	}
	if traffic := layers[1]; len(traffic) > 0 {
		in.Traffic = traffic[0].Data.Traffic
	}
	if fin := layers[2]; len(fin) > 0 {
		merged := *fin[0].Data.Financials
		for _, older := range fin[1:] {
			fillFinancials(&merged, *older.Data.Financials)
		}
		in.Financials = &merged
	}

	profileSource := InputSource{Source: SourceProfile, EventID: k.ProfileEvent, At: k.ProfileAt}
	if p := k.Profile; p != nil {
		in.Vertical, in.Country, in.CurrentSearch = p.Vertical, p.Country, p.CurrentSearch
		for _, name := range strings.Split(p.PartnerTech, ",") {
			if name = strings.TrimSpace(name); name != "" {
				in.PartnerTech = append(in.PartnerTech, name)
			}
		}
		in.TriggerEvents = stringList(p.TriggerEvents)
		in.HiringSignals = stringList(p.HiringSignals)
		if p.TechSpend != nil {
			in.TechSpend = *p.TechSpend
		}
		if in.Tech == nil && p.CurrentSearch != "" {
			sources[GroupTech] = profileSource
		}
		if in.Traffic == nil && p.SWMonthlyVisits != nil {
			in.Traffic = trafficFromProfile(p)
			sources[GroupTraffic] = profileSource
		}
		fromProfile := Financials{Ticker: p.Ticker, Revenue: deref(p.Revenue), GrossMargin: deref(p.GrossMargin)}
		switch {
		case in.Financials != nil:
			fillFinancials(in.Financials, fromProfile)
		case p.Revenue != nil:
			in.Financials = &fromProfile
			sources[GroupFinancials] = profileSource
		}
	}
	for g, s := range sources {
		if !s.At.IsZero() {
			s.AgeSeconds = max(0, int64(now.Sub(s.At)/time.Second))
			sources[g] = s
		}
	}
	return in, sources
}

// fillFinancials completes f with the figures it lacks from an older answer.
func fillFinancials(f *Financials, older Financials) {
	if f.Ticker == "" {
		f.Ticker = older.Ticker
	}
	if f.Revenue == 0 {
		f.Revenue = older.Revenue
	}
	if f.GrossMargin == 0 {
		f.GrossMargin = older.GrossMargin
	}
}

// For reports whether d holds the data of input group g.
func (d ProviderData) For(g InputGroup) bool {
	switch g {
	case GroupTech:
		return d.Tech != nil
	case GroupTraffic:
		return d.Traffic != nil
	default:
		return d.Financials != nil
	}
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
