package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
	"github.com/partnerforge/partnerforge/domain"
)

// TargetsName is the displacement_targets projection's name.
const TargetsName = "displacement_targets"

// Targets projects the displacement_targets read model: the imported
// profile, overlaid with what enrichment jobs fetched and scored.
type Targets struct{}

func (Targets) Name() string { return TargetsName }

// Tables: target_list is the list's narrow copy of displacement_targets,
// kept in step by Apply (see SyncTargetList in sql/queries/projections.sql).
func (Targets) Tables() []string { return []string{"displacement_targets", "target_list"} }

func (Targets) Handles(eventType string) bool {
	switch eventType {
	case domain.TypeTargetImported, domain.TypeTargetImportReverted, domain.TypeTargetAdded,
		domain.TypeProviderFetched, domain.TypeScoreComputed, domain.TypeEnrichmentJobClosed:
		return true
	}
	return false
}

func (p Targets) Apply(ctx context.Context, db gen.DBTX, re domain.RecordedEvent, e domain.Event) error {
	q := gen.New(db)
	d, changed, err := p.apply(ctx, q, re, e)
	if err != nil || !changed {
		return err
	}
	// The list's narrow row follows the wide one in the same transaction.
	if err := q.SyncTargetList(ctx, d); err != nil {
		return fmt.Errorf("sync target list %s: %w", d, err)
	}
	return nil
}

// apply changes displacement_targets for e and says which target it may
// have changed (changed is false when e leaves every target as it was).
func (Targets) apply(ctx context.Context, q *gen.Queries, re domain.RecordedEvent, e domain.Event) (d string, changed bool, err error) {
	switch e := e.(type) {
	case domain.TargetImported:
		clean, platformKeys := cleanProfile(e.Profile)
		profile, err := json.Marshal(clean)
		if err != nil {
			return "", false, fmt.Errorf("encode profile: %w", err)
		}
		return e.Domain.String(), true, q.UpsertImportedTarget(ctx, gen.UpsertImportedTargetParams{
			Domain: e.Domain.String(), UpdatedAt: re.RecordedAt, BatchID: e.BatchID, Profile: profile,
			PartnerTechKeys: nonNil(platformKeys),
		})
	case domain.TargetImportReverted:
		return e.Domain.String(), true, q.DeleteImportedTarget(ctx, gen.DeleteImportedTargetParams{Domain: e.Domain.String(), BatchID: e.BatchID})
	case domain.TargetAdded:
		return e.Domain.String(), true, q.InsertAddedTarget(ctx, gen.InsertAddedTargetParams{Domain: e.Domain.String(), UpdatedAt: re.RecordedAt})
	case domain.ProviderFetched:
		return e.Domain.String(), true, applyProviderData(ctx, q, e.Domain.String(), e.Data, re)
	case domain.ScoreComputed:
		return e.Domain.String(), true, applyScore(ctx, q, e, re)
	case domain.EnrichmentJobClosed:
		if e.Outcome != domain.JobCompleted && e.Outcome != domain.JobPartial {
			return "", false, nil // a failed job leaves the target as it was
		}
		return e.Domain.String(), true, q.MarkTargetEnriched(ctx, gen.MarkTargetEnrichedParams{
			Domain: e.Domain.String(), EnrichedAt: e.ClosedAt, JobID: e.JobID, UpdatedAt: re.RecordedAt,
		})
	}
	return "", false, nil
}

