package httpapi

import (
	"cmp"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partnerforge/partnerforge/projections/readmodel"
)

func TestReadRoutes(t *testing.T) {
	rs := newReadServer(t)
	var all TargetList
	if rs.get(t, targetsPath("per_page", "200", "sort", "domain"), &all) != http.StatusOK {
		t.Fatal("list all targets failed")
	}
	if len(all.Data) != len(readFixture) || all.Pagination.Total != len(readFixture) {
		t.Fatalf("listed %d of %d targets (total %d)", len(all.Data), len(readFixture), all.Pagination.Total)
	}

	t.Run("targets filters", func(t *testing.T) { t.Parallel(); testTargetFilters(t, rs, all.Data) })
	t.Run("targets sorts", func(t *testing.T) { t.Parallel(); testTargetSorts(t, rs) })
	t.Run("targets pagination", func(t *testing.T) { t.Parallel(); testTargetPagination(t, rs) })
	t.Run("targets bad parameters", func(t *testing.T) { t.Parallel(); testTargetBadParams(t, rs) })
	t.Run("targets by cursor", func(t *testing.T) { t.Parallel(); testTargetCursor(t, rs) })
	t.Run("companies", func(t *testing.T) { t.Parallel(); testCompanies(t, rs) })
	t.Run("stats", func(t *testing.T) { t.Parallel(); testStats(t, rs, all.Data) })
	t.Run("jobs", func(t *testing.T) { t.Parallel(); testJobs(t, rs) })
}

