package postgres_test

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections"
	"github.com/partnerforge/partnerforge/projections/projectiontest"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// listFixture imports n targets whose every sort key has ties (few distinct
// values) and NULLs (every fifth target lacks each key, at different
// targets per key), so that paging must break ties and cross from the keyed
// rows to the NULL ones.
func listFixture(t *testing.T, n int) (*pgtest.Database, *projections.Runner, []domain.TargetProfile) {
	t.Helper()
	d := pgtest.NewDB(t)
	store := postgres.NewEventStore(d.Pool)
	base := time.Date(2025, 3, 1, 12, 0, 0, 123456000, time.UTC)
	verticals := []string{"Fashion", "Home", "Sport"}
	countries := []string{"US", "DE", "FR", "GB"}
	profiles := make([]domain.TargetProfile, n)
	for i := range profiles {
		p := projectiontest.Profile(fmt.Sprintf("t%03d-%c.com", (i*37)%n, 'a'+rune(i%3)),
			[]string{"Acme", "ACME", "Bolt", "crate & co", "Delta"}[i%5], verticals[i%3], countries[i%4], int64(40+(i%4)*15))
		if i%5 == 1 {
			p.CompanyName = ""
		}
		if i%5 == 2 {
			p.ICPScore, p.ICPTier = nil, nil
		}
		if i%5 == 3 {
			p.SWMonthlyVisits = nil
		}
		if i%5 != 4 {
			rev := float64(i%3) * 1.5e8
			p.Revenue = &rev
		}
		if i%5 != 0 {
			at := base.Add(time.Duration(i%4) * time.Hour)
			p.LastEnriched = &at
		}
		profiles[i] = p
	}
	projectiontest.Import(t, store, uuid.New(), profiles...)
	r, err := projections.NewRunner(d.Pool, projections.Config{}, projections.All()...)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d, r, profiles
}

// listKeys read each sort key of a summary as the list orders it: numbers
// as numbers, names lower-cased (the fixture's names are ASCII, where Go
// and PostgreSQL agree), ok false for NULL.
var listKeys = map[string]func(readmodel.TargetSummary) (n float64, s string, ok bool){
	readmodel.SortScore: func(x readmodel.TargetSummary) (float64, string, bool) {
		if x.ICPScore == nil {
			return 0, "", false
		}
		return float64(*x.ICPScore), "", true
	},
	readmodel.SortVisits: func(x readmodel.TargetSummary) (float64, string, bool) {
		if x.SWMonthlyVisits == nil {
			return 0, "", false
		}
		return float64(*x.SWMonthlyVisits), "", true
	},
	readmodel.SortRevenue: func(x readmodel.TargetSummary) (float64, string, bool) {
		if x.Revenue == nil {
			return 0, "", false
		}
		return *x.Revenue, "", true
	},
	readmodel.SortLastEnriched: func(x readmodel.TargetSummary) (float64, string, bool) {
		if x.LastEnriched == nil {
			return 0, "", false
		}
		return float64(x.LastEnriched.UnixMicro()), "", true
	},
	readmodel.SortCompanyName: func(x readmodel.TargetSummary) (float64, string, bool) {
		if x.CompanyName == nil {
			return 0, "", false
		}
		return 0, strings.ToLower(*x.CompanyName), true
	},
	readmodel.SortDomain: func(x readmodel.TargetSummary) (float64, string, bool) { return 0, x.Domain, true },
}

// expectedOrder sorts the summaries as the list must: by key, ties by
// domain, both in the direction asked, NULL keys last either way.
func expectedOrder(all []readmodel.TargetSummary, sort string, desc bool) []string {
	key := listKeys[sort]
	sorted := slices.Clone(all)
	slices.SortFunc(sorted, func(a, b readmodel.TargetSummary) int {
		an, as, aok := key(a)
		bn, bs, bok := key(b)
		if aok != bok {
			if aok {
				return -1
			}
			return 1
		}
		c := cmp.Or(cmp.Compare(an, bn), cmp.Compare(as, bs), cmp.Compare(a.Domain, b.Domain))
		if desc {
			c = -c
		}
		return c
	})
	out := make([]string, len(sorted))
	for i, s := range sorted {
		out[i] = s.Domain
	}
	return out
}

func domainsOf(s []readmodel.TargetSummary) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = x.Domain
	}
	return out
}

// walk reads the whole list page by page, by cursor or by page number.
func walk(t *testing.T, rm *postgres.ReadModels, f readmodel.TargetFilter, byCursor bool) (domains []string, pages []readmodel.TargetPage) {
	t.Helper()
	f.Page = 1
	for range 1000 {
		page, err := rm.ListTargets(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, page)
		domains = append(domains, domainsOf(page.Targets)...)
		if page.NextCursor == "" {
			return domains, pages
		}
		if byCursor {
			f.Cursor = page.NextCursor
		} else {
			f.Page++
		}
	}
	t.Fatal("the list never ends")
	return nil, nil
}

