package legacysqlite

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// demoGen produces legacy rows from one random stream. Every choice draws
// from g.rng in a fixed order and nothing iterates a map, so a seed fixes the
// rows exactly.
type demoGen struct {
	rng     *rand.Rand
	n       int
	used    map[string]bool // domains handed out
	domains []string        // each row's domain as generated, before any respelling
	names   []string        // company names so far, for competitor lists
}

func newDemoGen(n int, seed int64) *demoGen {
	return &demoGen{rng: newRand(seed), n: n, used: map[string]bool{}}
}

// rows generates all rows, then plants the planned anomalies among them.
func (g *demoGen) rows(ctx context.Context) ([]legacyRow, error) {
	rows := make([]legacyRow, g.n)
	for i := range rows {
		if i%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rows[i] = g.row(int64(i + 1))
	}
	g.plantAnomalies(rows, g.domains)
	return rows, nil
}

// The legacy list was built between these dates.
var (
	demoStart = time.Date(2023, 1, 9, 0, 0, 0, 0, time.UTC)
	demoEnd   = time.Date(2024, 11, 29, 0, 0, 0, 0, time.UTC)
)

func (g *demoGen) row(id int64) legacyRow {
	c := pick(g.rng, countries)
	vert := pick(g.rng, verticals)
	plat := pick(g.rng, platforms)
	search := pick(g.rng, searchVendors)
	slug, name := g.company(c)
	dom := slug + c.tld
	pl := c.places[g.rng.IntN(len(c.places))]
	py := g.rng.Float64() < 0.05 // this row was written by a script that used str() instead of json.dumps

	r := legacyRow{ID: id, Domain: g.spell(dom), CompanyName: name, PartnerTech: plat.name, Vertical: vert.name,
		Country: c.code, City: pl.city, State: nullable(pl.state)}
	if c.code == "US" && g.rng.Float64() < 0.03 {
		r.Country = "United States"
	}
	if g.rng.Float64() < 0.04 {
		r.PartnerTech = "Adobe AEM, " + plat.name
	}

	spend := clamp(math.Round(g.logNormal(8000, 0.9)/100)*100, 500, 400_000)
	r.TechSpend = g.messyMoney(spend)
	r.Emails = structured(py, []any{"info@" + dom, pickOf(g.rng, []string{"sales@", "press@", "partners@", "hello@"}) + dom})
	r.Phones = g.phones(py, c.code)
	r.Socials = structured(py, obj{{"linkedin", "linkedin.com/company/" + slug}, {"instagram", "@" + strings.ReplaceAll(slug, "-", "")}})
	r.ExecTitles = structured(py, sample(g.rng, execTitles, 1+g.rng.IntN(3)))

	visits := clamp(math.Round(g.logNormal(600_000, 1.5)), 2_000, 900_000_000)
	r.Visits = g.messyCount(visits)
	r.Bounce = g.messyShare(round(clamp(0.47+0.09*g.rng.NormFloat64(), 0.15, 0.85), 4))
	r.PagesPerVisit = round(clamp(4.2+1.3*g.rng.NormFloat64(), 1.2, 12), 2)
	r.AvgDuration = int64(clamp(220+80*g.rng.NormFloat64(), 40, 900))
	share := round(clamp(0.35+0.1*g.rng.NormFloat64(), 0.05, 0.75), 4)
	r.SearchShare = g.messyShare(share)
	r.Rank = int64(max(1, math.Round(3e10/visits*math.Exp(0.3*g.rng.NormFloat64()))))
	if k := g.rng.IntN(3); k > 0 {
		r.CaseStudies = structured(py, sample(g.rng, caseStudies, k))
	}

	trafficPts := int(clamp((math.Log10(visits)-4)*8, 0, 30))
	adjust := g.rng.IntN(11) - 5
	score := int(clamp(float64(trafficPts+vert.points+plat.points+search.points+adjust), 0, 100))
	adjust = score - (trafficPts + vert.points + plat.points + search.points) // absorbs the clamp
	tier, tierName := icpTier(score)
	r.ICPScore, r.ICPTier, r.ICPTierName = int64(score), int64(tier), tierName
	r.LeadScore = int64(clamp(float64(score)+6*g.rng.NormFloat64(), 0, 100))
	r.ScoreBreakdown = structured(py, obj{{"traffic", trafficPts}, {"vertical", vert.points}, {"platform", plat.points}, {"search", search.points}, {"adjustment", adjust}})
	r.ScoreReasons = structured(py, []any{
		fmt.Sprintf("%s site on %s", vert.name, plat.name),
		fmt.Sprintf("Site's search drives %.0f%% of visits", share*100),
		"Current search: " + search.name,
	})

	created := demoStart.Add(time.Duration(g.rng.Int64N(int64(demoEnd.Sub(demoStart)))))
	r.CreatedAt = g.messyTime(created)
	r.IsPublic, r.EnrichmentLevel = g.messyBool(false), "basic"
	if g.rng.Float64() < 0.65 {
		enriched := created.Add(time.Duration(g.rng.Int64N(int64(300 * 24 * time.Hour))))
		if enriched.After(demoEnd) {
			enriched = demoEnd
		}
		r.LastEnriched = g.messyTime(enriched)
		r.EnrichmentLevel = pickOf(g.rng, []string{"standard", "standard", "deep"})
	}
	r.TrafficGrowth = round(4+12*g.rng.NormFloat64(), 1)
	r.CurrentSearch = search.name
	r.DisplacementAngle = displacementAngle(search.name, plat.name)
	if g.rng.Float64() < 0.3 {
		r.TriggerEvents = structured(py, sample(g.rng, triggerEvents, 1+g.rng.IntN(2)))
	}
	if g.rng.Float64() < 0.08 {
		r.ExecName = pickOf(g.rng, firstNames) + " " + pickOf(g.rng, lastNames)
		r.ExecTitle = pickOf(g.rng, execTitles)
		r.ExecQuote = pickOf(g.rng, quoteTemplates)
		r.QuoteSource = pickOf(g.rng, quoteSources)
	}
	if len(g.names) > 3 && g.rng.Float64() < 0.2 {
		r.Competitors = structured(py, sample(g.rng, g.names, 1+g.rng.IntN(3)))
	}
	if g.rng.Float64() < 0.4 {
		r.Hiring = structured(py, obj{{"open_roles", g.rng.IntN(60)}, {"search_roles", g.rng.IntN(3)}, {"ecommerce_roles", g.rng.IntN(12)}})
	}
	r.TechStack = structured(py, obj{{"platform", plat.name}, {"search", search.name}, {"cdn", pickOf(g.rng, cdns)}, {"analytics", pickOf(g.rng, analytics)}})
	g.financials(&r, py, name, visits)
	g.names = append(g.names, name)
	g.domains = append(g.domains, dom)
	return r
}

