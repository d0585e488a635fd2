package domain_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

func recorded(t *testing.T, pos int64, at time.Time, e domain.Event) domain.RecordedEvent {
	t.Helper()
	ed, err := domain.Encode(e, domain.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	return domain.RecordedEvent{Position: pos, StreamID: "target-costco.com", StreamVersion: pos, EventData: ed, RecordedAt: at}
}

// "Why did Costco drop from Hot to Warm on 3 March": each score beside the
// one before it, factor by factor, with the events that fed it.
func TestScoreChanges(t *testing.T) {
	d := domain.MustParseDomain("costco.com")
	march2, march3 := time.Date(2025, 3, 2, 9, 0, 0, 0, time.UTC), time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	trafficEvent := uuid.New()
	hot := domain.ScoreComputed{JobID: uuid.New(), Domain: d, Score: domain.Score{
		ModelVersion: "icp-v2", Value: 82, Tier: 1, TierName: "Hot",
		Breakdown: []domain.FactorScore{
			{Factor: "traffic", Points: 20, Max: 20, Detail: "2.4M monthly visits"},
			{Factor: "search_vendor", Points: 15, Max: 20, Detail: "Coveo: a competitor"},
			{Factor: "timing", Points: 5, Max: 10, Detail: "recent funding"},
		},
	}}
	warm := domain.ScoreComputed{JobID: uuid.New(), Domain: d, Score: domain.Score{
		ModelVersion: "icp-v2", Value: 64, Tier: 2, TierName: "Warm",
		Breakdown: []domain.FactorScore{
			{Factor: "traffic", Points: 8, Max: 20, Detail: "310K monthly visits"},
			{Factor: "search_vendor", Points: 15, Max: 20, Detail: "Coveo: a competitor"},
		},
	}, Sources: map[domain.InputGroup]domain.InputSource{
		domain.GroupTraffic: {Source: "similarweb", EventID: trafficEvent, At: march3},
	}}
	events := []domain.RecordedEvent{
		recorded(t, 1, march2, domain.TargetAdded{Domain: d, AddedBy: "rep@example.com", AddedAt: march2}),
		recorded(t, 2, march2, hot),
		recorded(t, 3, march3, warm),
	}
	changes, err := domain.ScoreChanges(events)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 2 {
		t.Fatalf("%d changes, want one per ScoreComputed", len(changes))
	}
	first, second := changes[0], changes[1]
	if first.Previous != nil || first.Score != 82 || first.Factors[0].From != 0 || first.Factors[0].To != 20 {
		t.Errorf("first score %+v", first)
	}
	if second.Previous == nil || second.Previous.TierName != "Hot" || second.TierName != "Warm" || !second.At.Equal(march3) || second.Position != 3 {
		t.Fatalf("second score %+v, want Warm after Hot on 3 March", second)
	}
	want := []domain.FactorChange{
		{Factor: "traffic", From: 20, To: 8, Delta: -12, Max: 20, Detail: "310K monthly visits", Before: "2.4M monthly visits"},
		{Factor: "search_vendor", From: 15, To: 15, Delta: 0, Max: 20, Detail: "Coveo: a competitor"},
		{Factor: "timing", From: 5, To: 0, Delta: -5, Max: 10, Before: "recent funding"},
	}
	if len(second.Factors) != len(want) {
		t.Fatalf("factors %+v, want %+v", second.Factors, want)
	}
	for i := range want {
		if second.Factors[i] != want[i] {
			t.Errorf("factor %d = %+v, want %+v", i, second.Factors[i], want[i])
		}
	}
	if second.Sources[domain.GroupTraffic].EventID != trafficEvent {
		t.Errorf("sources %+v, want the traffic fetch %s", second.Sources, trafficEvent)
	}
}
