package domain_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

func TestJobLifecycle(t *testing.T) {
	job := uuid.New()
	fetched := domain.ProviderFetched{JobID: job, Provider: domain.ProviderBuiltWith}
	failed := domain.ProviderFailed{JobID: job, Provider: domain.ProviderSimilarWeb, Code: domain.FailureTimeout}
	tests := []struct {
		from domain.JobStatus
		on   domain.Event
		want domain.JobStatus
	}{
		{"", domain.EnrichmentRequested{JobID: job}, domain.JobPending},
		{domain.JobPending, fetched, domain.JobRunning},
		{domain.JobPending, failed, domain.JobRunning},
		{domain.JobRunning, domain.EnrichmentCompleted{JobID: job}, domain.JobCompleted},
		{domain.JobRunning, domain.EnrichmentPartial{JobID: job}, domain.JobPartial},
		{domain.JobPending, domain.EnrichmentFailed{JobID: job}, domain.JobFailed},
		// A late outcome never reopens a finished job.
		{domain.JobCompleted, fetched, domain.JobCompleted},
		{domain.JobFailed, failed, domain.JobFailed},
		// An event that is not a job's leaves the status alone.
		{domain.JobRunning, domain.TargetAdded{}, domain.JobRunning},
	}
	for _, tt := range tests {
		if got := tt.from.After(tt.on); got != tt.want {
			t.Errorf("%q after %s = %q, want %q", tt.from, tt.on.EventType(), got, tt.want)
		}
	}
}

// The aggregate and its events agree: every job event names its job, and a
// stream folds to the status the lifecycle gives.
func TestLoadJobFollowsTheLifecycle(t *testing.T) {
	id := uuid.New()
	now := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	d := domain.MustParseDomain("costco.com")
	events := []domain.Event{
		domain.EnrichmentRequested{JobID: id, Domain: d, Providers: []domain.Provider{domain.ProviderBuiltWith}, RequestedAt: now, ExpiresAt: now.Add(time.Hour)},
		domain.ProviderFetched{JobID: id, Domain: d, Provider: domain.ProviderBuiltWith},
		domain.EnrichmentCompleted{JobID: id, Domain: d, FinishedAt: now},
	}
	var recorded []domain.RecordedEvent
	for i, e := range events {
		if je, ok := e.(domain.JobEvent); !ok || je.OfJob() != id {
			t.Fatalf("%s does not name its job", e.EventType())
		}
		data, err := domain.Encode(e, domain.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		recorded = append(recorded, domain.RecordedEvent{StreamID: domain.JobStream(id), StreamVersion: int64(i + 1), EventData: data, RecordedAt: now})
	}
	for n, want := range []domain.JobStatus{domain.JobPending, domain.JobRunning, domain.JobCompleted} {
		j, err := domain.LoadJob(recorded[:n+1])
		if err != nil {
			t.Fatal(err)
		}
		if j.Status() != want || j.Version() != int64(n+1) {
			t.Errorf("after %d events: status %q version %d, want %q and %d", n+1, j.Status(), j.Version(), want, n+1)
		}
	}
}

func TestParseJobStatus(t *testing.T) {
	cases := []struct {
		in     string
		want   domain.JobStatus
		wantOK bool
	}{
		{"pending", domain.JobPending, true},
		{"Running", domain.JobRunning, true},
		{" COMPLETED ", domain.JobCompleted, true},
		{"partial", domain.JobPartial, true},
		{"failed", domain.JobFailed, true},
		{"done", "", false},
		{"", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := domain.ParseJobStatus(tc.in)
			if ok != tc.wantOK || (ok && got != tc.want) {
				t.Errorf("ParseJobStatus(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