// maxNameDraws bounds the random draws for a new company name; past it a
// number makes the last drawn name unique. The invented names run out in the
// tens of thousands of rows per country, so a large demo must not wait for
// a free one that no longer exists. The 2,687-target demo never gets there,
// so its names are unchanged.
const maxNameDraws = 64

// company invents a unique domain label and display name for a country.
func (g *demoGen) company(c countryInfo) (slug, name string) {
	var a, b string
	for draw := 1; ; draw++ {
		a, b = pickOf(g.rng, nameFirst), pickOf(g.rng, nameSecond)
		suffix := pick(g.rng, nameSuffix)
		slug = a + "-" + b + suffix
		if g.rng.Float64() < 0.3 {
			slug = a + b + suffix // many brands drop the hyphen
		}
		if !g.used[slug+c.tld] {
			break
		}
		if draw == maxNameDraws {
			base := slug
			for k := 2; g.used[slug+c.tld]; k++ {
				slug = base + strconv.Itoa(k)
			}
			break
		}
	}
	g.used[slug+c.tld] = true
	name = titleWord(a) + " " + titleWord(b)
	if cs := corporateSuffix[c.code]; len(cs) > 0 {
		if s := pickOf(g.rng, cs); s != "" {
			name += " " + s
		}
	}
	return slug, name
}

// spell writes a few domains the way people typed them; they still
// normalise to one distinct target each.
func (g *demoGen) spell(dom string) string {
	switch x := g.rng.Float64(); {
	case x < 0.02:
		return "www." + dom
	case x < 0.03:
		return "https://www." + dom + "/"
	case x < 0.035:
		return strings.ToUpper(dom[:1]) + dom[1:]
	}
	return dom
}

