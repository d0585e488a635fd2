package domain

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// legacyColumns are the columns of the legacy displacement_targets table other
// than its row id; TargetProfile's JSON names must match them one for one.
var legacyColumns = []string{
	"domain", "company_name", "partner_tech", "vertical", "country", "city", "state",
	"tech_spend", "emails", "phones", "socials", "exec_titles",
	"sw_monthly_visits", "sw_bounce_rate", "sw_pages_per_visit", "sw_avg_duration", "sw_search_traffic_pct", "sw_rank_global",
	"matched_case_studies", "lead_score", "created_at", "icp_tier", "icp_score", "score_reasons", "icp_tier_name", "score_breakdown",
	"ticker", "is_public", "enrichment_level", "last_enriched",
	"revenue", "gross_margin", "traffic_growth", "current_search", "trigger_events", "exec_quote", "exec_name", "exec_title", "quote_source",
	"competitors_using_algolia", "displacement_angle", "financials_json", "hiring_signals", "tech_stack_json",
}

func TestTargetProfileJSONNamesAreLegacyColumns(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeFor[TargetProfile]()
	var got []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		got = append(got, name)
	}
	if !reflect.DeepEqual(got, legacyColumns) {
		t.Fatalf("json names\n got %v\nwant %v", got, legacyColumns)
	}
}

func TestTargetProfileKeepsZeroDistinctFromUnknown(t *testing.T) {
	t.Parallel()
	zero, f := int64(0), false
	share := 0.0
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	p := TargetProfile{
		Domain:             "northwind-outfitters.com",
		TechSpend:          &zero,
		SWSearchTrafficPct: &share,
		IsPublic:           &f,
		LastEnriched:       &at,
		Emails:             json.RawMessage(`["info@northwind-outfitters.com"]`),
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	const want = `{"domain":"northwind-outfitters.com","tech_spend":0,"emails":["info@northwind-outfitters.com"],` +
		`"sw_search_traffic_pct":0,"is_public":false,"last_enriched":"2024-03-01T12:00:00Z"}`
	if string(b) != want {
		t.Fatalf("marshal\n got %s\nwant %s", b, want)
	}

	var back TargetProfile
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if !reflect.DeepEqual(back, p) {
		t.Fatalf("round trip\n got %+v\nwant %+v", back, p)
	}
	if back.Revenue != nil || back.ICPTier != nil || back.Phones != nil {
		t.Fatalf("unknown fields came back known: %+v", back)
	}
}
