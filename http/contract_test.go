package httpapi

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections"
	"github.com/partnerforge/partnerforge/projections/projectiontest"
)

// contractJobLimit is the per-requester limit of jobs in flight in the
// contract test, low so the 429 case is cheap to reach.
const contractJobLimit = 3

// TestContract runs the real router, over the real store, on a loopback
// server and checks that it and openapi.json agree: the same routes, every
// documented operation and query parameter exercised, and every response —
// status, documented headers, body — valid against the document.
func TestContract(t *testing.T) {
	doc, err := parseOpenAPI(OpenAPIDocument())
	if err != nil {
		t.Fatal(err)
	}
	seedReadModels(t)
	deps := contractDeps()
	// A rebuild the cases start runs on after its 202: wait for it.
	t.Cleanup(deps.Rebuilds.(*projections.Rebuilds).Wait)
	router := NewRouter(withTestAuth(deps))
	srv := httptest.NewServer(router)
	t.Cleanup(srv.Close)

	t.Run("router and document have the same routes", func(t *testing.T) {
		var inRouter []string
		for _, r := range router.Routes() {
			inRouter = append(inRouter, r.Method+" "+ginPathToOpenAPI(r.Path))
			// The company route is a catch-all: it also serves the
			// auditors' views of the company.
			if r.Path == "/api"+companyRoute {
				for _, suffix := range []string{historySuffix, scoreChangesSuffix} {
					inRouter = append(inRouter, r.Method+" "+ginPathToOpenAPI(r.Path)+suffix)
				}
			}
		}
		inDoc := doc.operations()
		for _, missing := range difference(inRouter, inDoc) {
			t.Errorf("route %s is served but not in openapi.json", missing)
		}
		for _, missing := range difference(inDoc, inRouter) {
			t.Errorf("operation %s is in openapi.json but not served", missing)
		}
	})

	t.Run("every 4xx and 5xx response uses the error shape", func(t *testing.T) {
		for _, op := range doc.operations() {
			method, path, _ := strings.Cut(op, " ")
			for status, resp := range doc.responses(method, path) {
				if n, _ := strconv.Atoi(status); n < 400 {
					continue
				}
				r, err := doc.resolve(resp)
				if err != nil {
					t.Fatal(err)
				}
				ref, _ := jsonPath(r, "content", "application/json", "schema", "$ref").(string)
				if ref != "#/components/schemas/Error" {
					t.Errorf("%s %s: response %s does not use #/components/schemas/Error", method, path, status)
				}
			}
		}
	})

	run := &contractRunner{doc: doc, base: srv.URL, client: &http.Client{
		Timeout: 30 * time.Second,
		// Compression is asked for and undone by hand, so the test sees the
		// headers the server really sent.
		Transport: withTestKey(&http.Transport{DisableCompression: true}),
	}, vars: map[string]string{}, exercised: map[string]bool{}}
	for _, tc := range contractCases() {
		t.Run(tc.name, func(t *testing.T) { run.check(t, tc) })
	}

	t.Run("every operation and query parameter is exercised", func(t *testing.T) {
		for _, op := range doc.operations() {
			if !run.exercised[op] {
				t.Errorf("no case calls %s", op)
			}
			method, path, _ := strings.Cut(op, " ")
			for _, p := range doc.parameters(method, path) {
				if p["in"] == "query" && !run.exercised[op+"?"+p["name"].(string)] {
					t.Errorf("no valid case of %s uses query parameter %s", op, p["name"])
				}
			}
		}
	})
}

