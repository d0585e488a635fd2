package projections_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections/projectiontest"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

func TestJobsProjection(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	fetched := func() readmodel.JobProvider {
		latency := int64(120)
		return readmodel.JobProvider{Status: readmodel.ProviderFetched, Attempts: 1, LatencyMS: &latency, HTTPStatus: 200}
	}
	failed := func(code domain.FailureCode) readmodel.JobProvider {
		return readmodel.JobProvider{Status: readmodel.ProviderFailed, Error: string(code), Attempts: 3, HTTPStatus: 503, Note: "upstream said no"}
	}
	tests := []struct {
		name         string
		job          projectiontest.Job
		wantStatus   domain.JobStatus
		wantProgress int
		wantProv     map[string]readmodel.JobProvider
		wantResult   *readmodel.JobResult
		wantError    string
	}{
		{
			name:       "pending",
			job:        projectiontest.Job{Pending: domain.AllProviders},
			wantStatus: domain.JobPending,
			wantProv: map[string]readmodel.JobProvider{
				"builtwith": {Status: "pending"}, "similarweb": {Status: "pending"}, "yahoo_finance": {Status: "pending"},
			},
		},
		{
			name: "running",
			job: projectiontest.Job{
				Fetched: map[domain.Provider]domain.ProviderData{domain.ProviderSimilarWeb: projectiontest.Traffic},
				Failed:  map[domain.Provider]domain.FailureCode{domain.ProviderYahooFinance: domain.FailureNoTicker},
				Pending: []domain.Provider{domain.ProviderBuiltWith},
			},
			wantStatus: domain.JobRunning, wantProgress: 66,
			wantProv: map[string]readmodel.JobProvider{
				"builtwith": {Status: "pending"}, "similarweb": fetched(), "yahoo_finance": failed(domain.FailureNoTicker),
			},
		},
		{
			name: "partial",
			job: projectiontest.Job{
				Fetched: map[domain.Provider]domain.ProviderData{domain.ProviderBuiltWith: projectiontest.Tech},
				Failed:  map[domain.Provider]domain.FailureCode{domain.ProviderSimilarWeb: domain.FailureTimeout},
			},
			wantStatus: domain.JobPartial, wantProgress: 100,
			wantProv: map[string]readmodel.JobProvider{
				"builtwith": fetched(), "similarweb": failed(domain.FailureTimeout),
			},
			wantResult: &readmodel.JobResult{Failed: map[string]string{"similarweb": "timeout"}},
		},
		{
			name:       "failed",
			job:        projectiontest.Job{Failed: map[domain.Provider]domain.FailureCode{domain.ProviderSimilarWeb: domain.FailureQuotaExhausted}},
			wantStatus: domain.JobFailed, wantProgress: 100,
			wantProv:   map[string]readmodel.JobProvider{"similarweb": failed(domain.FailureQuotaExhausted)},
			wantResult: &readmodel.JobResult{Failed: map[string]string{"similarweb": "quota_exhausted"}},
			wantError:  string(domain.FailureAllProviders),
		},
		{
			name:       "completed",
			job:        projectiontest.Job{Fetched: projectiontest.AllFetched()},
			wantStatus: domain.JobCompleted, wantProgress: 100,
			wantProv: map[string]readmodel.JobProvider{
				"builtwith": fetched(), "similarweb": fetched(), "yahoo_finance": fetched(),
			},
			wantResult: &readmodel.JobResult{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := store(db)
			tt.job.Domain, tt.job.At, tt.job.RequestedBy = uniqueDomain("job"), at, "ana@example.com"
			id := projectiontest.RunJob(t, s, tt.job)
			catchUp(t, newRunner(t, db))

			got, err := postgres.NewReadModels(db.Pool).GetJob(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.wantStatus || got.Progress != tt.wantProgress || got.Error != tt.wantError {
				t.Errorf("status %s progress %d error %q, want %s %d %q", got.Status, got.Progress, got.Error, tt.wantStatus, tt.wantProgress, tt.wantError)
			}
			if !reflect.DeepEqual(got.Providers, tt.wantProv) {
				t.Errorf("providers = %s\nwant %s", mustJSON(t, got.Providers), mustJSON(t, tt.wantProv))
			}
			switch {
			case tt.wantResult == nil && got.Result != nil:
				t.Errorf("result %s, want none", mustJSON(t, got.Result))
			case tt.wantResult != nil && got.Result == nil:
				t.Errorf("no result")
			case tt.wantResult != nil:
				if !reflect.DeepEqual(got.Result.Failed, tt.wantResult.Failed) {
					t.Errorf("failed = %v, want %v", got.Result.Failed, tt.wantResult.Failed)
				}
				if (tt.wantStatus == domain.JobFailed) != (got.Result.Score == nil) {
					t.Errorf("score %v for status %s", got.Result.Score, got.Status)
				}
			}
			if got.ID != id || got.RequestedBy != "ana@example.com" || !got.CreatedAt.Equal(at) || !got.ExpiresAt.Equal(at.Add(24*time.Hour)) {
				t.Errorf("job = %+v", got)
			}
			if tt.wantStatus.Finished() != (got.FinishedAt != nil) {
				t.Errorf("finished at %v for status %s", got.FinishedAt, got.Status)
			}

			// The status endpoint's fallback folds the stream into the same view.
			evs, err := s.ReadStream(context.Background(), domain.JobStream(id), 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			folded, err := readmodel.FoldJob(evs)
			if err != nil {
				t.Fatal(err)
			}
			if mustJSON(t, normalise(folded)) != mustJSON(t, normalise(got)) {
				t.Errorf("folded view differs from the projected one:\n%s\n%s", mustJSON(t, folded), mustJSON(t, got))
			}
		})
	}
}

// normalise drops the time zone and monotonic clock, which a database round
// trip changes without changing the instant.
func normalise(j readmodel.Job) readmodel.Job {
	j.CreatedAt, j.UpdatedAt, j.ExpiresAt = j.CreatedAt.UTC(), j.UpdatedAt.UTC(), j.ExpiresAt.UTC()
	if j.FinishedAt != nil {
		f := j.FinishedAt.UTC()
		j.FinishedAt = &f
	}
	return j
}

func TestFoldJobWithoutRequest(t *testing.T) {
	t.Parallel()
	if _, err := readmodel.FoldJob(nil); err == nil {
		t.Fatal("empty stream folded into a job")
	}
	id := uuid.New()
	data, err := domain.Encode(domain.ProviderFailed{JobID: id, Domain: domain.MustParseDomain("x.com"), Provider: domain.ProviderBuiltWith}, domain.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readmodel.FoldJob([]domain.RecordedEvent{{StreamID: domain.JobStream(id), EventData: data}}); err == nil {
		t.Fatal("stream without EnrichmentRequested folded into a job")
	}
}