func TestTargetListPaging(t *testing.T) {
	t.Parallel()
	const n = 41
	d, _, _ := listFixture(t, n)
	rm := postgres.NewReadModels(d.Pool)
	all, err := rm.ListTargets(context.Background(), readmodel.TargetFilter{Page: 1, PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Targets) != n || all.Total != n || all.NextCursor != "" {
		t.Fatalf("whole list: %d targets, total %d, next %q", len(all.Targets), all.Total, all.NextCursor)
	}
	for _, sort := range readmodel.SortKeys {
		for _, desc := range []bool{false, true} {
			want := expectedOrder(all.Targets, sort, desc)
			for _, perPage := range []int{1, 4, 7, n} {
				t.Run(fmt.Sprintf("%s desc=%v per_page=%d", sort, desc, perPage), func(t *testing.T) {
					t.Parallel()
					f := readmodel.TargetFilter{PerPage: perPage, Sort: sort, Descending: desc}
					byCursor, cursorPages := walk(t, rm, f, true)
					byNumber, numberPages := walk(t, rm, f, false)
					if !slices.Equal(byCursor, want) {
						t.Errorf("by cursor:\n got %v\nwant %v", byCursor, want)
					}
					if !slices.Equal(byNumber, want) {
						t.Errorf("by page number:\n got %v\nwant %v", byNumber, want)
					}
					if len(cursorPages) != (n+perPage-1)/perPage {
						t.Errorf("%d pages by cursor, want %d", len(cursorPages), (n+perPage-1)/perPage)
					}
					for i, p := range cursorPages {
						if p.Total != n || p.Offset != i*perPage {
							t.Errorf("cursor page %d: total %d, offset %d", i+1, p.Total, p.Offset)
						}
						if i < len(numberPages) && p.NextCursor != numberPages[i].NextCursor {
							t.Errorf("page %d: cursor %q by cursor, %q by number", i+1, p.NextCursor, numberPages[i].NextCursor)
						}
					}
				})
			}
		}
	}
}

func TestTargetListFiltersAndSearch(t *testing.T) {
	t.Parallel()
	const n = 41
	d, _, profiles := listFixture(t, n)
	rm := postgres.NewReadModels(d.Pool)
	tier2 := 2
	min55 := 55
	tests := []struct {
		name   string
		filter readmodel.TargetFilter
		match  func(domain.TargetProfile) bool
	}{
		{"vertical any case", readmodel.TargetFilter{Verticals: []string{"fashion", "SPORT"}},
			func(p domain.TargetProfile) bool { return p.Vertical == "Fashion" || p.Vertical == "Sport" }},
		{"country by name", readmodel.TargetFilter{Countries: []string{"Germany"}},
			func(p domain.TargetProfile) bool { return p.Country == "DE" }},
		{"tier", readmodel.TargetFilter{Tier: &tier2}, func(p domain.TargetProfile) bool {
			return p.ICPTier != nil && *p.ICPTier == 2
		}},
		{"score and search on name", readmodel.TargetFilter{ScoreMin: &min55, Search: "cme"}, func(p domain.TargetProfile) bool {
			return p.ICPScore != nil && *p.ICPScore >= 55 && strings.Contains(strings.ToLower(p.CompanyName), "cme")
		}},
		{"search on domain", readmodel.TargetFilter{Search: "-B.COM"}, func(p domain.TargetProfile) bool {
			return strings.HasSuffix(p.Domain, "-b.com")
		}},
		{"search takes & literally", readmodel.TargetFilter{Search: "& co"}, func(p domain.TargetProfile) bool {
			return p.CompanyName == "crate & co"
		}},
		{"partner tech", readmodel.TargetFilter{PartnerTech: "shopify"}, func(domain.TargetProfile) bool { return true }},
		{"partner tech none", readmodel.TargetFilter{PartnerTech: "Magento"}, func(domain.TargetProfile) bool { return false }},
	}
	for _, tt := range tests {
		for _, sort := range []string{readmodel.SortScore, readmodel.SortCompanyName, readmodel.SortLastEnriched} {
			t.Run(tt.name+" by "+sort, func(t *testing.T) {
				t.Parallel()
				var want []string
				for _, p := range profiles {
					if tt.match(p) {
						want = append(want, p.Domain)
					}
				}
				f := tt.filter
				f.PerPage, f.Sort, f.Descending = 3, sort, true
				got, pages := walk(t, rm, f, true)
				if len(want) > 0 && len(want) < 2 {
					t.Fatalf("the fixture should give this filter a few rows, not %d", len(want))
				}
				slices.Sort(want)
				sorted := slices.Sorted(slices.Values(got))
				if !slices.Equal(sorted, want) {
					t.Errorf("got %v, want %v", sorted, want)
				}
				if len(got) != len(sorted) || len(slices.Compact(sorted)) != len(got) {
					t.Errorf("a target listed twice: %v", got)
				}
				for _, p := range pages {
					if p.Total != len(want) {
						t.Errorf("total %d, want %d", p.Total, len(want))
					}
				}
			})
		}
	}
}

func TestTargetListCursorIsChecked(t *testing.T) {
	t.Parallel()
	d, _, _ := listFixture(t, 10)
	rm := postgres.NewReadModels(d.Pool)
	ctx := context.Background()
	first, err := rm.ListTargets(ctx, readmodel.TargetFilter{Page: 1, PerPage: 3, Sort: readmodel.SortScore, Descending: true})
	if err != nil || first.NextCursor == "" {
		t.Fatalf("first page: %v, next %q", err, first.NextCursor)
	}
	for name, f := range map[string]readmodel.TargetFilter{
		"other sort":  {PerPage: 3, Sort: readmodel.SortRevenue, Descending: true, Cursor: first.NextCursor},
		"other order": {PerPage: 3, Sort: readmodel.SortScore, Cursor: first.NextCursor},
		"not base64":  {PerPage: 3, Sort: readmodel.SortScore, Descending: true, Cursor: "%%%"},
		"bad key":     {PerPage: 3, Sort: readmodel.SortScore, Descending: true, Cursor: cursorOf(`{"s":"icp_score","r":true,"k":"x","d":"a.com","o":3}`)},
		"score past int32": {PerPage: 3, Sort: readmodel.SortScore, Descending: true,
			Cursor: cursorOf(`{"s":"icp_score","r":true,"k":"99999999999","d":"a.com","o":3}`)},
		"time past any year": {PerPage: 3, Sort: readmodel.SortLastEnriched,
			Cursor: cursorOf(`{"s":"last_enriched","k":"9000000000000000000","d":"a.com","o":3}`)},
	} {
		if _, err := rm.ListTargets(ctx, f); !errors.Is(err, readmodel.ErrInvalidCursor) {
			t.Errorf("%s: %v, want ErrInvalidCursor", name, err)
		}
	}
}

func cursorOf(js string) string { return base64.RawURLEncoding.EncodeToString([]byte(js)) }

// The total is kept per filter and read-model version: an enrichment that
// moves a target into the tier is counted at once, on the same reader.
func TestTargetListTotalFollowsTheReadModel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, r, profiles := listFixture(t, 12)
	rm := postgres.NewReadModels(d.Pool)
	count := func(tier int) int {
		t.Helper()
		page, err := rm.ListTargets(ctx, readmodel.TargetFilter{Page: 1, PerPage: 50, Tier: &tier})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Targets) != page.Total {
			t.Fatalf("tier %d: %d targets listed, total %d", tier, len(page.Targets), page.Total)
		}
		return page.Total
	}
	before := map[int]int{}
	for tier := 1; tier <= 4; tier++ {
		before[tier] = count(tier)
		if again := count(tier); again != before[tier] {
			t.Fatalf("tier %d: total moved without a change: %d then %d", tier, before[tier], again)
		}
	}
	// The fixture's unscored targets have no tier; a full enrichment scores
	// one, and its score puts it in some tier. Enrich them all: the tier 1
	// count must then be whatever the read model says, right away.
	var enriched int
	for _, p := range profiles {
		if p.ICPScore == nil {
			projectiontest.RunJob(t, postgres.NewEventStore(d.Pool), projectiontest.Job{
				Domain: p.Domain, At: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), Fetched: projectiontest.AllFetched(), Profile: &p,
			})
			enriched++
		}
	}
	if enriched == 0 {
		t.Fatal("the fixture has no unscored target")
	}
	if err := r.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	changed := false
	for tier := 1; tier <= 4; tier++ {
		var want int
		if err := d.Pool.QueryRow(ctx, "SELECT count(*) FROM displacement_targets WHERE icp_tier = $1", tier).Scan(&want); err != nil {
			t.Fatal(err)
		}
		changed = changed || want != before[tier]
		if got := count(tier); got != want {
			t.Errorf("tier %d after the enrichment: total %d, want %d (was %d)", tier, got, want, before[tier])
		}
	}
	if !changed {
		t.Error("the enrichment changed no tier's count: the test proves nothing")
	}
}
