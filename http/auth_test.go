package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/commands"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// rawClient sends exactly the headers a request names: no default key.
var rawClient = &http.Client{Transport: plainTransport, Timeout: 30 * time.Second}

// call sends one request with the key given ("" for none) and returns the
// status and the error code of the answer, if any.
func call(t *testing.T, base, method, path, key, body string) (int, string, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set(HeaderAPIKey, key)
	}
	resp, err := rawClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var e ErrorBody
	_ = json.Unmarshal(b, &e)
	return resp.StatusCode, e.Error.Code, b
}

// concretePath fills a gin route's parameters with plausible values.
func concretePath(route string) string {
	parts := strings.Split(route, "/")
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, ":") && strings.HasSuffix(p, "_id"):
			parts[i] = uuid.NewString()
		case strings.HasPrefix(p, ":"), strings.HasPrefix(p, "*"):
			parts[i] = "costco.com"
		}
	}
	return strings.Join(parts, "/")
}

// TestEveryRouteNeedsAKey walks every route the router serves, so a route
// added later without authentication fails here: only the probes and the
// API document answer without a key, and every other route tells a missing
// key from an unknown one.
func TestEveryRouteNeedsAKey(t *testing.T) {
	t.Parallel()
	wantOpen := []string{"/health", "/live", "/openapi.json", "/ready"}
	var open []string
	for r := range openRoutes {
		open = append(open, r)
	}
	slices.Sort(open)
	if !slices.Equal(open, wantOpen) {
		t.Fatalf("open routes %v, want %v", open, wantOpen)
	}
	router := NewRouter(withTestAuth(Deps{Metrics: http.NotFoundHandler()}))
	srv := httptest.NewServer(router)
	t.Cleanup(srv.Close)
	routes := router.Routes()
	if len(routes) < 12 {
		t.Fatalf("only %d routes: is the router complete?", len(routes))
	}
	for _, r := range routes {
		path := concretePath(r.Path)
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			t.Parallel()
			if slices.Contains(wantOpen, r.Path) {
				if status, _, body := call(t, srv.URL, r.Method, path, "", ""); status == http.StatusForbidden {
					t.Errorf("open route refused: %s", body)
				}
				return
			}
			if !strings.HasPrefix(r.Path, "/api/") && r.Path != "/metrics" {
				t.Errorf("route %s is outside /api: document why it may exist, and whether it needs a key", r.Path)
			}
			for _, tc := range []struct{ key, code string }{
				{"", CodeMissingAPIKey},
				{unknownKey, CodeInvalidAPIKey},
				{"not-a-key", CodeInvalidAPIKey},
				{testAdminKey + "x", CodeInvalidAPIKey},
			} {
				status, code, body := call(t, srv.URL, r.Method, path, tc.key, "")
				if status != http.StatusForbidden || code != tc.code {
					t.Errorf("key %.12q: %d %s, want 403 %s", tc.key, status, code, tc.code)
				}
				if tc.key != "" && strings.Contains(string(body), tc.key) {
					t.Errorf("the key is echoed: %s", body)
				}
			}
			if status, _, body := call(t, srv.URL, r.Method, path, testAdminKey, ""); status == http.StatusForbidden {
				t.Errorf("the admin key is refused: %s", body)
			}
		})
	}
}

// TestAdminRoutesNeedAnAdminKey: the key routes, the export of the log, the
// rebuild routes and /metrics refuse standard and power keys.
func TestAdminRoutesNeedAnAdminKey(t *testing.T) {
	t.Parallel()
	router := NewRouter(withTestAuth(Deps{Metrics: http.NotFoundHandler()}))
	srv := httptest.NewServer(router)
	t.Cleanup(srv.Close)
	n := 0
	for _, r := range router.Routes() {
		if !strings.HasPrefix(r.Path, "/api/admin/") && r.Path != "/metrics" {
			continue
		}
		n++
		for _, tier := range []domain.Tier{domain.TierStandard, domain.TierPower} {
			status, code, _ := call(t, srv.URL, r.Method, concretePath(r.Path), testKey("someone@example.com", tier), "")
			if status != http.StatusForbidden || code != CodeForbidden {
				t.Errorf("%s %s with a %s key: %d %s, want 403 %s", r.Method, r.Path, tier, status, code, CodeForbidden)
			}
		}
	}
	if n != 8 {
		t.Errorf("%d admin routes, want 8 (four key routes, the export, two rebuild routes and /metrics)", n)
	}
}

