package domain_test

import (
	"testing"

	"github.com/partnerforge/partnerforge/domain"
)

func TestLevelOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		inputs map[string]string
		want   string
	}{
		{map[string]string{"tech": "builtwith", "traffic": "similarweb", "financials": "yahoo_finance"}, domain.LevelFull},
		{map[string]string{"tech": "similarweb", "traffic": "imported_profile", "financials": "imported_profile"}, domain.LevelFull},
		{map[string]string{"tech": "builtwith", "traffic": "similarweb", "financials": "none"}, domain.LevelStandard},
		{map[string]string{"tech": "builtwith", "traffic": "none", "financials": "yahoo_finance"}, domain.LevelBasic},
		{map[string]string{"traffic": "similarweb"}, domain.LevelBasic},
		{nil, domain.LevelBasic},
	}
	for _, tt := range tests {
		if got := domain.LevelOf(sourcesNamed(tt.inputs)); got != tt.want {
			t.Errorf("LevelOf(%v) = %s, want %s", tt.inputs, got, tt.want)
		}
	}
}

// sourcesNamed is sources with only their names, as a table reads best.
func sourcesNamed(names map[string]string) map[domain.InputGroup]domain.InputSource {
	if names == nil {
		return nil
	}
	out := make(map[domain.InputGroup]domain.InputSource, len(names))
	for g, n := range names {
		out[domain.InputGroup(g)] = domain.InputSource{Source: n}
	}
	return out
}

func TestLevelRankOrdersLevels(t *testing.T) {
	t.Parallel()
	order := []string{"", domain.LevelBasic, domain.LevelStandard, domain.LevelFull}
	for i := 1; i < len(order); i++ {
		if domain.LevelRank(order[i-1]) >= domain.LevelRank(order[i]) {
			t.Errorf("rank(%q) = %d is not below rank(%q) = %d", order[i-1], domain.LevelRank(order[i-1]), order[i], domain.LevelRank(order[i]))
		}
	}
}
