package legacysqlite

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/partnerforge/partnerforge/domain"
)

// maxWarningValue caps how much of a bad cell the report repeats.
const maxWarningValue = 200

// maxReason caps a rejection's or a warning's reason. Reasons quote what
// the file held (a normaliser's error names the domain it refused), and the
// report is stored in the import's permanent event.
const maxReason = 200

// merger turns converted rows into targets, one per normalised domain.
type merger struct {
	normalize func(string) (string, error)
	byDomain  map[string][]Target
	report    Report
}

func newMerger(normalize func(string) (string, error)) *merger {
	return &merger{
		normalize: normalize,
		byDomain:  map[string][]Target{},
		report: Report{
			MissingColumns: []string{},
			Merges:         []Merge{},
			Rejections:     []Rejection{},
			Warnings:       []Warning{},
		},
	}
}

// add converts one legacy row. attrs holds the cells of cols, in order.
func (m *merger) add(rawID, rawDomain any, cols []column, attrs []any) {
	m.report.RowsRead++
	id, err := toInt(rawID)
	if err != nil || id == nil {
		// Only possible when id is not the INTEGER PRIMARY KEY it is declared as.
		m.reject(0, rawDomain, fmt.Sprintf("row id %s is not an integer", render(rawID)))
		return
	}
	if o, ok := rawDomain.(oversizeCell); ok {
		m.reject(*id, rawDomain, fmt.Sprintf("domain cell is %d bytes; the limit is %d", o.bytes, o.limit))
		return
	}
	raw, err := toText(rawDomain)
	switch {
	case err != nil:
		m.reject(*id, rawDomain, "domain is unreadable: "+err.Error())
		return
	case raw == "":
		m.reject(*id, rawDomain, "domain is empty")
		return
	}
	norm, err := m.normalize(raw)
	if err != nil {
		m.reject(*id, rawDomain, "domain is invalid: "+err.Error())
		return
	}

	p := domain.TargetProfile{Domain: norm}
	for i, c := range cols {
		if o, ok := attrs[i].(oversizeCell); ok {
			m.warn(*id, c.name, attrs[i], fmt.Sprintf("cell is larger than %d bytes; attribute left unknown", o.limit))
			continue
		}
		if err := c.apply(&p, attrs[i]); err != nil {
			m.warn(*id, c.name, attrs[i], err.Error())
		}
	}
	m.byDomain[norm] = append(m.byDomain[norm], Target{Profile: p, SourceRowID: *id})
}

func (m *merger) reject(id int64, rawDomain any, reason string) {
	m.report.Rejected++
	m.report.Rejections = append(m.report.Rejections, Rejection{RowID: id, RawDomain: render(rawDomain), Reason: clip(reason, maxReason)})
}

func (m *merger) warn(id int64, column string, cell any, reason string) {
	m.report.Warnings = append(m.report.Warnings, Warning{
		RowID: id, Column: column, Value: render(cell), Reason: clip(reason, maxReason),
	})
}

// result picks one row per domain. The winning row's profile is used whole
// rather than filling its gaps from the losers: rows that share a domain were
// written at different times by different scripts, and a field-by-field blend
// could pair one row's traffic with another's scores, a combination nobody
// ever observed. The newest enrichment is the most trustworthy single view.
func (m *merger) result() *Result {
	domains := make([]string, 0, len(m.byDomain))
	for d := range m.byDomain {
		domains = append(domains, d)
	}
	slices.Sort(domains)

	res := &Result{Targets: make([]Target, 0, len(domains))}
	for _, d := range domains {
		rows := m.byDomain[d]
		win := 0
		for i := 1; i < len(rows); i++ {
			if beats(rows[i], rows[win]) {
				win = i
			}
		}
		t := rows[win]
		for i, r := range rows {
			if i != win {
				t.MergedRowIDs = append(t.MergedRowIDs, r.SourceRowID)
			}
		}
		if len(t.MergedRowIDs) > 0 {
			slices.Sort(t.MergedRowIDs)
			m.report.Merged += len(t.MergedRowIDs)
			m.report.Merges = append(m.report.Merges, Merge{
				Domain: d, KeptRowID: t.SourceRowID, DroppedRowIDs: slices.Clone(t.MergedRowIDs),
			})
		}
		res.Targets = append(res.Targets, t)
	}
	m.report.TargetsImported = len(res.Targets)
	res.Report = m.report
	return res
}

// beats reports whether row a should be kept over row b: the newer
// last_enriched wins, a known one beats an unknown one, and a tie goes to the
// higher id, the row written last.
func beats(a, b Target) bool {
	ta, tb := a.Profile.LastEnriched, b.Profile.LastEnriched
	switch {
	case ta != nil && tb == nil:
		return true
	case ta == nil && tb != nil:
		return false
	case ta != nil && !ta.Equal(*tb):
		return ta.After(*tb)
	}
	return a.SourceRowID > b.SourceRowID
}

// render shows a raw cell in the report the way an operator would recognise
// it in the legacy file.
func render(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		s = x
	case []byte:
		if utf8.Valid(x) {
			s = string(x)
		} else {
			s = fmt.Sprintf("x'%X'", x)
		}
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case oversizeCell:
		return x.String()
	default:
		s = fmt.Sprint(x)
	}
	return clip(s, maxWarningValue)
}

// clip cuts s to n runes, marking a cut with "…", and replaces invalid
// UTF-8 so the report is valid JSON text.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n]) + "…"
	}
	return s
}
