package domain_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/domain"
)

var update = flag.Bool("update", false, "write golden files missing for an event type's current schema version")

// goldenDir holds one stored payload per event type and schema version, as
// the log holds them: <Type>.v<N>.json, or <Type>.v<N>.<variant>.json when a
// version was stored in more than one shape. They are never rewritten: an
// event stored once must decode forever.
const goldenDir = "testdata/events"

var goldenName = regexp.MustCompile(`^([A-Za-z]+)\.v(\d+)(\.[a-z0-9-]+)?\.json$`)

// Every stored payload of every version decodes into the current type with
// nothing lost: after upcasting, a strict decode accepts every field, and
// encoding the result gives back the upcast payload. Renaming or retyping a
// field fails here until an upcaster carries the old payloads over.
func TestGoldenEvents(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	current := map[string]bool{}
	for _, f := range files {
		m := goldenName.FindStringSubmatch(filepath.Base(f))
		if m == nil {
			t.Errorf("%s: name is not <Type>.v<N>[.variant].json", f)
			continue
		}
		typ, version := m[1], atoi(t, m[2])
		if version == domain.SchemaVersion(typ) {
			current[typ] = true
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			re := domain.RecordedEvent{
				EventData:  domain.EventData{ID: uuid.New(), Type: typ, SchemaVersion: version, Data: data},
				StreamID:   "golden",
				RecordedAt: time.Date(2025, 3, 3, 9, 30, 0, 0, time.UTC),
			}
			e, err := domain.Decode(re)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			upcast, err := domain.Upcast(re)
			if err != nil {
				t.Fatal(err)
			}
			strict := reflect.New(reflect.TypeOf(e))
			dec := json.NewDecoder(bytes.NewReader(upcast))
			dec.DisallowUnknownFields()
			if err := dec.Decode(strict.Interface()); err != nil {
				t.Fatalf("the current %s type no longer reads this payload: %v", typ, err)
			}
			again, err := json.Marshal(strict.Elem().Interface())
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(t, again, upcast) {
				t.Errorf("decoding loses or changes data:\nstored  %s\nre-encoded %s", upcast, again)
			}
		})
	}
	for _, typ := range domain.EventTypes() {
		if current[typ] {
			continue
		}
		if !*update {
			t.Errorf("no golden file for %s at its current schema version %d: add a sample below and run go test ./domain -run TestGoldenEvents -update",
				typ, domain.SchemaVersion(typ))
			continue
		}
		writeGolden(t, typ)
	}
}

