package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/partnerforge/partnerforge/adapters/postgres/gen"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// ReadModels reads the projected views (see projections/) and converts
// them to plain readmodel values.
type ReadModels struct {
	q  *gen.Queries
	db gen.DBTX
	// totals keeps the target list's counts per filter and version.
	totals *totalsCache
}

// NewReadModels reads through db: the pool, or a transaction when a
// projection needs the view it is about to change.
func NewReadModels(db gen.DBTX) *ReadModels {
	if db == nil {
		panic("postgres.NewReadModels: nil db")
	}
	return &ReadModels{q: gen.New(db), db: db, totals: &totalsCache{}}
}

// lowerAll prepares the values of a filter that ignores case, as the query
// compares them with lower(column); normalize, if set, first maps each value
// to the form the read model stores. It never returns nil: the query takes
// an empty array to mean "any".
func lowerAll(values []string, normalize func(string) string) []string {
	out := make([]string, 0, len(values))
	for _, v := range values {
		if normalize != nil {
			v = normalize(v)
		}
		out = append(out, strings.ToLower(v))
	}
	return out
}

// containsPattern makes a search term an ILIKE pattern matching it
// anywhere, with LIKE's wildcards in the term taken literally.
func containsPattern(term string) string {
	if term == "" {
		return ""
	}
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(term)
	return "%" + esc + "%"
}

// GetTarget returns the full record of a target by its normalised domain,
// or an error wrapping readmodel.ErrNotFound.
func (r *ReadModels) GetTarget(ctx context.Context, domain string) (readmodel.Target, error) {
	raw, err := r.q.GetTargetRecord(ctx, domain)
	if errors.Is(err, pgx.ErrNoRows) {
		return readmodel.Target{}, fmt.Errorf("target %s: %w", domain, readmodel.ErrNotFound)
	}
	if err != nil {
		return readmodel.Target{}, fmt.Errorf("get target %s: %w", domain, err)
	}
	var t readmodel.Target
	if err := json.Unmarshal(raw, &t); err != nil {
		return readmodel.Target{}, fmt.Errorf("decode target %s: %w", domain, err)
	}
	// A NULL jsonb column decodes as the JSON text null; make it nil like
	// every other unknown value.
	for _, f := range []*json.RawMessage{
		&t.Emails, &t.Phones, &t.Socials, &t.ExecTitles, &t.MatchedCaseStudies, &t.ScoreReasons, &t.ScoreBreakdown,
		&t.TriggerEvents, &t.CompetitorsUsingAlgolia, &t.FinancialsJSON, &t.HiringSignals, &t.TechStackJSON,
	} {
		if string(*f) == "null" {
			*f = nil
		}
	}
	return t, nil
}

// GetJob returns a job's view, or an error wrapping readmodel.ErrNotFound.
func (r *ReadModels) GetJob(ctx context.Context, id uuid.UUID) (readmodel.Job, error) {
	row, err := r.q.GetJob(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return readmodel.Job{}, fmt.Errorf("job %s: %w", id, readmodel.ErrNotFound)
	}
	if err != nil {
		return readmodel.Job{}, fmt.Errorf("get job %s: %w", id, err)
	}
	return jobFromRow(row)
}

// ListJobs returns one page of jobs, newest first, and the total.
func (r *ReadModels) ListJobs(ctx context.Context, f readmodel.JobFilter) (readmodel.JobPage, error) {
	if f.Page < 1 || f.PerPage < 1 {
		return readmodel.JobPage{}, fmt.Errorf("list jobs: page %d, per page %d", f.Page, f.PerPage)
	}
	offset := (f.Page - 1) * f.PerPage
	filter := gen.CountJobsParams{RequestedBy: optText(f.RequestedBy), Domain: optText(f.Domain), Status: optText(string(f.Status))}
	rows, err := r.q.ListJobs(ctx, gen.ListJobsParams{
		RequestedBy: filter.RequestedBy, Domain: filter.Domain, Status: filter.Status,
		PageLimit: int32(f.PerPage), PageOffset: int32(offset),
	})
	if err != nil {
		return readmodel.JobPage{}, fmt.Errorf("list jobs: %w", err)
	}
	page := readmodel.JobPage{Jobs: make([]readmodel.Job, len(rows))}
	for i, row := range rows {
		if page.Jobs[i], err = jobFromRow(row); err != nil {
			return readmodel.JobPage{}, err
		}
	}
	total, err := r.q.CountJobs(ctx, filter)
	if err != nil {
		return readmodel.JobPage{}, fmt.Errorf("count jobs: %w", err)
	}
	page.Total = int(total)
	return page, nil
}

func jobFromRow(row gen.EnrichmentJob) (readmodel.Job, error) {
	j := readmodel.Job{
		ID: row.JobID, Domain: row.Domain, Status: domain.JobStatus(row.Status), Progress: int(row.Progress),
		Error: row.Error.String, RequestedBy: row.RequestedBy, Force: row.Force,
		CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt, ExpiresAt: row.ExpiresAt, FinishedAt: timePtr(row.FinishedAt),
	}
	if err := json.Unmarshal(row.Providers, &j.Providers); err != nil {
		return readmodel.Job{}, fmt.Errorf("decode providers of job %s: %w", row.JobID, err)
	}
	if len(row.Result) > 0 {
		if err := json.Unmarshal(row.Result, &j.Result); err != nil {
			return readmodel.Job{}, fmt.Errorf("decode result of job %s: %w", row.JobID, err)
		}
	}
	return j, nil
}

// Stats counts targets per tier, vertical, country and enrichment level.
func (r *ReadModels) Stats(ctx context.Context) (readmodel.Stats, error) {
	rows, err := r.q.TargetStats(ctx)
	if err != nil {
		return readmodel.Stats{}, fmt.Errorf("target stats: %w", err)
	}
	s := readmodel.Stats{ByTier: map[string]int{}, ByVertical: map[string]int{}, ByCountry: map[string]int{}, ByEnrichmentLevel: map[string]int{}}
	dims := map[string]map[string]int{"tier": s.ByTier, "vertical": s.ByVertical, "country": s.ByCountry, "enrichment_level": s.ByEnrichmentLevel}
	for _, row := range rows {
		key := row.Key
		if key == "" {
			key = readmodel.UnknownKey
		}
		dims[row.Dimension][key] += int(row.Targets)
		if row.Dimension == "tier" {
			s.Total += int(row.Targets) // every target has exactly one tier group
		}
	}
	return s, nil
}
