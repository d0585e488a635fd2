package postgres_test

import (
	"context"
	"errors"
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

// projectedDB is a database of its own whose read models hold three
// imported targets and one job.
func projectedDB(t *testing.T) (*pgtest.Database, uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	d := pgtest.NewDB(t)
	store := postgres.NewEventStore(d.Pool)
	a := projectiontest.Profile("under-score.com", "Under_Score Ltd", "Fashion", "US", 85)
	b := projectiontest.Profile("percent.com", "100% Wool", "Fashion", "", 45)
	c := domain.TargetProfile{Domain: "bare.io"}
	projectiontest.Import(t, store, uuid.New(), a, b, c)
	job := projectiontest.RunJob(t, store, projectiontest.Job{Domain: a.Domain, At: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Fetched: projectiontest.AllFetched(), Profile: &a})
	r, err := projections.NewRunner(d.Pool, projections.Config{}, projections.All()...)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	return d, job
}

func TestReadModels(t *testing.T) {
	t.Parallel()
	d, job := projectedDB(t)
	rm := postgres.NewReadModels(d.Pool)
	ctx := context.Background()

	t.Run("search takes LIKE wildcards literally", func(t *testing.T) {
		for search, want := range map[string]int{"_": 1, "%": 1, `\`: 0, "wool": 1, "": 3} {
			page, err := rm.ListTargets(ctx, readmodel.TargetFilter{Page: 1, PerPage: 10, Search: search})
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != want || len(page.Targets) != want {
				t.Errorf("search %q: %d targets (total %d), want %d", search, len(page.Targets), page.Total, want)
			}
		}
	})
	t.Run("a page past the end still counts", func(t *testing.T) {
		page, err := rm.ListTargets(ctx, readmodel.TargetFilter{Page: 5, PerPage: 2, Verticals: []string{"Fashion"}})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 2 || len(page.Targets) != 0 || page.Targets == nil {
			t.Errorf("page = %+v", page)
		}
		jobs, err := rm.ListJobs(ctx, readmodel.JobFilter{Page: 3, PerPage: 1})
		if err != nil {
			t.Fatal(err)
		}
		if jobs.Total != 1 || len(jobs.Jobs) != 0 {
			t.Errorf("jobs = %+v", jobs)
		}
	})
	t.Run("invalid paging is refused", func(t *testing.T) {
		if _, err := rm.ListTargets(ctx, readmodel.TargetFilter{}); err == nil {
			t.Error("page 0 accepted")
		}
		if _, err := rm.ListJobs(ctx, readmodel.JobFilter{Page: 1}); err == nil {
			t.Error("per page 0 accepted")
		}
	})
	t.Run("not found", func(t *testing.T) {
		if _, err := rm.GetTarget(ctx, "nowhere.com"); !errors.Is(err, readmodel.ErrNotFound) {
			t.Errorf("GetTarget: %v", err)
		}
		if _, err := rm.GetJob(ctx, uuid.New()); !errors.Is(err, readmodel.ErrNotFound) {
			t.Errorf("GetJob: %v", err)
		}
	})
	t.Run("a bare target is all nulls", func(t *testing.T) {
		got, err := rm.GetTarget(ctx, "bare.io")
		if err != nil {
			t.Fatal(err)
		}
		if got.CompanyName != nil || got.ICPScore != nil || got.Emails != nil || got.LastEnriched != nil || got.ImportBatchID == nil {
			t.Errorf("bare target = %+v", got)
		}
	})
	t.Run("job", func(t *testing.T) {
		got, err := rm.GetJob(ctx, job)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != domain.JobCompleted || got.Result == nil || got.Result.Score == nil || len(got.Providers) != 3 {
			t.Errorf("job = %+v", got)
		}
	})
	t.Run("stats", func(t *testing.T) {
		s, err := rm.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tiered := 0
		for _, n := range s.ByTier {
			tiered += n
		}
		if s.Total != 3 || tiered != 3 || s.ByCountry["US"] != 1 || s.ByCountry[readmodel.UnknownKey] != 2 ||
			s.ByTier[readmodel.UnknownKey] != 1 || s.ByEnrichmentLevel["full"] != 1 || s.ByVertical["Fashion"] != 2 {
			t.Errorf("stats = %+v", s)
		}
	})
}