func testTargetFilters(t *testing.T, rs *readServer, all []readmodel.TargetSummary) {
	in := func(p *string, vs ...string) bool { return p != nil && slices.Contains(vs, *p) }
	scoreIn := func(s readmodel.TargetSummary, lo, hi int) bool {
		return s.ICPScore != nil && *s.ICPScore >= lo && *s.ICPScore <= hi
	}
	tests := []struct {
		name   string
		params []string
		keep   func(readmodel.TargetSummary) bool
	}{
		{"tier", []string{"tier", "1"}, func(s readmodel.TargetSummary) bool { return s.ICPTier != nil && *s.ICPTier == 1 }},
		{"score range", []string{"score_min", "40", "score_max", "72"}, func(s readmodel.TargetSummary) bool { return scoreIn(s, 40, 72) }},
		{"score floor", []string{"score_min", "60"}, func(s readmodel.TargetSummary) bool { return scoreIn(s, 60, 100) }},
		{"score equal bounds", []string{"score_min", "84", "score_max", "84"}, func(s readmodel.TargetSummary) bool { return scoreIn(s, 84, 84) }},
		{"verticals", []string{"vertical", "Fashion", "vertical", "Home"}, func(s readmodel.TargetSummary) bool { return in(s.Vertical, "Fashion", "Home") }},
		{"countries", []string{"country", "DE", "country", "GB"}, func(s readmodel.TargetSummary) bool { return in(s.Country, "DE", "GB") }},
		{"vertical and country", []string{"vertical", "Fashion", "country", "DE"}, func(s readmodel.TargetSummary) bool {
			return in(s.Vertical, "Fashion") && in(s.Country, "DE")
		}},
		{"partner tech, any case, within a list", []string{"partner_tech", "shopify plus"}, func(s readmodel.TargetSummary) bool {
			return s.PartnerTech != nil && strings.Contains(*s.PartnerTech, "Shopify Plus")
		}},
		// Clean values and forgiving filters: the rows imported as "UK" and
		// "United States" are found by their ISO codes in any case, by name,
		// and a platform family finds its platforms.
		{"GB finds the rows imported as UK", []string{"country", "GB"}, domainsIn("echo-electronics.co.uk", "juliet-books.co.uk")},
		{"UK and a name find them too", []string{"country", "uk", "country", "United Kingdom"}, domainsIn("echo-electronics.co.uk", "juliet-books.co.uk")},
		{"country in lower case, rows imported as United States", []string{"country", "us"}, domainsIn(
			"alpha-outfitters.com", "bravo-home.com", "foxtrot-garden.com", "golf-grocers.com", "india-pets.com", "lima-100pct.com")},
		{"the docs' US and GB", []string{"country", "US", "country", "GB"}, domainsIn(
			"alpha-outfitters.com", "bravo-home.com", "echo-electronics.co.uk", "foxtrot-garden.com", "golf-grocers.com",
			"india-pets.com", "juliet-books.co.uk", "lima-100pct.com")},
		{"vertical in any case", []string{"vertical", "fashion", "vertical", "HOME"}, domainsIn(
			"alpha-outfitters.com", "bravo-home.com", "foxtrot-garden.com", "hotel-kids.de", "lima-100pct.com")},
		{"platform family", []string{"partner_tech", "Shopify"}, domainsIn(
			"alpha-outfitters.com", "bravo-home.com", "golf-grocers.com", "india-pets.com", "lima-100pct.com")},
		{"platform by vendor", []string{"partner_tech", "adobe"}, domainsIn("bravo-home.com")},
		{"platform needs whole words", []string{"partner_tech", "Shop"}, domainsIn()},
		{"a longer name does not find a shorter one", []string{"partner_tech", "Shopware Plus"}, domainsIn()},
		{"search by name, any case", []string{"search", "OUTFIT"}, func(s readmodel.TargetSummary) bool { return s.Domain == "alpha-outfitters.com" }},
		{"search by domain", []string{"search", ".co.uk"}, func(s readmodel.TargetSummary) bool { return strings.HasSuffix(s.Domain, ".co.uk") }},
		{"search with a wildcard taken literally", []string{"search", "100%"}, func(s readmodel.TargetSummary) bool { return s.Domain == "lima-100pct.com" }},
		{"search for an underscore", []string{"search", "_"}, func(readmodel.TargetSummary) bool { return false }},
		{"nothing matches", []string{"vertical", "Aerospace"}, func(readmodel.TargetSummary) bool { return false }},
		{"blank filters are ignored", []string{"search", " ", "vertical", ""}, func(readmodel.TargetSummary) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got TargetList
			path := targetsPath(append(tt.params, "per_page", "200", "sort", "domain")...)
			if status := rs.get(t, path, &got); status != http.StatusOK {
				t.Fatalf("GET %s: %d", path, status)
			}
			var want []string
			for _, s := range all {
				if tt.keep(s) {
					want = append(want, s.Domain)
				}
			}
			var domains []string
			for _, s := range got.Data {
				domains = append(domains, s.Domain)
			}
			if !slices.Equal(domains, want) || got.Pagination.Total != len(want) {
				t.Errorf("GET %s: %v (total %d), want %v", path, domains, got.Pagination.Total, want)
			}
			if len(want) == 0 && got.Data == nil {
				t.Error("empty page encoded as null, want []")
			}
		})
	}
}

// domainsIn keeps exactly the named targets.
func domainsIn(domains ...string) func(readmodel.TargetSummary) bool {
	return func(s readmodel.TargetSummary) bool { return slices.Contains(domains, s.Domain) }
}

// sortKey extracts a summary's sort value; ok is false for NULL.
type sortKey func(readmodel.TargetSummary) (v string, n float64, ok bool)