func TestPreflightNeedsNoKey(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(NewRouter(withTestAuth(Deps{})))
	t.Cleanup(srv.Close)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodOptions, srv.URL+"/api/admin/keys", nil)
	req.Header.Set("Origin", DefaultCORSOrigins[0])
	req.Header.Set("Access-Control-Request-Method", http.MethodPost)
	req.Header.Set("Access-Control-Request-Headers", "x-api-key, content-type")
	resp, err := rawClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), HeaderAPIKey) {
		t.Errorf("preflight: %d, allow headers %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Headers"))
	}
}

// keyInstance is one server instance over a shared database, wired as serve
// wires it.
type keyInstance struct {
	url   string
	usage *KeyUsage
}

func newKeyInstance(t *testing.T, d *pgtest.Database, log *slog.Logger) keyInstance {
	t.Helper()
	store := postgres.NewEventStore(d.Pool)
	keys := postgres.NewAPIKeys(d.Pool)
	usage := NewKeyUsage(keys, log)
	srv := httptest.NewServer(NewRouter(Deps{
		Logger: log,
		Auth:   NewAuthenticator(AuthConfig{Hasher: testHasher, Keys: keys, Usage: usage}),
		KeyAdmin: KeyAdmin{
			Issue:      commands.NewIssueKeyHandler(store, testHasher, time.Now),
			ChangeTier: commands.NewChangeKeyTierHandler(store, time.Now),
			Revoke:     commands.NewRevokeKeyHandler(store, time.Now),
			List:       keys,
		},
		Reads:      postgres.NewReadModels(d.Pool),
		JobStreams: store,
	}))
	t.Cleanup(srv.Close)
	return keyInstance{url: srv.URL, usage: usage}
}

// keyDatabase is a fresh database with the api_keys projection following
// the log, as every serving instance runs it, and a first admin key issued
// as `partnerforge keys create` does.
func keyDatabase(t *testing.T) (*pgtest.Database, string) {
	t.Helper()
	ctx := context.Background()
	d, err := pgtest.Create(ctx, pgtest.ServerURL())
	if err != nil {
		t.Fatalf("create database: %v", err)
	}
	runner, err := projections.NewRunner(d.Pool, projections.Config{}, projections.All()...)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = runner.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		<-done
		if err := d.Drop(context.Background()); err != nil {
			t.Errorf("drop database: %v", err)
		}
	})
	k, err := commands.NewIssueKeyHandler(postgres.NewEventStore(d.Pool), testHasher, time.Now).
		Handle(ctx, commands.IssueKey{Owner: "ops@example.com", Tier: domain.TierAdmin, IssuedBy: "cli:test"})
	if err != nil {
		t.Fatal(err)
	}
	return d, k.Key.Reveal()
}

