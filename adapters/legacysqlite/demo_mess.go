package legacysqlite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// This file plants the kinds of mess the real legacy list has: each function
// usually returns the clean value and, for a small share of rows, the form
// some old script wrote instead. Everything planted here except badCells must
// import without a warning.

func (g *demoGen) messyMoney(v float64) any {
	switch x := g.rng.Float64(); {
	case x < 0.03:
		return "$" + groupThousands(int64(v))
	case x < 0.04:
		return strconv.FormatFloat(v/1000, 'f', -1, 64) + "k"
	}
	return int64(v)
}

func (g *demoGen) messyCount(v float64) any {
	switch x := g.rng.Float64(); {
	case x < 0.02:
		return strconv.FormatFloat(round(v/1e6, 1), 'f', -1, 64) + "M"
	case x < 0.03:
		return groupThousands(int64(v))
	}
	return int64(v)
}

// messyShare takes a fraction and sometimes stores it as a percent.
func (g *demoGen) messyShare(v float64) any {
	switch x := g.rng.Float64(); {
	case x < 0.06:
		return round(v*100, 2)
	case x < 0.07:
		return strconv.FormatFloat(round(v*100, 1), 'f', 1, 64) + "%"
	}
	return v
}

var berlin = time.FixedZone("CEST", 2*60*60)

func (g *demoGen) messyTime(t time.Time) any {
	switch x := g.rng.Float64(); {
	case x < 0.70:
		return t.Format(time.DateTime)
	case x < 0.80:
		return t.Format("2006-01-02T15:04:05Z07:00")
	case x < 0.85:
		return t.Format(time.DateOnly)
	case x < 0.90:
		return t.Unix()
	case x < 0.95:
		return t.In(berlin).Format("2006-01-02T15:04:05.000Z07:00")
	}
	return t.Format("2006-01-02 15:04:05.000000")
}

func (g *demoGen) messyBool(b bool) any {
	if g.rng.Float64() < 0.9 {
		if b {
			return int64(1)
		}
		return int64(0)
	}
	words := [][2]string{{"yes", "no"}, {"true", "false"}, {"TRUE", "False"}}
	w := pickOf(g.rng, words)
	if b {
		return w[0]
	}
	return w[1]
}

// invalidDomains are what the legacy list holds where a domain is missing.
var invalidDomains = []any{nil, "", "   ", "N/A", "unknown", "-", "not a domain", "http://", "TBD"}

// badCells are unusable values, each of which the reader reports as one
// warning.
var badCells = []func(*legacyRow){
	func(r *legacyRow) { r.Visits = "n/a" },
	func(r *legacyRow) { r.Revenue = "TBD" },
	func(r *legacyRow) { r.CreatedAt = "last tuesday" },
	func(r *legacyRow) { r.Bounce = 140.0 },
	func(r *legacyRow) { r.IsPublic = "maybe" },
	func(r *legacyRow) { r.TechSpend = "call sales" },
	func(r *legacyRow) { r.LastEnriched = "soon" },
	func(r *legacyRow) { r.Emails = "['info@', " },
}

// plantAnomalies applies DemoPlan to rows at random positions, each row
// receiving at most one anomaly so that the import counts are exact.
func (g *demoGen) plantAnomalies(rows []legacyRow, domains []string) {
	plan := DemoPlan(len(rows))
	perm := g.rng.Perm(len(rows))
	taken := make([]bool, len(rows))
	take := func(ok func(int) bool) int {
		for _, i := range perm {
			if !taken[i] && ok(i) {
				taken[i] = true
				return i
			}
		}
		// DemoPlan keeps anomalies far rarer than rows, so this cannot happen.
		panic("demo plan does not fit the rows")
	}
	anyRow := func(int) bool { return true }

	for k := range plan.Invalid {
		rows[take(anyRow)].Domain = invalidDomains[k%len(invalidDomains)]
	}
	base := -1
	for k := range plan.Duplicates {
		if base < 0 || k%tripleEvery != tripleEvery-1 {
			base = take(func(i int) bool { return i < len(rows)*3/4 })
		}
		b := base
		g.duplicate(rows, domains[b], b, take(func(i int) bool { return i > b }), k)
	}
	for k := range plan.BadCells {
		badCells[k%len(badCells)](&rows[take(anyRow)])
	}
}