func testTargetSorts(t *testing.T, rs *readServer) {
	num := func(f func(readmodel.TargetSummary) *float64) sortKey {
		return func(s readmodel.TargetSummary) (string, float64, bool) {
			if p := f(s); p != nil {
				return "", *p, true
			}
			return "", 0, false
		}
	}
	keys := map[string]sortKey{
		"icp_score": num(func(s readmodel.TargetSummary) *float64 { return floatOf(s.ICPScore) }),
		"sw_monthly_visits": num(func(s readmodel.TargetSummary) *float64 {
			if s.SWMonthlyVisits == nil {
				return nil
			}
			v := float64(*s.SWMonthlyVisits)
			return &v
		}),
		"revenue": num(func(s readmodel.TargetSummary) *float64 { return s.Revenue }),
		"last_enriched": func(s readmodel.TargetSummary) (string, float64, bool) {
			if s.LastEnriched == nil {
				return "", 0, false
			}
			return s.LastEnriched.UTC().Format(time.RFC3339Nano), 0, true
		},
		"company_name": func(s readmodel.TargetSummary) (string, float64, bool) {
			if s.CompanyName == nil {
				return "", 0, false
			}
			return strings.ToLower(*s.CompanyName), 0, true
		},
		"domain": func(s readmodel.TargetSummary) (string, float64, bool) { return s.Domain, 0, true },
	}
	for _, sort := range readmodel.SortKeys {
		for _, order := range []string{"asc", "desc"} {
			t.Run(sort+" "+order, func(t *testing.T) {
				t.Parallel()
				var got TargetList
				if rs.get(t, targetsPath("sort", sort, "order", order, "per_page", "200"), &got) != http.StatusOK {
					t.Fatal("list failed")
				}
				if len(got.Data) != len(readFixture) {
					t.Fatalf("%d targets, want %d", len(got.Data), len(readFixture))
				}
				checkOrder(t, got.Data, keys[sort], order == "desc")
			})
		}
	}
	t.Run("default is best score first", func(t *testing.T) {
		t.Parallel()
		var got TargetList
		rs.get(t, "/api/targets", &got)
		checkOrder(t, got.Data, keys["icp_score"], true)
	})
}

func floatOf(p *int) *float64 {
	if p == nil {
		return nil
	}
	f := float64(*p)
	return &f
}

// checkOrder asserts NULLs last, values in order and ties by domain in the
// same direction.
func checkOrder(t *testing.T, data []readmodel.TargetSummary, key sortKey, desc bool) {
	t.Helper()
	for i := 1; i < len(data); i++ {
		a, b := data[i-1], data[i]
		as, an, aok := key(a)
		bs, bn, bok := key(b)
		var c int
		switch {
		case aok && !bok:
			c = -1
		case !aok && bok:
			t.Fatalf("NULL %s before %s", a.Domain, b.Domain)
		case aok && bok:
			c = cmp.Or(cmp.Compare(an, bn), cmp.Compare(as, bs))
			if desc {
				c = -c
			}
		}
		tie := cmp.Compare(a.Domain, b.Domain)
		if desc {
			tie = -tie
		}
		if c > 0 || c == 0 && tie > 0 {
			t.Fatalf("%s (%s %v) before %s (%s %v)", a.Domain, as, an, b.Domain, bs, bn)
		}
	}
}

func testTargetPagination(t *testing.T, rs *readServer) {
	n := len(readFixture)
	tests := []struct {
		page, perPage       int
		wantLen, wantPages  int
		wantFirst, wantLast int // indexes into the domain-sorted fixture
	}{
		{1, 5, 5, 3, 0, 4},
		{3, 5, n - 10, 3, 10, n - 1}, // the last, partial page
		{2, n, 0, 1, -1, -1},         // one past the end
		{99, 5, 0, 3, -1, -1},        // far past the end
		{1, 200, n, 1, 0, n - 1},
		{1, 1, 1, n, 0, 0},
	}
	domains := make([]string, n)
	for i, f := range readFixture {
		domains[i] = f.domain
	}
	slices.Sort(domains)
	for _, tt := range tests {
		t.Run("page "+strconv.Itoa(tt.page)+" of "+strconv.Itoa(tt.perPage), func(t *testing.T) {
			t.Parallel()
			var got TargetList
			path := targetsPath("sort", "domain", "page", strconv.Itoa(tt.page), "per_page", strconv.Itoa(tt.perPage))
			if rs.get(t, path, &got) != http.StatusOK {
				t.Fatal("list failed")
			}
			want := Pagination{Page: tt.page, PerPage: tt.perPage, Total: n, TotalPages: tt.wantPages}
			if more := tt.page*tt.perPage < n; more != (got.Pagination.NextCursor != "") {
				t.Errorf("GET %s: next cursor %q, want one: %v", path, got.Pagination.NextCursor, more)
			}
			got.Pagination.NextCursor = ""
			if got.Pagination != want || len(got.Data) != tt.wantLen {
				t.Fatalf("GET %s: %d rows, %+v; want %d rows, %+v", path, len(got.Data), got.Pagination, tt.wantLen, want)
			}
			if tt.wantLen > 0 && (got.Data[0].Domain != domains[tt.wantFirst] || got.Data[len(got.Data)-1].Domain != domains[tt.wantLast]) {
				t.Errorf("GET %s: rows %s … %s", path, got.Data[0].Domain, got.Data[len(got.Data)-1].Domain)
			}
			if got.Data == nil {
				t.Error("data is null, want []")
			}
		})
	}
}