// seedReadModels imports four targets, plays one enrichment job through to
// the end and projects it all, so list and detail responses carry real
// records. costco.com is left unenriched for the enrichment cases.
func seedReadModels(t *testing.T) {
	t.Helper()
	store := postgres.NewEventStore(db.Pool)
	projectiontest.Import(t, store, uuid.New(),
		projectiontest.Profile("costco.com", "Costco", "Retail", "US", 85),
		projectiontest.Profile("bestbuy.com", "Best Buy", "Retail", "US", 65),
		projectiontest.Profile("zalando.de", "Zalando", "Fashion", "DE", 45),
		// Spelled as the legacy list spells some rows.
		projectiontest.Profile("asos.co.uk", "ASOS", "Fashion & Apparel", "UK", 70))
	projectiontest.RunJob(t, store, projectiontest.Job{Domain: "zalando.de", At: time.Now(), Fetched: projectiontest.AllFetched()})
	runner, err := projections.NewRunner(db.Pool, projections.Config{}, projections.All()...)
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.CatchUp(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func contractDeps() Deps {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector())
	store := postgres.NewEventStore(db.Pool)
	limiter := frozenLimiter()
	for range domain.TierStandard.Limits().ReadsPerMinute {
		if _, err := limiter.Allow(context.Background(), BudgetReads+":"+spentKey.id.String(), domain.TierStandard.Limits().ReadsPerMinute); err != nil {
			panic(err)
		}
	}
	return Deps{
		RateLimiter: limiter,
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Readiness:   []ReadinessCheck{{Name: "database", Check: db.Pool.Ping}},
		Metrics:     promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Enrich:      commands.NewRequestEnrichmentHandler(store, domain.DefaultEnrichmentPolicy, contractJobLimit, time.Now),
		Reads:       postgres.NewReadModels(db.Pool),
		JobStreams:  store,
		Audit:       projections.NewAudit(db.Pool),
		Events:      store,
		Rebuilds:    projections.NewRebuilds(context.Background(), contractProjections(), nil),
		KeyAdmin: KeyAdmin{
			Issue:      commands.NewIssueKeyHandler(store, testHasher, time.Now),
			ChangeTier: commands.NewChangeKeyTierHandler(store, time.Now),
			Revoke:     commands.NewRevokeKeyHandler(store, time.Now),
			List:       postgres.NewAPIKeys(db.Pool),
		},
	}
}

// contractRunner sends the cases in order; vars carries values one case
// captures for later ones (the job id a POST returned).
type contractRunner struct {
	doc       *openAPIDoc
	base      string
	client    *http.Client
	vars      map[string]string
	exercised map[string]bool
}

func (r *contractRunner) check(t *testing.T, tc contractCase) {
	t.Helper()
	path := tc.path
	for k, v := range r.vars {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	resp, body := r.do(t, tc.method, path, tc.header, tc.body)
	if !slices.Contains(tc.want, resp.StatusCode) {
		t.Fatalf("%s %s: status %d, want one of %v; body %s", tc.method, path, resp.StatusCode, tc.want, body)
	}
	u, _ := url.Parse(path)
	route, found := r.doc.route(u.Path)
	op := tc.method + " " + route
	switch {
	case !found || r.doc.operation(tc.method, route) == nil:
		// Outside the document: only the standard refusals are allowed.
		// A request without a key is refused before routing, so an
		// unknown /api route answers 403 to it, as any route there would.
		want := map[int]string{http.StatusNotFound: "NotFound", http.StatusMethodNotAllowed: "MethodNotAllowed", http.StatusForbidden: "Forbidden"}[resp.StatusCode]
		if want == "" {
			t.Fatalf("%s %s is not documented yet answered %d", tc.method, u.Path, resp.StatusCode)
		}
		r.checkResponse(t, "#/components/responses/"+want, resp, body)
	default:
		r.exercised[op] = true
		respDoc, ok := r.doc.responses(tc.method, route)[strconv.Itoa(resp.StatusCode)]
		if !ok {
			t.Fatalf("%s: status %d is not documented", op, resp.StatusCode)
		}
		r.checkResponse(t, respDoc, resp, body)
		if resp.StatusCode < 400 {
			r.checkRequest(t, tc, route, u)
		}
	}
	if tc.wantCode != "" {
		var e ErrorBody
		if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != tc.wantCode {
			t.Errorf("error code %q, want %q (body %s)", e.Error.Code, tc.wantCode, body)
		}
	}
	if tc.capture != "" {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		if v, ok := m[tc.capture].(string); ok {
			r.vars[tc.capture] = v
		}
	}
	if tc.revalidate {
		tag := resp.Header.Get("ETag")
		if tag == "" {
			t.Fatal("no ETag to revalidate with")
		}
		again, body := r.do(t, tc.method, path, map[string]string{"If-None-Match": tag}, "")
		if again.StatusCode != http.StatusNotModified {
			t.Fatalf("revalidation: status %d, want 304", again.StatusCode)
		}
		r.checkResponse(t, r.doc.responses(tc.method, route)["304"], again, body)
	}
}

func (r *contractRunner) do(t *testing.T, method, path string, header map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rd io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		if rd, err = gzip.NewReader(resp.Body); err != nil {
			t.Fatalf("gzip body: %v", err)
		}
	}
	raw, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	return resp, raw
}

// checkResponse validates headers and body against a response object.
func (r *contractRunner) checkResponse(t *testing.T, respNode any, resp *http.Response, body []byte) {
	t.Helper()
	if ref, ok := respNode.(string); ok {
		respNode = map[string]any{"$ref": ref}
	}
	doc, err := r.doc.resolve(respNode)
	if err != nil {
		t.Fatal(err)
	}
	headers, _ := doc["headers"].(map[string]any)
	for name, h := range headers {
		hd, err := r.doc.resolve(h)
		if err != nil {
			t.Fatal(err)
		}
		v := resp.Header.Values(name)
		if len(v) == 0 {
			if hd["required"] == true {
				t.Errorf("response %d lacks required header %s", resp.StatusCode, name)
			}
			continue
		}
		for _, e := range r.doc.validateParam(hd["schema"], v, "header "+name) {
			t.Error(e)
		}
	}
	// These headers carry meaning clients act on: they may only appear
	// where the document says.
	for _, name := range []string{"ETag", "Location", "Retry-After"} {
		if _, documented := headers[name]; !documented && resp.Header.Get(name) != "" {
			t.Errorf("response %d has header %s, which the document does not list", resp.StatusCode, name)
		}
	}
	content, _ := doc["content"].(map[string]any)
	if len(content) == 0 {
		if len(body) > 0 {
			t.Errorf("response %d has a body the document does not describe: %.200s", resp.StatusCode, body)
		}
		return
	}
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("response Content-Type %q: %v", resp.Header.Get("Content-Type"), err)
	}
	media, ok := content[mt].(map[string]any)
	if !ok {
		t.Fatalf("response %d: media type %s is not documented (have %v)", resp.StatusCode, mt, sortedKeys(content))
	}
	var value any = string(body)
	if mt == "application/json" {
		if value, err = decodeJSON(body); err != nil {
			t.Fatalf("response %d body is not JSON: %v: %.200s", resp.StatusCode, err, body)
		}
	}
	for _, e := range r.doc.validate(media["schema"], value, "$") {
		t.Errorf("response %d: %s", resp.StatusCode, e)
	}
}