// eventually polls check until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestKeyLifecycleAcrossInstances issues a key on one instance, uses it on
// another, changes its tier and revokes it on the first, and watches the
// second follow within 2 seconds.
func TestKeyLifecycleAcrossInstances(t *testing.T) {
	t.Parallel()
	d, admin := keyDatabase(t)
	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	a, b := newKeyInstance(t, d, log), newKeyInstance(t, d, log)

	eventually(t, 5*time.Second, "the first admin key works", func() bool {
		status, _, _ := call(t, a.url, http.MethodGet, "/api/admin/keys", admin, "")
		return status == http.StatusOK
	})
	status, _, body := call(t, a.url, http.MethodPost, "/api/admin/keys", admin, `{"email":"rep@example.com","tier":"standard"}`)
	var issued IssuedKeyResponse
	if err := json.Unmarshal(body, &issued); status != http.StatusCreated || err != nil || !domain.LooksLikeKey(issued.Key) {
		t.Fatalf("issue: %d %s", status, body)
	}
	key := issued.Key

	eventually(t, 30*time.Second, "the new key works on the other instance", func() bool {
		status, _, _ := call(t, b.url, http.MethodGet, "/api/stats", key, "")
		return status == http.StatusOK
	})
	if status, code, _ := call(t, b.url, http.MethodGet, "/api/admin/keys", key, ""); status != http.StatusForbidden || code != CodeForbidden {
		t.Fatalf("a standard key on an admin route: %d %s", status, code)
	}
	if status, _, body := call(t, a.url, http.MethodPatch, "/api/admin/keys/"+issued.KeyID, admin, `{"tier":"admin"}`); status != http.StatusOK {
		t.Fatalf("change tier: %d %s", status, body)
	}
	eventually(t, 30*time.Second, "the tier change reaches the other instance", func() bool {
		status, _, _ := call(t, b.url, http.MethodGet, "/api/admin/keys", key, "")
		return status == http.StatusOK
	})
	if status, _, body := call(t, a.url, http.MethodDelete, "/api/admin/keys/"+issued.KeyID, admin, `{"reason":"left"}`); status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", status, body)
	}
	eventually(t, 30*time.Second, "the revocation reaches the other instance", func() bool {
		status, code, _ := call(t, b.url, http.MethodGet, "/api/stats", key, "")
		return status == http.StatusForbidden && code == CodeInvalidAPIKey
	})

	// Last use: one batch per flush, not a write per request.
	for _, inst := range []keyInstance{a, b} {
		if err := inst.usage.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	status, _, body = call(t, a.url, http.MethodGet, "/api/admin/keys", admin, "")
	var list struct{ Keys []KeyResponse }
	if err := json.Unmarshal(body, &list); status != http.StatusOK || err != nil || len(list.Keys) != 2 {
		t.Fatalf("list: %d %s", status, body)
	}
	for _, k := range list.Keys {
		if k.LastUsedAt == nil {
			t.Errorf("key %s (%s) has no last use", k.KeyID, k.Email)
		}
		if k.KeyID == issued.KeyID && (k.RevokedAt == nil || k.Tier != "admin") {
			t.Errorf("revoked key listed as %+v", k)
		}
	}
	if strings.Contains(string(body), key) || strings.Contains(string(body), admin) || strings.Contains(string(body), testHasher.Hash(key)) {
		t.Errorf("the listing shows a key or a hash: %s", body)
	}

	// Nothing stored or logged holds a raw key; the access log names the key id.
	assertNoSecret(t, d, logs.String(), key, admin)
	if !strings.Contains(logs.String(), `"key_id":"`+issued.KeyID+`"`) {
		t.Error("the access log does not name the key id")
	}
}