func testTargetBadParams(t *testing.T, rs *readServer) {
	tests := []struct{ query, param string }{
		{"page=0", "page"},
		{"page=-3", "page"},
		{"page=two", "page"},
		{"page=1&page=2", "page"},
		{"page=99999999999", "page"},
		{"per_page=0", "per_page"},
		{"per_page=201", "per_page"},
		{"per_page=ten", "per_page"},
		{"tier=0", "tier"},
		{"tier=5", "tier"},
		{"tier=1.5", "tier"},
		{"tier=", "tier"},
		{"score_min=-1", "score_min"},
		{"score_max=101", "score_max"},
		{"score_min=70&score_max=60", "score_min"},
		{"sort=bogus", "sort"},
		{"sort=ICP_SCORE", "sort"},
		{"order=up", "order"},
		{"search=" + strings.Repeat("x", 201), "search"},
		{"vertical=" + strings.Repeat("x", 201), "vertical"},
		{"verticals=Fashion", "verticals"},
		{"tier=1&zzz=1&aaa=2", "aaa"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			rs.wantError(t, "/api/targets?"+tt.query, http.StatusBadRequest, CodeInvalidParameter, tt.param)
		})
	}
}

func testCompanies(t *testing.T, rs *readServer) {
	for _, spelling := range []string{"bravo-home.com", "Bravo-Home.COM", "www.bravo-home.com", "WWW.BRAVO-HOME.COM."} {
		t.Run(spelling, func(t *testing.T) {
			t.Parallel()
			var got readmodel.Target
			if status := rs.get(t, "/api/companies/"+spelling, &got); status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			if got.Domain != "bravo-home.com" || got.CompanyName == nil || *got.CompanyName != "bravo home" {
				t.Errorf("got %s %v", got.Domain, got.CompanyName)
			}
			if got.PartnerTech == nil || *got.PartnerTech != "Adobe AEM, Shopify Plus" {
				t.Errorf("partner_tech %v, want each platform once", got.PartnerTech)
			}
			if got.ImportBatchID == nil || got.LastJobID == nil || got.ScoreModelVersion == nil || len(got.TechStackJSON) == 0 {
				t.Errorf("enriched record incomplete: batch %v job %v model %v", got.ImportBatchID, got.LastJobID, got.ScoreModelVersion)
			}
		})
	}
	t.Run("unknown", func(t *testing.T) {
		t.Parallel()
		rs.wantError(t, "/api/companies/www.unlisted-example.com", http.StatusNotFound, CodeNotFound, "")
	})
	for _, bad := range []string{"not_a_domain", "localhost", "a..b.com", "192.168.0.1"} {
		t.Run("invalid "+bad, func(t *testing.T) {
			t.Parallel()
			rs.wantError(t, "/api/companies/"+bad, http.StatusBadRequest, CodeInvalidDomain, "domain")
		})
	}
}

