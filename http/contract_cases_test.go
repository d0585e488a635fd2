package httpapi

import (
	"net/http"
	"strings"

	"github.com/partnerforge/partnerforge/domain"
)

// contractCase is one request of the contract test. Path may name a value an
// earlier case captured, as {job_id}.
type contractCase struct {
	name   string
	method string
	path   string
	header map[string]string
	body   string
	// want lists the acceptable statuses; wantCode the error code, if any.
	want     []int
	wantCode string
	// capture stores this top-level string field of the response body for
	// later cases.
	capture string
	// revalidate repeats the request with the response's ETag in
	// If-None-Match and expects 304.
	revalidate bool
}

var (
	ok          = []int{http.StatusOK}
	badRequest  = []int{http.StatusBadRequest}
	notFound    = []int{http.StatusNotFound}
	notAllowed  = []int{http.StatusMethodNotAllowed}
	accepted    = []int{http.StatusAccepted}
	forbidden   = []int{http.StatusForbidden}
	standardKey = map[string]string{HeaderAPIKey: testKey("standard@example.com", domain.TierStandard)}
	powerKey    = map[string]string{HeaderAPIKey: testKey("power@example.com", domain.TierPower)}
	limitHeader = map[string]string{HeaderAPIKey: testKey("contract-limit@example.com", domain.TierPower)}
	// keyed is a standard key with budget left; spentKey one whose reads
	// contractDeps has spent.
	keyed    = newKey(domain.TierStandard)
	spentKey = newKey(domain.TierStandard)
)

