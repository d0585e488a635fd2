package legacysqlite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnerforge/partnerforge/domain"
)

func readMessy(t *testing.T) *Result {
	t.Helper()
	path := writeFixture(t, messyRows()...)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	var calls [][2]int
	res, err := Read(context.Background(), path, testNormalize, func(done, total int) {
		calls = append(calls, [2]int{done, total})
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if want := [][2]int{{13, 13}}; !reflect.DeepEqual(calls, want) {
		t.Errorf("progress calls = %v, want %v", calls, want)
	}
	after, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("Read changed the legacy file (err %v)", err)
	}
	return res
}

func TestReadCountsAndMerges(t *testing.T) {
	t.Parallel()
	res := readMessy(t)
	rep := res.Report
	if rep.RowsRead != 13 || rep.TargetsImported != 6 || rep.Merged != 4 || rep.Rejected != 3 {
		t.Fatalf("counts = read %d, imported %d, merged %d, rejected %d; want 13, 6, 4, 3",
			rep.RowsRead, rep.TargetsImported, rep.Merged, rep.Rejected)
	}
	wantMerges := []Merge{
		{Domain: "bluebird-goods.com", KeptRowID: 7, DroppedRowIDs: []int64{6}},
		{Domain: "cedar-home.com", KeptRowID: 5, DroppedRowIDs: []int64{4}},
		{Domain: "northwind-outfitters.com", KeptRowID: 2, DroppedRowIDs: []int64{1, 3}},
	}
	if !reflect.DeepEqual(rep.Merges, wantMerges) {
		t.Errorf("merges\n got %+v\nwant %+v", rep.Merges, wantMerges)
	}

	var domains []string
	byDomain := map[string]Target{}
	for _, tg := range res.Targets {
		domains = append(domains, tg.Profile.Domain)
		byDomain[tg.Profile.Domain] = tg
	}
	wantDomains := []string{"bluebird-goods.com", "cedar-home.com", "harbor-supply.com", "maple-market.com", "northwind-outfitters.com", "quarry-depot.de"}
	if !slices.Equal(domains, wantDomains) {
		t.Fatalf("target domains = %v, want %v", domains, wantDomains)
	}
	nw := byDomain["northwind-outfitters.com"]
	if nw.SourceRowID != 2 || !slices.Equal(nw.MergedRowIDs, []int64{1, 3}) || nw.Profile.CompanyName != "Northwind Outfitters" || *nw.Profile.LeadScore != 20 {
		t.Errorf("northwind = row %d merged %v %+v; want row 2's profile whole", nw.SourceRowID, nw.MergedRowIDs, nw.Profile)
	}
	if got := byDomain["cedar-home.com"].Profile.CompanyName; got != "Cedar Home (second)" {
		t.Errorf("cedar tie kept %q, want the higher id", got)
	}
	if got := byDomain["bluebird-goods.com"].Profile.CompanyName; got != "Bluebird (second)" {
		t.Errorf("bluebird tie kept %q, want the higher id", got)
	}
	if got := byDomain["harbor-supply.com"]; got.SourceRowID != 11 || got.MergedRowIDs != nil {
		t.Errorf("unmerged target = row %d merged %v", got.SourceRowID, got.MergedRowIDs)
	}
}

func TestReadRejections(t *testing.T) {
	t.Parallel()
	rej := readMessy(t).Report.Rejections
	want := []Rejection{
		{RowID: 8, RawDomain: "NULL", Reason: "domain is empty"},
		{RowID: 9, RawDomain: "   ", Reason: "domain is empty"},
		{RowID: 10, RawDomain: "not a domain", Reason: "domain is invalid: no top-level domain"},
	}
	if !reflect.DeepEqual(rej, want) {
		t.Fatalf("rejections\n got %+v\nwant %+v", rej, want)
	}
}

func TestReadConvertsMessyValues(t *testing.T) {
	t.Parallel()
	res := readMessy(t)
	p, q := findProfile(t, res, "harbor-supply.com"), findProfile(t, res, "quarry-depot.de")

	ints := map[string][2]any{
		"tech_spend": {p.TechSpend, int64(12500)}, "sw_monthly_visits": {p.SWMonthlyVisits, int64(1_200_000)},
		"sw_avg_duration": {p.SWAvgDuration, int64(96)}, "sw_rank_global": {p.SWRankGlobal, int64(12345)},
		"icp_score": {p.ICPScore, int64(72)}, "icp_tier": {p.ICPTier, int64(2)},
	}
	for col, c := range ints {
		if got := c[0].(*int64); got == nil || *got != c[1] {
			t.Errorf("%s = %v, want %v", col, deref(got), c[1])
		}
	}
	floats := map[string][2]any{
		"sw_bounce_rate": {p.SWBounceRate, 0.452}, "sw_search_traffic_pct": {p.SWSearchTrafficPct, 0.385},
		"gross_margin": {p.GrossMargin, 0.41}, "sw_pages_per_visit": {p.SWPagesPerVisit, 4.5},
		"revenue": {p.Revenue, 1.2e9}, "traffic_growth": {p.TrafficGrowth, -3.5},
		"quarry sw_bounce_rate": {q.SWBounceRate, 0.31}, "quarry sw_search_traffic_pct": {q.SWSearchTrafficPct, 1.0},
		"quarry gross_margin": {q.GrossMargin, 0.0},
	}
	for col, c := range floats {
		if got := c[0].(*float64); got == nil || !near(*got, c[1].(float64)) {
			t.Errorf("%s = %v, want %v", col, deref(got), c[1])
		}
	}

	noon := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	times := map[string][2]any{
		"created_at unix": {p.CreatedAt, noon}, "last_enriched offset": {p.LastEnriched, noon.Add(500 * time.Millisecond)},
		"created_at date": {q.CreatedAt, noon.Add(-12 * time.Hour)}, "last_enriched unix": {q.LastEnriched, noon},
	}
	for col, c := range times {
		if got := c[0].(*time.Time); got == nil || !got.Equal(c[1].(time.Time)) || got.Location() != time.UTC {
			t.Errorf("%s = %v, want %v UTC", col, deref(got), c[1])
		}
	}

	if p.IsPublic == nil || !*p.IsPublic || q.IsPublic == nil || *q.IsPublic {
		t.Errorf("is_public = %v, %v; want true, false", deref(p.IsPublic), deref(q.IsPublic))
	}
	if p.CompanyName != "Harbor Supply Co." || p.State != "" || p.Ticker != "HSC" || q.CompanyName != "Quarry Depot GmbH" {
		t.Errorf("text = %q %q %q %q", p.CompanyName, p.State, p.Ticker, q.CompanyName)
	}
	jsons := map[string][2]string{
		"emails":          {string(p.Emails), `["info@harbor-supply.com","o'brien@harbor-supply.com"]`},
		"socials":         {string(p.Socials), `{"linkedin":"harbor-supply","verified":true,"followers":null}`},
		"score_breakdown": {string(p.ScoreBreakdown), `{"traffic":20,"search":25}`},
		"phones":          {string(p.Phones), `"+1 (555) 010-0199"`},
		"hiring_signals":  {string(p.HiringSignals), `"{'open_roles':"`},
		"financials_json": {string(p.FinancialsJSON), ``},
	}
	for col, c := range jsons {
		if c[0] != c[1] {
			t.Errorf("%s = %s, want %s", col, c[0], c[1])
		}
	}
	if _, err := json.Marshal(p); err != nil {
		t.Errorf("profile does not marshal: %v", err)
	}
}

func TestReadWarnings(t *testing.T) {
	t.Parallel()
	got := readMessy(t).Report.Warnings
	want := []Warning{
		{RowID: 11, Column: "hiring_signals", Value: "{'open_roles': ", Reason: errKeptAsText.Error()},
		{RowID: 12, Column: "tech_spend", Value: "call sales", Reason: `not a number: "call sales"`},
		{RowID: 12, Column: "sw_bounce_rate", Value: "140", Reason: "share 140 outside 0–100 %"},
		{RowID: 12, Column: "created_at", Value: "last tuesday", Reason: `not a timestamp: "last tuesday"`},
		{RowID: 12, Column: "is_public", Value: "maybe", Reason: `not a boolean: "maybe"`},
		{RowID: 12, Column: "revenue", Value: "TBD", Reason: `not a number: "TBD"`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("warnings\n got %+v\nwant %+v", got, want)
	}
	m := findProfile(t, readMessy(t), "maple-market.com")
	if m.TechSpend != nil || m.SWBounceRate != nil || m.CreatedAt != nil || m.IsPublic != nil || m.Revenue != nil {
		t.Errorf("bad cells should leave fields unknown: %+v", m)
	}
}

func TestReadReportJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(readMessy(t).Report)
	if err != nil {
		t.Fatalf("marshal report: %v", err)
	}
	for _, key := range []string{`"rows_read":13`, `"targets_imported":6`, `"merged":4`, `"rejected":3`,
		`"kept_row_id":2`, `"dropped_row_ids":[1,3]`, `"raw_domain":"not a domain"`, `"column":"revenue"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("report JSON lacks %s: %s", key, b)
		}
	}
}

func TestReadFailures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.sqlite")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		path   string
		is     error
		substr string
	}{
		{"missing file", filepath.Join(dir, "nope.sqlite"), os.ErrNotExist, "nope.sqlite"},
		{"not a database", notDB, nil, "notes.txt"},
		{"missing table", createDB(t, "CREATE TABLE something_else (id INTEGER)"), ErrNoTable, "displacement_targets"},
		{"empty file", empty, ErrNoTable, "displacement_targets"},
		{"missing domain column", createDB(t, "CREATE TABLE displacement_targets (id INTEGER PRIMARY KEY, company_name TEXT)"), ErrMissingColumn, "domain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Read(context.Background(), tt.path, testNormalize, nil)
			if err == nil {
				t.Fatal("Read succeeded, want an error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.substr) {
				t.Errorf("err = %v, want it to mention %q", err, tt.substr)
			}
			t.Log(err)
			if _, err := os.Stat(tt.path); err != nil && !errors.Is(tt.is, os.ErrNotExist) {
				t.Errorf("stat after Read: %v", err)
			} else if err == nil && errors.Is(tt.is, os.ErrNotExist) {
				t.Error("Read created the missing file")
			}
		})
	}
}

func TestReadOptionalColumnsMissing(t *testing.T) {
	t.Parallel()
	path := createDB(t,
		"CREATE TABLE displacement_targets (id INTEGER PRIMARY KEY, domain TEXT, lead_score INTEGER)",
		"INSERT INTO displacement_targets VALUES (1, 'pioneer-gear.com', 55)",
	)
	res, err := Read(context.Background(), path, testNormalize, nil)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if len(res.Targets) != 1 || *res.Targets[0].Profile.LeadScore != 55 {
		t.Fatalf("targets = %+v", res.Targets)
	}
	missing := res.Report.MissingColumns
	if len(missing) != len(attributeColumns)-1 || slices.Contains(missing, "lead_score") || !slices.Contains(missing, "revenue") {
		t.Errorf("missing columns = %v", missing)
	}
}

func TestReadNeedsNormaliser(t *testing.T) {
	t.Parallel()
	if _, err := Read(context.Background(), writeFixture(t), nil, nil); err == nil {
		t.Fatal("Read without a normaliser succeeded")
	}
}

func findProfile(t *testing.T, res *Result, dom string) domain.TargetProfile {
	t.Helper()
	for _, tg := range res.Targets {
		if tg.Profile.Domain == dom {
			return tg.Profile
		}
	}
	t.Fatalf("no target %s", dom)
	return domain.TargetProfile{}
}

func deref[T any](p *T) any {
	if p == nil {
		return "unknown"
	}
	return *p
}

func TestReadStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx, writeFixture(t, messyRows()...), testNormalize, nil); err == nil {
		t.Fatal("Read with a cancelled context succeeded")
	}
}