func testStats(t *testing.T, rs *readServer, all []readmodel.TargetSummary) {
	var got readmodel.Stats
	if rs.get(t, "/api/stats", &got) != http.StatusOK {
		t.Fatal("stats failed")
	}
	want := readmodel.Stats{Total: len(all), ByTier: map[string]int{}, ByVertical: map[string]int{}, ByCountry: map[string]int{}, ByEnrichmentLevel: map[string]int{}}
	key := func(p *string) string {
		if p == nil {
			return readmodel.UnknownKey
		}
		return *p
	}
	for _, s := range all {
		tier := readmodel.UnknownKey
		if s.ICPTier != nil {
			tier = strconv.Itoa(*s.ICPTier)
		}
		want.ByTier[tier]++
		want.ByVertical[key(s.Vertical)]++
		want.ByCountry[key(s.Country)]++
		want.ByEnrichmentLevel[key(s.EnrichmentLevel)]++
	}
	if mustMarshal(t, got) != mustMarshal(t, want) {
		t.Errorf("stats = %s\nwant %s", mustMarshal(t, got), mustMarshal(t, want))
	}
	if got.ByEnrichmentLevel["full"] != 3 || got.ByCountry[readmodel.UnknownKey] != 1 {
		t.Errorf("enrichment levels %v, countries %v", got.ByEnrichmentLevel, got.ByCountry)
	}
	// One key per country: "United States" counts as US, "UK" as GB.
	wantCountries := map[string]int{"US": 6, "GB": 2, "DE": 2, "FR": 1, readmodel.UnknownKey: 1}
	if !maps.Equal(got.ByCountry, wantCountries) {
		t.Errorf("countries %v, want %v", got.ByCountry, wantCountries)
	}
}

// JSON answers keep &, < and > as written: gin's c.JSON would send
// "Foxtrot Home \u0026 Garden".
func TestJSONIsNotHTMLEscaped(t *testing.T) {
	rs := newReadServer(t)
	for _, path := range []string{
		"/api/targets?search=foxtrot",
		"/api/companies/foxtrot-garden.com",
		"/api/targets?%3Cb%3E=1", // an error message that quotes the parameter
	} {
		t.Run(path, func(t *testing.T) {
			resp, err := http.Get(rs.url + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(path, "foxtrot") && !strings.Contains(string(body), "<b>") {
				t.Errorf("GET %s: body lacks the parameter as written: %s", path, body)
			}
			for _, escaped := range []string{`\u0026`, `\u003c`, `\u003e`} {
				if strings.Contains(string(body), escaped) {
					t.Errorf("GET %s: body has %s: %s", path, escaped, body)
				}
			}
			if strings.Contains(path, "foxtrot") && !strings.Contains(string(body), "Foxtrot Home & Garden") {
				t.Errorf("GET %s: body lacks the name as written: %s", path, body)
			}
		})
	}
}

// testTargetCursor follows next_cursor through the list: it lists every
// target once, in the order of the whole list, numbers its pages, and a
// cursor sent with another order is refused naming the parameter.
func testTargetCursor(t *testing.T, rs *readServer) {
	for _, order := range []string{"asc", "desc"} {
		var whole TargetList
		if rs.get(t, targetsPath("sort", "revenue", "order", order, "per_page", "200"), &whole) != http.StatusOK {
			t.Fatal("list failed")
		}
		var got []string
		cursor := ""
		for page := 1; ; page++ {
			params := []string{"sort", "revenue", "order", order, "per_page", "5"}
			if cursor != "" {
				params = append(params, "cursor", cursor)
			}
			var p TargetList
			if status := rs.get(t, targetsPath(params...), &p); status != http.StatusOK {
				t.Fatalf("page %d: status %d", page, status)
			}
			if p.Pagination.Page != page || p.Pagination.Total != len(whole.Data) {
				t.Errorf("page %d: pagination %+v", page, p.Pagination)
			}
			for _, x := range p.Data {
				got = append(got, x.Domain)
			}
			if cursor = p.Pagination.NextCursor; cursor == "" {
				break
			}
			if page > len(whole.Data) {
				t.Fatal("the cursor never ends")
			}
		}
		var want []string
		for _, x := range whole.Data {
			want = append(want, x.Domain)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s by cursor:\n got %v\nwant %v", order, got, want)
		}
	}
	var first TargetList
	rs.get(t, targetsPath("sort", "revenue", "per_page", "2"), &first)
	var e ErrorBody
	if status := rs.get(t, targetsPath("sort", "revenue", "order", "asc", "cursor", first.Pagination.NextCursor), &e); status != http.StatusBadRequest ||
		e.Error.Code != CodeInvalidParameter || e.Error.Details["parameter"] != "cursor" {
		t.Errorf("cursor of another order: %d %+v", status, e)
	}
}
