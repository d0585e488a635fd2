package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// JobsName is the enrichment_jobs projection's name.
const JobsName = "enrichment_jobs"

// Jobs projects the enrichment_jobs read model. Each event is folded into
// the job's view by readmodel.Job.Apply — the same fold the status endpoint
// runs over a job stream the projection has not reached yet.
type Jobs struct{}

func (Jobs) Name() string     { return JobsName }
func (Jobs) Tables() []string { return []string{"enrichment_jobs"} }

func (Jobs) Handles(eventType string) bool {
	switch eventType {
	case domain.TypeEnrichmentRequested, domain.TypeProviderFetched, domain.TypeProviderFailed,
		domain.TypeEnrichmentCompleted, domain.TypeEnrichmentPartial, domain.TypeEnrichmentFailed:
		return true
	}
	return false
}

func (Jobs) Apply(ctx context.Context, db gen.DBTX, re domain.RecordedEvent, e domain.Event) error {
	id, err := jobIDOf(e)
	if err != nil {
		return err
	}
	job, err := postgres.NewReadModels(db).GetJob(ctx, id)
	switch {
	case errors.Is(err, readmodel.ErrNotFound):
		req, ok := e.(domain.EnrichmentRequested)
		if !ok {
			// Every job stream starts with EnrichmentRequested, which this
			// projection applied before; a stream without one has no view.
			return nil
		}
		job = readmodel.NewJob(req, re.RecordedAt)
	case err != nil:
		return err
	case re.Type == domain.TypeEnrichmentRequested:
		return nil // applied before: starting over would forget later events
	default:
		job.Apply(e, re.RecordedAt)
	}
	return saveJob(ctx, gen.New(db), job)
}

func jobIDOf(e domain.Event) (uuid.UUID, error) {
	if je, ok := e.(domain.JobEvent); ok {
		return je.OfJob(), nil
	}
	return uuid.Nil, fmt.Errorf("%s is not a job event", e.EventType())
}

func saveJob(ctx context.Context, q *gen.Queries, j readmodel.Job) error {
	providers, err := json.Marshal(j.Providers)
	if err != nil {
		return fmt.Errorf("encode providers: %w", err)
	}
	var result json.RawMessage
	if j.Result != nil {
		if result, err = json.Marshal(j.Result); err != nil {
			return fmt.Errorf("encode result: %w", err)
		}
	}
	var finished pgtype.Timestamptz
	if j.FinishedAt != nil {
		finished = pgtype.Timestamptz{Time: *j.FinishedAt, Valid: true}
	}
	return q.UpsertJob(ctx, gen.UpsertJobParams{
		JobID: j.ID, Domain: j.Domain, Status: string(j.Status), Progress: int32(j.Progress),
		Providers: providers, Result: result, Error: optText(j.Error),
		RequestedBy: j.RequestedBy, Force: j.Force,
		CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt, ExpiresAt: j.ExpiresAt, FinishedAt: finished,
	})
}