func (g *demoGen) phones(py bool, country string) any {
	var p string
	switch country { // ranges reserved for fiction
	case "US", "CA":
		p = fmt.Sprintf("+1 (%d) 555-01%02d", 200+g.rng.IntN(700), g.rng.IntN(100))
	case "UK":
		p = fmt.Sprintf("+44 20 7946 0%03d", g.rng.IntN(1000))
	case "AU":
		p = fmt.Sprintf("+61 2 5550 %04d", g.rng.IntN(10000))
	default:
		return nil
	}
	return structured(py, []any{p})
}

// financials fills the public-company columns; big sites are more often
// listed.
func (g *demoGen) financials(r *legacyRow, py bool, name string, visits float64) {
	chance := 0.05
	if visits > 20e6 {
		chance = 0.35
	}
	if g.rng.Float64() >= chance {
		return
	}
	revenue := clamp(math.Round(g.logNormal(2e9, 1.1)/1e5)*1e5, 1e8, 6e11)
	margin := round(clamp(0.38+0.1*g.rng.NormFloat64(), 0.1, 0.7), 4)
	ticker := strings.ToUpper(name[:1] + string(rune('A'+g.rng.IntN(26))) + string(rune('A'+g.rng.IntN(26))))
	if g.rng.Float64() < 0.4 {
		ticker += string(rune('A' + g.rng.IntN(26)))
	}
	r.Ticker, r.IsPublic, r.Revenue = ticker, g.messyBool(true), revenue
	r.GrossMargin = margin
	if g.rng.Float64() < 0.3 {
		r.GrossMargin = round(margin*100, 2) // an export that wrote percents
	}
	r.Financials = structured(py, obj{{"revenue", revenue}, {"gross_margin", margin}, {"fiscal_year", 2023}, {"currency", "USD"}})
}

func icpTier(score int) (int, string) {
	switch {
	case score >= 80:
		return 1, "Hot"
	case score >= 65:
		return 2, "Warm"
	case score >= 50:
		return 3, "Cool"
	}
	return 4, "Cold"
}

func displacementAngle(search, platform string) string {
	switch search {
	case "Elasticsearch", "Solr":
		return fmt.Sprintf("Self-managed %s on %s: replace ongoing relevance tuning with hosted search.", search, platform)
	case "native", "unknown":
		return fmt.Sprintf("Relies on %s built-in search: add typo tolerance, synonyms and merchandising.", platform)
	}
	return fmt.Sprintf("Uses %s: lead with speed, the %s integration and merchandiser control.", search, platform)
}

func (g *demoGen) logNormal(median, sigma float64) float64 {
	return median * math.Exp(sigma*g.rng.NormFloat64())
}

func pick[T any](rng *rand.Rand, items []weighted[T]) T {
	total := 0
	for _, it := range items {
		total += it.weight
	}
	n := rng.IntN(total)
	for _, it := range items {
		if n < it.weight {
			return it.value
		}
		n -= it.weight
	}
	panic("unreachable: weights changed during pick")
}

func pickOf[T any](rng *rand.Rand, items []T) T { return items[rng.IntN(len(items))] }

// sample returns k distinct items in a random order.
// samplePermLimit: up to this many items, sample draws a whole permutation,
// as the demo dataset was first generated (so its rows stay what they are);
// beyond it, k distinct draws keep a large demo linear in its rows.
const samplePermLimit = 4096

func sample(rng *rand.Rand, items []string, k int) []any {
	k = min(k, len(items))
	out := make([]any, 0, k)
	if len(items) <= samplePermLimit {
		for _, i := range rng.Perm(len(items))[:k] {
			out = append(out, items[i])
		}
		return out
	}
	picked := make(map[int]bool, k)
	for len(out) < k {
		if i := rng.IntN(len(items)); !picked[i] {
			picked[i] = true
			out = append(out, items[i])
		}
	}
	return out
}

func clamp(x, lo, hi float64) float64 { return max(lo, min(hi, x)) }

func round(x float64, places int) float64 {
	p := math.Pow10(places)
	return math.Round(x*p) / p
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
