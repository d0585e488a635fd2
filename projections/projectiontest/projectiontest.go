// Package projectiontest appends realistic event histories through the real
// event store, for tests of the projections and of the routes that read
// them. Jobs are finished by domain.Job itself, so their scores and
// outcomes are the ones production would record.
package projectiontest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/domain"
)

// Append stores events on a stream (any version) under fresh ids.
func Append(t testing.TB, store *postgres.EventStore, stream string, events ...domain.Event) {
	t.Helper()
	data := make([]domain.EventData, len(events))
	for i, e := range events {
		var err error
		if data[i], err = domain.Encode(e, domain.Metadata{Actor: "test"}); err != nil {
			t.Fatalf("encode %s: %v", e.EventType(), err)
		}
	}
	if _, err := store.Append(context.Background(), stream, domain.AnyVersion, data...); err != nil {
		t.Fatalf("append to %s: %v", stream, err)
	}
}

// Import appends a TargetImported per profile under batch.
func Import(t testing.TB, store *postgres.EventStore, batch uuid.UUID, profiles ...domain.TargetProfile) {
	t.Helper()
	for i, p := range profiles {
		d := domain.MustParseDomain(p.Domain)
		Append(t, store, domain.TargetStream(d), domain.TargetImported{Domain: d, BatchID: batch, SourceRowID: int64(i + 1), Profile: p})
	}
}

// Revert appends TargetImportReverted for domains of batch.
func Revert(t testing.TB, store *postgres.EventStore, batch uuid.UUID, domains ...string) {
	t.Helper()
	for _, s := range domains {
		d := domain.MustParseDomain(s)
		Append(t, store, domain.TargetStream(d), domain.TargetImportReverted{Domain: d, BatchID: batch})
	}
}

// Job describes an enrichment job to play through.
type Job struct {
	ID          uuid.UUID // zero: a new random id
	Domain      string
	RequestedBy string // zero: "rep@example.com"
	At          time.Time
	// Fetched and Failed are the providers' outcomes; together they name the
	// requested providers. A provider in neither is requested and left
	// pending, and the job stays open.
	Fetched map[domain.Provider]domain.ProviderData
	Failed  map[domain.Provider]domain.FailureCode
	Pending []domain.Provider
	// Profile is the imported profile the score falls back on, if any.
	Profile *domain.TargetProfile
}

// RunJob appends the job's request, its providers' outcomes and, once none
// is pending, its end as domain.Job decides it. It returns the job id.
func RunJob(t testing.TB, store *postgres.EventStore, j Job) uuid.UUID {
	t.Helper()
	if j.ID == uuid.Nil {
		j.ID = uuid.New()
	}
	if j.RequestedBy == "" {
		j.RequestedBy = "rep@example.com"
	}
	d := domain.MustParseDomain(j.Domain)
	var providers []domain.Provider
	for _, p := range domain.AllProviders {
		_, fetched := j.Fetched[p]
		_, failed := j.Failed[p]
		pending := false
		for _, q := range j.Pending {
			pending = pending || q == p
		}
		if fetched || failed || pending {
			providers = append(providers, p)
		}
	}
	expires := j.At.Add(24 * time.Hour)
	Append(t, store, domain.TargetStream(d), domain.EnrichmentJobOpened{
		JobID: j.ID, Domain: d, Providers: providers, RequestedBy: j.RequestedBy, OpenedAt: j.At, ExpiresAt: expires,
	})
	jobStream := domain.JobStream(j.ID)
	Append(t, store, jobStream, domain.EnrichmentRequested{
		JobID: j.ID, Domain: d, Providers: providers, RequestedBy: j.RequestedBy, RequestedAt: j.At, ExpiresAt: expires,
	})
	for _, p := range providers {
		if data, ok := j.Fetched[p]; ok {
			Append(t, store, jobStream, domain.ProviderFetched{
				JobID: j.ID, Domain: d, Provider: p, Data: data, LatencyMS: 120, Attempts: 1, HTTPStatus: 200,
			})
		}
		if code, ok := j.Failed[p]; ok {
			Append(t, store, jobStream, domain.ProviderFailed{
				JobID: j.ID, Domain: d, Provider: p, Code: code, HTTPStatus: 503, Attempts: 3, Message: "upstream said no",
			})
		}
	}
	evs, err := store.ReadStream(context.Background(), jobStream, 0, 100)
	if err != nil {
		t.Fatalf("read %s: %v", jobStream, err)
	}
	job, err := domain.LoadJob(evs)
	if err != nil {
		t.Fatalf("load job %s: %v", j.ID, err)
	}
	jobEvents, targetEvents := job.Finish(domain.Knowledge{Profile: j.Profile}, j.At.Add(time.Minute))
	if len(jobEvents) > 0 {
		Append(t, store, jobStream, jobEvents...)
		Append(t, store, domain.TargetStream(d), targetEvents...)
	}
	return j.ID
}

// Data for each provider, shaped like the fixture providers' answers.
var (
	Tech = domain.ProviderData{Tech: &domain.TechStack{
		Technologies: []string{"Shopify Plus", "Klevu"}, SearchVendor: "Klevu", PartnerTech: []string{"Shopify Plus"}, Source: "builtwith",
	}}
	Traffic = domain.ProviderData{Traffic: &domain.Traffic{
		MonthlyVisits: 2_400_000, BounceRate: 0.41, PagesPerVisit: 5.2, AvgDurationSeconds: 245.6,
		SearchTrafficShare: 0.37, GlobalRank: 15_320, TrafficGrowth: 0.123,
	}}
	Financials = domain.ProviderData{Financials: &domain.Financials{
		Ticker: "NWO", Revenue: 1.8e9, GrossMargin: 0.42, Currency: "USD",
	}}
)

// AllFetched is every provider delivering.
func AllFetched() map[domain.Provider]domain.ProviderData {
	return map[domain.Provider]domain.ProviderData{
		domain.ProviderBuiltWith: Tech, domain.ProviderSimilarWeb: Traffic, domain.ProviderYahooFinance: Financials,
	}
}

// Profile is a plausible imported profile for domain d.
func Profile(d, company, vertical, country string, score int64) domain.TargetProfile {
	t, _ := domain.TierFor(int(score))
	tier := int64(t)
	visits := score * 10_000
	return domain.TargetProfile{
		Domain: d, CompanyName: company, Vertical: vertical, Country: country, PartnerTech: "Shopify Plus",
		ICPScore: &score, ICPTier: &tier, SWMonthlyVisits: &visits, CurrentSearch: "Klevu", EnrichmentLevel: "basic",
	}
}