func writeGolden(t *testing.T, typ string) {
	sample, ok := goldenSamples[typ]
	if !ok {
		t.Errorf("no sample of %s in goldenSamples", typ)
		return
	}
	data, err := json.MarshalIndent(sample, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(goldenDir, typ+".v"+strconv.Itoa(domain.SchemaVersion(typ))+".json")
	if err := os.WriteFile(name, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", name)
}

// A version-1 ScoreComputed from before "sources" existed still tells the
// target where its data came from: each provider-fed group is traced to that
// provider's outcome in the job, dated by the score.
func TestScoreComputedV1Upcast(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(goldenDir, "ScoreComputed.v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 3, 9, 30, 0, 0, time.UTC)
	re := domain.RecordedEvent{
		EventData:  domain.EventData{ID: uuid.New(), Type: domain.TypeScoreComputed, SchemaVersion: 1, Data: data},
		RecordedAt: at,
	}
	e, err := domain.Decode(re)
	if err != nil {
		t.Fatal(err)
	}
	sc := e.(domain.ScoreComputed)
	tech := sc.Sources[domain.GroupTech]
	wantID := domain.EventID(sc.JobID.String(), "provider", string(domain.ProviderBuiltWith))
	if tech.Source != "builtwith" || tech.JobID != sc.JobID || tech.EventID != wantID || !tech.At.Equal(at) {
		t.Errorf("tech source %+v, want builtwith from job %s event %s at %s", tech, sc.JobID, wantID, at)
	}
	if fin := sc.Sources[domain.GroupFinancials]; fin.Source != domain.SourceProfile || fin.JobID != uuid.Nil || !fin.At.IsZero() {
		t.Errorf("financials source %+v, want the imported profile, not a fetch", fin)
	}
	if sc.Level() != domain.LevelFull {
		t.Errorf("level %s, want full", sc.Level())
	}
	// The target's fold knows the fetch, so freshness and later scores see it.
	target, err := domain.LoadTarget(sc.Domain, []domain.RecordedEvent{re})
	if err != nil {
		t.Fatal(err)
	}
	if got := target.Known()[domain.GroupTech]; got.EventID != wantID || !got.At.Equal(at) {
		t.Errorf("target knows tech from %+v, want event %s", got, wantID)
	}
}

func TestNewerSchemaVersionIsRefused(t *testing.T) {
	re := domain.RecordedEvent{EventData: domain.EventData{
		Type: domain.TypeTargetAdded, SchemaVersion: domain.SchemaVersion(domain.TypeTargetAdded) + 1, Data: []byte(`{}`),
	}}
	if _, err := domain.Decode(re); err == nil {
		t.Fatal("an event from a newer schema decoded")
	}
}

func atoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

var (
	goldenJob   = uuid.MustParse("0190f3a2-7c1e-7b3a-9d4e-2f6a8b1c3d5e")
	goldenBatch = uuid.MustParse("5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f")
	goldenAt    = time.Date(2025, 3, 3, 9, 29, 0, 0, time.UTC)
	goldenSite  = domain.MustParseDomain("northwind-hardware.com")
)

// goldenSamples are the payloads -update writes for a type's current
// version: realistic, with every field set that the type can carry.
var goldenSamples = map[string]domain.Event{
	domain.TypeTargetImported: domain.TargetImported{Domain: goldenSite, BatchID: goldenBatch, SourceRowID: 42, MergedRows: []int64{43},
		Profile: domain.TargetProfile{Domain: "northwind-hardware.com", CompanyName: "Northwind Hardware", PartnerTech: "Adobe Commerce", Vertical: "Retail", Country: "US", City: "Seattle", State: "WA"}},
	domain.TypeTargetImportReverted: domain.TargetImportReverted{Domain: goldenSite, BatchID: goldenBatch},
	domain.TypeTargetAdded:          domain.TargetAdded{Domain: goldenSite, AddedBy: "rep@example.com", AddedAt: goldenAt},
	domain.TypeEnrichmentJobOpened: domain.EnrichmentJobOpened{JobID: goldenJob, Domain: goldenSite, Providers: domain.AllProviders,
		RequestedBy: "rep@example.com", OpenedAt: goldenAt, ExpiresAt: goldenAt.Add(15 * time.Minute)},
	domain.TypeEnrichmentJobClosed: domain.EnrichmentJobClosed{JobID: goldenJob, Domain: goldenSite, Outcome: domain.JobPartial, ClosedAt: goldenAt,
		Failed: map[domain.Provider]domain.FailureCode{domain.ProviderYahooFinance: domain.FailureNoTicker}},
	domain.TypeScoreComputed: domain.ScoreComputed{JobID: goldenJob, Domain: goldenSite,
		Score: domain.Score{ModelVersion: "icp-v2", Value: 79, Tier: 2, TierName: "Warm",
			Breakdown: []domain.FactorScore{{Factor: "search_vendor", Points: 15, Max: 20, Detail: "Coveo: a competitor"}},
			Reasons:   []string{"Runs Coveo, a competitor"}, Signals: domain.Signals{Budget: "high", Pain: "medium", Timing: "low"}},
		Sources: map[domain.InputGroup]domain.InputSource{
			domain.GroupTech:       {Source: "builtwith", EventID: goldenBatch, JobID: goldenJob, At: goldenAt, AgeSeconds: 60},
			domain.GroupTraffic:    {Source: "similarweb", EventID: goldenJob, JobID: goldenJob, At: goldenAt},
			domain.GroupFinancials: {Source: domain.SourceProfile, EventID: goldenBatch, AgeSeconds: 86400},
		}},
	domain.TypeEnrichmentRequested: domain.EnrichmentRequested{JobID: goldenJob, Domain: goldenSite, Providers: domain.AllProviders, Force: true,
		RequestedBy: "rep@example.com", RequestedAt: goldenAt, ExpiresAt: goldenAt.Add(15 * time.Minute), Ticker: "NWH"},
	domain.TypeProviderFetched: domain.ProviderFetched{JobID: goldenJob, Domain: goldenSite, Provider: domain.ProviderBuiltWith,
		Data:      domain.ProviderData{Tech: &domain.TechStack{Technologies: []string{"Adobe Commerce", "Coveo"}, SearchVendor: "Coveo", PartnerTech: []string{"Adobe Commerce"}, Source: "builtwith"}},
		LatencyMS: 180, Attempts: 1, HTTPStatus: 200, Note: "fallback source answered"},
	domain.TypeProviderFailed: domain.ProviderFailed{JobID: goldenJob, Domain: goldenSite, Provider: domain.ProviderSimilarWeb,
		Code: domain.FailureQuotaExhausted, HTTPStatus: 403, RetryAfterMS: 60000, Attempts: 3, Message: "no credits left"},
	domain.TypeEnrichmentCompleted: domain.EnrichmentCompleted{JobID: goldenJob, Domain: goldenSite, Score: 79, Tier: 2, FinishedAt: goldenAt},
	domain.TypeEnrichmentPartial: domain.EnrichmentPartial{JobID: goldenJob, Domain: goldenSite, Score: 61, Tier: 2, FinishedAt: goldenAt,
		Failed: map[domain.Provider]domain.FailureCode{domain.ProviderYahooFinance: domain.FailureNoTicker}},
	domain.TypeEnrichmentFailed: domain.EnrichmentFailed{JobID: goldenJob, Domain: goldenSite, Reason: domain.FailureTimeout, FinishedAt: goldenAt,
		Failed: map[domain.Provider]domain.FailureCode{domain.ProviderBuiltWith: domain.FailureTimeout}},
	domain.TypeImportBatchRecorded: domain.ImportBatchRecorded{BatchID: goldenBatch, Source: "legacy.sqlite", Checksum: "sha256:9f2c",
		Targets: []domain.Domain{goldenSite}, Report: json.RawMessage(`{"imported":1,"rejected":0}`), ImportedBy: "admin@example.com", ImportedAt: goldenAt},
	domain.TypeImportBatchReverted: domain.ImportBatchReverted{BatchID: goldenBatch, RevertedBy: "admin@example.com", RevertedAt: goldenAt},
	domain.TypeImportBatchRestored: domain.ImportBatchRestored{BatchID: goldenBatch, RestoredBy: "admin@example.com", RestoredAt: goldenAt.Add(time.Hour)},
	domain.TypeAPIKeyIssued: domain.APIKeyIssued{KeyID: goldenBatch, Owner: "rep@example.com", Tier: domain.TierStandard, Prefix: "pf_live_Ab3d",
		Hash: "9b74c9897bac770ffc029102a200c5de5b2f9d1f0a8e7c6b5d4e3f2a1b0c9d8e", IssuedBy: "admin@example.com", IssuedAt: goldenAt},
	domain.TypeAPIKeyTierChanged:   domain.APIKeyTierChanged{KeyID: goldenBatch, From: domain.TierStandard, To: domain.TierPower, ChangedBy: "admin@example.com", ChangedAt: goldenAt},
	domain.TypeAPIKeyRevoked:       domain.APIKeyRevoked{KeyID: goldenBatch, RevokedBy: "admin@example.com", Reason: "left the team", RevokedAt: goldenAt},
	domain.TypeRequesterJobStarted: domain.RequesterJobStarted{Requester: "rep@example.com", JobID: goldenJob, Domain: goldenSite, ExpiresAt: goldenAt.Add(15 * time.Minute)},
	domain.TypeRequesterJobEnded:   domain.RequesterJobEnded{Requester: "rep@example.com", JobID: goldenJob},
}
