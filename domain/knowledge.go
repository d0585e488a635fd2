package domain

import (
	"time"

	"github.com/google/uuid"
)

// InputGroup names one group of scoring inputs. Each group is fed by one
// provider: tech by BuiltWith (whose answer may come from its SimilarWeb
// fallback), traffic by SimilarWeb, financials by Yahoo Finance. The values
// are keys of ScoreComputed.Sources: never rename them.
type InputGroup string

const (
	GroupTech       InputGroup = "tech"
	GroupTraffic    InputGroup = "traffic"
	GroupFinancials InputGroup = "financials"
)

// InputGroups lists every group in provider order.
var InputGroups = []InputGroup{GroupTech, GroupTraffic, GroupFinancials}

// Provider is the provider whose fetch feeds the group.
func (g InputGroup) Provider() Provider {
	switch g {
	case GroupTech:
		return ProviderBuiltWith
	case GroupTraffic:
		return ProviderSimilarWeb
	default:
		return ProviderYahooFinance
	}
}

// GroupOf is the input group a provider feeds.
func GroupOf(p Provider) InputGroup {
	switch p {
	case ProviderBuiltWith:
		return GroupTech
	case ProviderSimilarWeb:
		return GroupTraffic
	default:
		return GroupFinancials
	}
}

// InputSource says where one group of a score's inputs came from, so an
// auditor can follow a score back to the event that fed it.
type InputSource struct {
	// Source is the provider that answered ("builtwith", "similarweb" — also
	// for BuiltWith's fallback —, "yahoo_finance"), SourceProfile or
	// SourceNone.
	Source string `json:"source"`
	// EventID is the ProviderFetched or TargetImported event the data is
	// from; zero for SourceNone.
	EventID uuid.UUID `json:"event_id,omitzero"`
	// JobID is the job that fetched the data; zero for the imported profile.
	JobID uuid.UUID `json:"job_id,omitzero"`
	// At is when the data was fetched or imported.
	At time.Time `json:"at,omitzero"`
	// AgeSeconds is how old the data was when the score was computed.
	AgeSeconds int64 `json:"age_seconds"`
}

// fetched reports whether the source is a provider fetch.
func (s InputSource) fetched() bool { return s.JobID != uuid.Nil }

// Knowledge is everything known about a target before a job ends: its
// imported profile and, per input group, the newest earlier fetch. A job's
// own fetches take precedence over it when the job is scored.
type Knowledge struct {
	Profile *TargetProfile
	// ProfileEvent and ProfileAt identify the TargetImported event.
	ProfileEvent uuid.UUID
	ProfileAt    time.Time
	Prior        map[InputGroup]Fetch
}

// Enrichment levels: how much is known of a target.
const (
	LevelFull     = "full"     // tech stack, traffic and financials
	LevelStandard = "standard" // tech stack and traffic
	LevelBasic    = "basic"    // anything less
)

// LevelOf names how complete the knowledge a score was computed from is.
// Data from the imported profile counts: the level says what is known, not
// what the last job fetched, so a partial refresh never lowers it.
func LevelOf(sources map[InputGroup]InputSource) string {
	known := func(g InputGroup) bool {
		s := sources[g].Source
		return s != "" && s != SourceNone
	}
	switch {
	case known(GroupTech) && known(GroupTraffic) && known(GroupFinancials):
		return LevelFull
	case known(GroupTech) && known(GroupTraffic):
		return LevelStandard
	}
	return LevelBasic
}

// LevelRank orders levels, so a read model can keep the higher of two; an
// unknown label ranks lowest.
func LevelRank(level string) int {
	switch level {
	case LevelFull:
		return 3
	case LevelStandard:
		return 2
	case LevelBasic:
		return 1
	}
	return 0
}

// definitive failure codes say the provider has nothing for this target:
// asking again soon would spend a call for the same answer.
func definitive(c FailureCode) bool { return c == FailureNotFound || c == FailureNoTicker }