// checkRequest validates a request that succeeded against the operation, so
// that what the router accepts is what the document promises, and records
// which query parameters the cases used.
func (r *contractRunner) checkRequest(t *testing.T, tc contractCase, route string, u *url.URL) {
	t.Helper()
	op := tc.method + " " + route
	declared := map[string]map[string]any{}
	for _, p := range r.doc.parameters(tc.method, route) {
		declared[p["in"].(string)+" "+p["name"].(string)] = p
	}
	for name, values := range u.Query() {
		p, ok := declared["query "+name]
		if !ok {
			t.Errorf("%s accepted query parameter %s, which the document does not declare", op, name)
			continue
		}
		r.exercised[op+"?"+name] = true
		for _, e := range r.doc.validateParam(p["schema"], values, "query "+name) {
			t.Error(e)
		}
	}
	routeParts, pathParts := strings.Split(route, "/"), strings.Split(u.Path, "/")
	for i, seg := range routeParts {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			p := declared["path "+strings.TrimSuffix(name, "}")]
			if p == nil {
				t.Errorf("%s: path parameter %s is not declared", op, seg)
				continue
			}
			v, _ := url.PathUnescape(pathParts[i])
			for _, e := range r.doc.validateParam(p["schema"], []string{v}, "path "+seg) {
				t.Error(e)
			}
		}
	}
	if tc.body == "" {
		return
	}
	schema := jsonPath(r.doc.operation(tc.method, route), "requestBody", "content", "application/json", "schema")
	if schema == nil {
		t.Fatalf("%s accepted a body the document does not describe", op)
	}
	v, err := decodeJSON([]byte(tc.body))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range r.doc.validate(schema, v, "request body") {
		t.Error(e)
	}
}

func contractProjections() *projections.Runner {
	r, err := projections.NewRunner(db.Pool, projections.Config{}, projections.All()...)
	if err != nil {
		panic(err)
	}
	return r
}