// assertNoSecret dumps every table of the database, the event log among
// them, and fails if a raw key, or its secret part, appears in it or in the
// logs.
func assertNoSecret(t *testing.T, d *pgtest.Database, logs string, keys ...string) {
	t.Helper()
	ctx := context.Background()
	rows, err := d.Pool.Query(ctx, `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(tables, "public.events") || !slices.Contains(tables, "public.api_keys") {
		t.Fatalf("tables %v lack events or api_keys", tables)
	}
	var dump strings.Builder
	for _, table := range tables {
		var s string
		if err := d.Pool.QueryRow(ctx, "SELECT COALESCE(string_agg(to_jsonb(t)::text, E'\\n'), '') FROM "+table+" t").Scan(&s); err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		dump.WriteString(s)
	}
	for _, k := range keys {
		secret := strings.TrimPrefix(k, domain.KeyPrefix)[4:]
		if strings.Contains(dump.String(), secret) {
			t.Errorf("a table holds the key %.12s…", k)
		}
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds the key %.12s…", k)
		}
	}
	if !strings.Contains(dump.String(), testHasher.Hash(keys[0])) {
		t.Error("the dump does not hold the key's hash: is it complete?")
	}
}

func TestKeyUsageBatches(t *testing.T) {
	t.Parallel()
	rec := &recordingUsage{}
	u := NewKeyUsage(rec, nil)
	a, b := uuid.New(), uuid.New()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 100 {
		u.Record(a, t0.Add(time.Duration(i)*time.Second))
	}
	u.Record(b, t0)
	u.Record(a, t0) // an older use does not move last use back
	if err := u.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := u.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rec.batches) != 1 {
		t.Fatalf("%d writes, want 1 (an empty flush writes nothing)", len(rec.batches))
	}
	if got := rec.batches[0]; len(got) != 2 || !got[a].Equal(t0.Add(99*time.Second)) || !got[b].Equal(t0) {
		t.Errorf("batch %v", got)
	}
	// A failed write keeps its uses for the next flush.
	rec.fail = true
	u.Record(b, t0.Add(time.Hour))
	if err := u.Flush(context.Background()); err == nil {
		t.Fatal("flush did not report the failure")
	}
	rec.fail = false
	if err := u.Flush(context.Background()); err != nil || len(rec.batches) != 2 || !rec.batches[1][b].Equal(t0.Add(time.Hour)) {
		t.Errorf("after a failed write: %v, %v", rec.batches, err)
	}
}

type recordingUsage struct {
	fail    bool
	batches []map[uuid.UUID]time.Time
}

func (r *recordingUsage) TouchKeys(_ context.Context, used map[uuid.UUID]time.Time) error {
	if r.fail {
		return io.ErrUnexpectedEOF
	}
	r.batches = append(r.batches, used)
	return nil
}

func TestAuthenticatorCachesBriefly(t *testing.T) {
	t.Parallel()
	src := &countingKeys{staticKeys: testKeyTable}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	a := NewAuthenticator(AuthConfig{Hasher: testHasher, Keys: src, Now: func() time.Time { return now }})
	ctx := context.Background()
	for range 50 {
		if _, err := a.Authenticate(ctx, testAdminKey); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Authenticate(ctx, unknownKey); err != errInvalidKey {
			t.Fatalf("unknown key: %v", err)
		}
	}
	if src.n != 2 {
		t.Errorf("%d lookups for two keys within the TTL, want 2", src.n)
	}
	now = now.Add(DefaultKeyCacheTTL)
	if _, err := a.Authenticate(ctx, testAdminKey); err != nil || src.n != 3 {
		t.Errorf("after the TTL: %v, %d lookups, want a fresh one", err, src.n)
	}
	if _, err := a.Authenticate(ctx, "pf_live_short"); err != errInvalidKey || src.n != 3 {
		t.Errorf("a malformed key: %v, %d lookups, want none", err, src.n)
	}
}

type countingKeys struct {
	*staticKeys
	n int
}

func (c *countingKeys) KeyByHash(ctx context.Context, hash string) (readmodel.KeyIdentity, error) {
	c.n++
	return c.staticKeys.KeyByHash(ctx, hash)
}

// BenchmarkAuthenticateCached is the cost authentication adds to a request
// whose key was looked up within the TTL: one HMAC and a map read.
func BenchmarkAuthenticateCached(b *testing.B) {
	a := NewAuthenticator(AuthConfig{Hasher: testHasher, Keys: testKeyTable, CacheTTL: time.Hour})
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := a.Authenticate(ctx, testAdminKey); err != nil {
				b.Fatal(err)
			}
		}
	})
}