func applyProviderData(ctx context.Context, q *gen.Queries, d string, data domain.ProviderData, re domain.RecordedEvent) error {
	switch {
	case data.Traffic != nil:
		t := data.Traffic
		return q.UpsertTargetTraffic(ctx, gen.UpsertTargetTrafficParams{
			Domain: d, MonthlyVisits: t.MonthlyVisits, AvgDuration: int64(math.Round(t.AvgDurationSeconds)),
			BounceRate:         roundTo(t.BounceRate, shareDecimals),
			PagesPerVisit:      roundTo(t.PagesPerVisit, ratioDecimals),
			SearchTrafficShare: roundTo(t.SearchTrafficShare, shareDecimals),
			RankGlobal:         pgtype.Int8{Int64: t.GlobalRank, Valid: t.GlobalRank > 0},
			// The legacy column is in percentage points, the provider's
			// growth a fraction computed from visit counts (-0.06999998
			// for a 7 % drop).
			TrafficGrowthPoints: roundTo(t.TrafficGrowth*100, pointsDecimals),
			UpdatedAt:           re.RecordedAt,
		})
	case data.Tech != nil:
		stack, err := json.Marshal(data.Tech)
		if err != nil {
			return fmt.Errorf("encode tech stack: %w", err)
		}
		return q.UpsertTargetTech(ctx, gen.UpsertTargetTechParams{
			Domain: d, TechStack: stack, CurrentSearch: optText(data.Tech.SearchVendor), UpdatedAt: re.RecordedAt,
		})
	case data.Financials != nil:
		f := data.Financials
		fin, err := json.Marshal(f)
		if err != nil {
			return fmt.Errorf("encode financials: %w", err)
		}
		// Zero revenue or margin is how the provider says "not reported".
		return q.UpsertTargetFinancials(ctx, gen.UpsertTargetFinancialsParams{
			Domain: d, Ticker: optText(f.Ticker),
			Revenue:     pgtype.Float8{Float64: f.Revenue, Valid: f.Revenue != 0},
			GrossMargin: pgtype.Float8{Float64: roundTo(f.GrossMargin, shareDecimals), Valid: f.GrossMargin != 0},
			Financials:  fin, UpdatedAt: re.RecordedAt,
		})
	}
	return nil
}

func applyScore(ctx context.Context, q *gen.Queries, e domain.ScoreComputed, re domain.RecordedEvent) error {
	s := e.Score
	level := e.Level()
	breakdown, err := json.Marshal(nonNil(s.Breakdown))
	if err != nil {
		return fmt.Errorf("encode breakdown: %w", err)
	}
	reasons, err := json.Marshal(nonNil(s.Reasons))
	if err != nil {
		return fmt.Errorf("encode reasons: %w", err)
	}
	return q.UpsertTargetScore(ctx, gen.UpsertTargetScoreParams{
		Domain: e.Domain.String(), Score: int32(s.Value), Tier: int32(s.Tier), TierName: s.TierName,
		Breakdown: breakdown, Reasons: reasons, ModelVersion: s.ModelVersion,
		Excluded: s.Excluded, ExcludedReason: optText(s.ExcludedReason),
		JobID: uuid.NullUUID{UUID: e.JobID, Valid: e.JobID != uuid.Nil}, Level: level, LevelRank: int32(domain.LevelRank(level)), UpdatedAt: re.RecordedAt,
	})
}

// Decimal places the read model keeps. Every percentage is kept to a
// hundredth of a point, whether stored as a share (0.4523) or in points
// (-7.25); ratios such as pages per visit to two places. Sources carry float
// noise beyond that: a percent divided by 100 (45.23 → 0.45230000000000004),
// a growth computed from visit counts (-0.06999998).
//
// The rounding happens here, in the view, rather than when the file or the
// provider answer is read: events keep exactly what was imported, so events
// stored before this rule are shown rounded after a rebuild, and a finer
// precision later is a rebuild, not a re-import.
const (
	shareDecimals  = 4
	pointsDecimals = 2
	ratioDecimals  = 2
)

func roundTo(x float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(x*p) / p
}

func roundPtr(x *float64, decimals int) *float64 {
	if x == nil {
		return nil
	}
	r := roundTo(*x, decimals)
	return &r
}

// cleanProfile is an imported profile as the read model shows it, and the
// keys the partner_tech filter finds it by. The event keeps what the file
// said; the view has one spelling per country (ISO 3166-1 alpha-2, so
// "United States" and "US" count together), each platform once, and numbers
// rounded as above. p is a copy; its pointers are replaced, never written
// through.
func cleanProfile(p domain.TargetProfile) (domain.TargetProfile, []string) {
	p.Country = domain.NormalizeCountry(p.Country)
	platforms := domain.PartnerPlatforms(p.PartnerTech)
	p.PartnerTech = domain.JoinPlatforms(platforms)
	p.SWBounceRate = roundPtr(p.SWBounceRate, shareDecimals)
	p.SWSearchTrafficPct = roundPtr(p.SWSearchTrafficPct, shareDecimals)
	p.GrossMargin = roundPtr(p.GrossMargin, shareDecimals)
	p.TrafficGrowth = roundPtr(p.TrafficGrowth, pointsDecimals)
	p.SWPagesPerVisit = roundPtr(p.SWPagesPerVisit, ratioDecimals)
	return p, domain.PlatformKeys(platforms)
}

func optText(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }

// nonNil makes an absent list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