// duplicate overwrites row i with another spelling of row b's target. Which
// row the import keeps cycles through the merge rule's cases: the duplicate
// is newer, older, never enriched, or enriched at the same moment (the higher
// id, the duplicate, wins the tie).
func (g *demoGen) duplicate(rows []legacyRow, dom string, b, i, k int) {
	dup := rows[b]
	dup.ID = rows[i].ID
	dup.Domain = []string{"www." + dom, "https://" + dom + "/", strings.ToUpper(dom), "http://www." + dom + "/shop", " " + dom + " "}[k%5]
	if ls, ok := dup.LeadScore.(int64); ok {
		dup.LeadScore = min(100, max(0, ls+int64(g.rng.IntN(11)-5)))
	}
	when := demoEnd.Add(-time.Duration(1+g.rng.IntN(200)) * 24 * time.Hour)
	switch k % 4 {
	case 0:
		rows[b].LastEnriched = when.Format(time.DateTime)
		dup.LastEnriched = when.Add(72 * time.Hour).Format(time.DateTime)
	case 1:
		rows[b].LastEnriched = when.Format(time.DateTime)
		dup.LastEnriched = when.Add(-72 * time.Hour).Format(time.DateTime)
	case 2:
		rows[b].LastEnriched = when.Format(time.DateTime)
		dup.LastEnriched = nil
	case 3:
		dup.LastEnriched = rows[b].LastEnriched
	}
	rows[i] = dup
}

// obj is a dict whose key order survives into JSON and Python text.
type obj []kv

type kv struct {
	k string
	v any
}

// structured renders v as json.dumps would, or as str() would for rows
// written by a Python script that forgot to serialise.
func structured(py bool, v any) string {
	if py {
		var b strings.Builder
		writePy(&b, v)
		return b.String()
	}
	return string(jsonText(v))
}

func jsonText(v any) []byte {
	if o, ok := v.(obj); ok {
		var b bytes.Buffer
		b.WriteByte('{')
		for i, e := range o {
			if i > 0 {
				b.WriteString(", ")
			}
			b.Write(jsonString(e.k))
			b.WriteString(": ")
			b.Write(jsonText(e.v))
		}
		b.WriteByte('}')
		return b.Bytes()
	}
	if items, ok := v.([]any); ok {
		parts := make([]string, len(items))
		for i, it := range items {
			parts[i] = string(jsonText(it))
		}
		return []byte("[" + strings.Join(parts, ", ") + "]")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("demo value %#v: %v", v, err)) // only generator-built values reach here
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func writePy(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		b.WriteString(map[bool]string{true: "True", false: "False"}[x])
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e16 {
			b.WriteString(strconv.FormatFloat(x, 'f', 1, 64)) // Python writes 2.0, not 2
		} else {
			b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
		}
	case string:
		b.WriteString(pyQuote(x))
	case []any:
		b.WriteByte('[')
		for i, it := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writePy(b, it)
		}
		b.WriteByte(']')
	case obj:
		b.WriteByte('{')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(pyQuote(e.k) + ": ")
			writePy(b, e.v)
		}
		b.WriteByte('}')
	default:
		panic(fmt.Sprintf("demo value of type %T", v))
	}
}

// pyQuote quotes s as Python's repr does: single quotes unless the text
// holds a single quote and no double quote.
func pyQuote(s string) string {
	q := "'"
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = `"`
	}
	r := strings.NewReplacer(`\`, `\\`, q, `\`+q, "\n", `\n`)
	return q + r.Replace(s) + q
}

func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func titleWord(s string) string { return strings.ToUpper(s[:1]) + s[1:] }