// contractCases run in order: later cases use what earlier ones created.
func contractCases() []contractCase {
	get := func(name, path string, want []int, code string) contractCase {
		return contractCase{name: name, method: http.MethodGet, path: path, want: want, wantCode: code}
	}
	post := func(name, path, body string, want []int, code string) contractCase {
		return contractCase{name: name, method: http.MethodPost, path: path, body: body, want: want, wantCode: code}
	}
	request := func(method, name, path, body string, want []int, code string) contractCase {
		return contractCase{name: name, method: method, path: path, body: body, want: want, wantCode: code}
	}
	withHeader := func(c contractCase, h map[string]string) contractCase { c.header = h; return c }
	revalidated := func(c contractCase) contractCase { c.revalidate = true; return c }
	captured := func(c contractCase, field string) contractCase { c.capture = field; return c }

	return []contractCase{
		// Operations.
		revalidated(get("health", "/health", ok, "")),
		get("live", "/live", ok, ""),
		get("ready", "/ready", ok, ""),
		get("metrics", "/metrics", ok, ""),
		revalidated(get("openapi document", "/openapi.json", ok, "")),
		post("POST on a GET route", "/health", "", notAllowed, CodeMethodNotAllowed),
		get("unknown route", "/api/nothing-here", notFound, CodeNotFound),

		// Enrichment requests.
		captured(post("enrich with the defaults", "/api/enrich/www.Costco.com", "", accepted, ""), "job_id"),
		post("enrich joins the job in flight", "/api/enrich/costco.com", "", accepted, ""),
		post("enrich with options", "/api/enrich/WWW.Target.com",
			`{"force":true,"add":true,"providers":["similarweb","builtwith"]}`, accepted, ""),
		post("enrich a domain that is not a target", "/api/enrich/costcoo.com", "", notFound, CodeNotFound),
		post("enrich with an empty JSON object", "/api/enrich/bestbuy.com", `{}`, accepted, ""),
		post("enrich a target enriched recently", "/api/enrich/zalando.de", "", accepted, ""),
		post("enrich an invalid domain", "/api/enrich/not_a_domain", "", badRequest, CodeInvalidDomain),
		post("enrich with an unknown field", "/api/enrich/walmart.com", `{"provider":["builtwith"]}`, badRequest, CodeInvalidParameter),
		post("enrich with malformed JSON", "/api/enrich/walmart.com", `{"force":`, badRequest, CodeInvalidParameter),
		post("enrich with trailing data", "/api/enrich/walmart.com", `{} {}`, badRequest, CodeInvalidParameter),
		post("enrich with a wrong type", "/api/enrich/walmart.com", `{"force":"yes"}`, badRequest, CodeInvalidParameter),
		post("enrich with an unknown provider", "/api/enrich/walmart.com", `{"providers":["clearbit"]}`, badRequest, CodeInvalidParameter),
		post("enrich with a repeated provider", "/api/enrich/walmart.com", `{"providers":["yahoo_finance","yahoo_finance"]}`, badRequest, CodeInvalidParameter),
		withHeader(post("enrich without a key", "/api/enrich/walmart.com", "", forbidden, CodeMissingAPIKey),
			map[string]string{HeaderAPIKey: ""}),
		withHeader(post("enrich with an unknown key", "/api/enrich/walmart.com", "", forbidden, CodeInvalidAPIKey),
			map[string]string{HeaderAPIKey: unknownKey}),
		post("enrich with an oversize body", "/api/enrich/walmart.com",
			`{"force":true,"pad":"`+strings.Repeat("x", int(MaxBodyBytes))+`"}`, []int{http.StatusRequestEntityTooLarge}, CodePayloadTooLarge),
		withHeader(post("enrich with a form body", "/api/enrich/walmart.com", `{"force":true}`, []int{http.StatusUnsupportedMediaType}, CodeUnsupportedMediaType),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded"}),
		post("enrich with a closing brace too many", "/api/enrich/walmart.com", `{"force":true}}`, badRequest, CodeInvalidParameter),
		withHeader(post("enrich within the limit 1", "/api/enrich/limit-one.com", `{"add":true}`, accepted, ""), limitHeader),
		withHeader(post("enrich within the limit 2", "/api/enrich/limit-two.com", `{"add":true}`, accepted, ""), limitHeader),
		withHeader(post("enrich within the limit 3", "/api/enrich/limit-three.com", `{"add":true}`, accepted, ""), limitHeader),
		withHeader(post("enrich beyond the limit", "/api/enrich/limit-four.com", `{"add":true}`, []int{http.StatusTooManyRequests}, CodeTooManyJobs), limitHeader),
		get("GET on the enrich route", "/api/enrich/costco.com", notAllowed, CodeMethodNotAllowed),
		withHeader(post("enrich with a key", "/api/enrich/costco.com", "", accepted, ""), keyed.header()),

		// Jobs. The job just opened is not projected yet: the route folds
		// its stream.
		revalidated(get("job status", "/api/enrich/status/{job_id}", ok, "")),
		get("job status of an unknown job", "/api/enrich/status/00000000-0000-4000-8000-000000000000", notFound, CodeNotFound),
		get("job status with an invalid id", "/api/enrich/status/not-a-uuid", badRequest, CodeInvalidParameter),
		revalidated(get("jobs", "/api/enrich/jobs", ok, "")),
		get("jobs filtered and paged", "/api/enrich/jobs?page=1&per_page=5&requested_by=contract-limit@example.com", ok, ""),
		get("jobs of one target, any spelling", "/api/enrich/jobs?domain=WWW.Zalando.de", ok, ""),
		get("jobs by status", "/api/enrich/jobs?status=completed&domain=zalando.de", ok, ""),
		get("jobs with an unknown status", "/api/enrich/jobs?status=done", badRequest, CodeInvalidParameter),

		// Auditors: histories, score changes and the record as of an instant.
		get("job history", "/api/enrich/jobs/{job_id}/history", ok, ""),
		get("job history paged", "/api/enrich/jobs/{job_id}/history?limit=1&after=0", ok, ""),
		get("job history of an unknown job", "/api/enrich/jobs/00000000-0000-4000-8000-000000000000/history", notFound, CodeNotFound),
		get("job history with a bad limit", "/api/enrich/jobs/{job_id}/history?limit=501", badRequest, CodeInvalidParameter),
		get("company history", "/api/companies/zalando.de/history", ok, ""),
		get("company history paged", "/api/companies/zalando.de/history?limit=2&after=0", ok, ""),
		get("company history of an unknown target", "/api/companies/unlisted-example.com/history", notFound, CodeNotFound),
		get("company history with an invalid domain", "/api/companies/not_a_domain/history", badRequest, CodeInvalidDomain),
		get("score changes", "/api/companies/zalando.de/score-changes", ok, ""),
		get("score changes of an unknown target", "/api/companies/unlisted-example.com/score-changes", notFound, CodeNotFound),
		get("score changes with an invalid domain", "/api/companies/not_a_domain/score-changes", badRequest, CodeInvalidDomain),
		get("company as of now", "/api/companies/zalando.de?as_of=2100-01-01T00:00:00Z", ok, ""),
		get("company as of before it existed", "/api/companies/zalando.de?as_of=2001-01-01T00:00:00Z", notFound, CodeNotFound),
		get("company as of a bad time", "/api/companies/zalando.de?as_of=yesterday", badRequest, CodeInvalidParameter),
		get("jobs with an invalid domain", "/api/enrich/jobs?domain=not_a_domain", badRequest, CodeInvalidParameter),
		get("jobs with per_page 0", "/api/enrich/jobs?per_page=0", badRequest, CodeInvalidParameter),
		get("jobs with a non-numeric page", "/api/enrich/jobs?page=two", badRequest, CodeInvalidParameter),

		// Targets.
		revalidated(get("targets", "/api/targets", ok, "")),
		withHeader(get("targets with a key", "/api/targets", ok, ""), keyed.header()),
		withHeader(get("targets beyond the key's reads budget", "/api/targets", []int{http.StatusTooManyRequests}, CodeRateLimited), spentKey.header()),
		get("targets paged", "/api/targets?page=2&per_page=10", ok, ""),
		get("targets by tier and score", "/api/targets?tier=1&score_min=60&score_max=100", ok, ""),
		get("targets by verticals and countries", "/api/targets?vertical=Retail&vertical=Fashion&country=US&country=DE", ok, ""),
		get("targets by countries in any spelling", "/api/targets?country=gb&country=United%20States&vertical=fashion%20%26%20apparel", ok, ""),
		get("targets by partner tech and search", "/api/targets?partner_tech=Shopify&search=co", ok, ""),
		get("targets by score", "/api/targets?sort=icp_score&order=desc", ok, ""),
		get("targets by visits", "/api/targets?sort=sw_monthly_visits&order=desc&per_page=50", ok, ""),
		get("targets by name", "/api/targets?sort=company_name&order=asc", ok, ""),
		get("targets by revenue", "/api/targets?sort=revenue&order=asc&tier=2", ok, ""),
		get("targets by last enriched", "/api/targets?sort=last_enriched", ok, ""),
		get("targets by domain", "/api/targets?sort=domain&order=asc&page=1", ok, ""),
		// A cursor as the list issues it: after a.com, by domain.
		get("targets after a cursor", "/api/targets?sort=domain&order=asc&per_page=5&cursor=eyJzIjoiZG9tYWluIiwiZCI6ImEuY29tIiwibyI6MX0", ok, ""),
		get("targets with another order's cursor", "/api/targets?sort=domain&cursor=eyJzIjoicmV2ZW51ZSIsInIiOnRydWUsImsiOiIxIiwiZCI6ImEuY29tIiwibyI6MX0", badRequest, CodeInvalidParameter),
		get("targets as CSV", "/api/targets.csv", ok, ""),
		get("targets as CSV, filtered and sorted", "/api/targets.csv?tier=1&score_min=60&score_max=100&vertical=Retail&country=US&partner_tech=Shopify&search=co&sort=revenue&order=asc", ok, ""),
		get("targets as CSV take no paging", "/api/targets.csv?page=2", badRequest, CodeInvalidParameter),
		get("targets as CSV with a bad filter", "/api/targets.csv?tier=9", badRequest, CodeInvalidParameter),
		get("targets page 0", "/api/targets?page=0", badRequest, CodeInvalidParameter),
		get("targets per_page 0", "/api/targets?per_page=0", badRequest, CodeInvalidParameter),
		get("targets non-numeric per_page", "/api/targets?per_page=ten", badRequest, CodeInvalidParameter),
		get("targets tier out of range", "/api/targets?tier=9", badRequest, CodeInvalidParameter),
		get("targets negative score_min", "/api/targets?score_min=-1", badRequest, CodeInvalidParameter),
		get("targets unknown sort", "/api/targets?sort=bogus", badRequest, CodeInvalidParameter),
		get("targets unknown order", "/api/targets?order=up", badRequest, CodeInvalidParameter),
		get("targets unknown parameter", "/api/targets?colour=red", badRequest, CodeInvalidParameter),
		get("targets repeated page", "/api/targets?page=1&page=2", badRequest, CodeInvalidParameter),
		get("targets with too many countries", "/api/targets?"+strings.Repeat("country=US&", maxListValues)+"country=DE", badRequest, CodeInvalidParameter),
		revalidated(get("company", "/api/companies/www.Costco.com", ok, "")),
		get("company not imported", "/api/companies/www.Unlisted-Example.com", notFound, CodeNotFound),
		get("company with an invalid domain", "/api/companies/not_a_domain", badRequest, CodeInvalidDomain),
		revalidated(get("stats", "/api/stats", ok, "")),

		// Admin export.
		withHeader(get("export without a key", "/api/admin/events", forbidden, CodeMissingAPIKey), map[string]string{HeaderAPIKey: ""}),
		withHeader(get("export with a power key", "/api/admin/events", forbidden, CodeForbidden), powerKey),
		get("export everything", "/api/admin/events", ok, ""),
		get("export filtered", "/api/admin/events?stream=target-costco.com&type=TargetImported&after=0"+
			"&since=2020-01-01T00:00:00Z&until=2100-01-01T00:00:00%2B01:00", ok, ""),
		get("export since a date without a time", "/api/admin/events?since=2026-03-03", badRequest, CodeInvalidParameter),
		get("export after a negative position", "/api/admin/events?after=-5", badRequest, CodeInvalidParameter),
		get("export unknown parameter", "/api/admin/events?limit=5", badRequest, CodeInvalidParameter),

		// Admin rebuild of a read model.
		request(http.MethodPost, "rebuild a read model", "/api/admin/projections/displacement_targets/rebuild", "", accepted, ""),
		get("rebuild status", "/api/admin/projections/displacement_targets/rebuild", ok, ""),
		request(http.MethodPost, "rebuild an unknown read model", "/api/admin/projections/nothing/rebuild", "", notFound, CodeNotFound),
		get("rebuild status of a read model never rebuilt here", "/api/admin/projections/api_keys/rebuild", notFound, CodeNotFound),
		withHeader(request(http.MethodPost, "rebuild with a power key", "/api/admin/projections/displacement_targets/rebuild", "", forbidden, CodeForbidden), powerKey),

		// Keys and tiers.
		withHeader(get("metrics without a key", "/metrics", forbidden, CodeMissingAPIKey), map[string]string{HeaderAPIKey: ""}),
		withHeader(get("metrics with a power key", "/metrics", forbidden, CodeForbidden), powerKey),
		withHeader(get("targets with a standard key", "/api/targets", ok, ""), standardKey),
		withHeader(get("unknown route without a key", "/api/nothing-here", forbidden, CodeMissingAPIKey), map[string]string{HeaderAPIKey: ""}),
		captured(request(http.MethodPost, "issue a key", "/api/admin/keys", `{"email":"Rep@Example.com","tier":"standard"}`, []int{http.StatusCreated}, ""), "key_id"),
		request(http.MethodPost, "issue a key to an invalid email", "/api/admin/keys", `{"email":"rep","tier":"standard"}`, badRequest, CodeInvalidParameter),
		request(http.MethodPost, "issue a key of an unknown tier", "/api/admin/keys", `{"email":"rep@example.com","tier":"gold"}`, badRequest, CodeInvalidParameter),
		request(http.MethodPost, "issue a key with an unknown field", "/api/admin/keys", `{"email":"rep@example.com","tier":"power","key":"x"}`, badRequest, CodeInvalidParameter),
		withHeader(request(http.MethodPost, "issue a key with a power key", "/api/admin/keys", `{"email":"rep@example.com","tier":"admin"}`, forbidden, CodeForbidden), powerKey),
		get("list keys", "/api/admin/keys", ok, ""),
		withHeader(get("list keys with a standard key", "/api/admin/keys", forbidden, CodeForbidden), standardKey),
		request(http.MethodPatch, "change a key's tier", "/api/admin/keys/{key_id}", `{"tier":"power"}`, ok, ""),
		request(http.MethodPatch, "change an unknown key's tier", "/api/admin/keys/00000000-0000-4000-8000-000000000000", `{"tier":"power"}`, notFound, CodeNotFound),
		request(http.MethodPatch, "change a tier with an invalid key id", "/api/admin/keys/not-a-uuid", `{"tier":"power"}`, badRequest, CodeInvalidParameter),
		request(http.MethodDelete, "revoke a key", "/api/admin/keys/{key_id}", `{"reason":"contract test"}`, []int{http.StatusNoContent}, ""),
		request(http.MethodDelete, "revoke a key twice", "/api/admin/keys/{key_id}", "", []int{http.StatusConflict}, CodeConflict),
		request(http.MethodPatch, "change a revoked key's tier", "/api/admin/keys/{key_id}", `{"tier":"admin"}`, []int{http.StatusConflict}, CodeConflict),
		withHeader(request(http.MethodDelete, "revoke a key with a standard key", "/api/admin/keys/{key_id}", "", forbidden, CodeForbidden), standardKey),
	}
}
