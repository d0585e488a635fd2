package httpapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections"
	"github.com/partnerforge/partnerforge/projections/projectiontest"
)

type cachedGet struct {
	status int
	cache  string
	etag   string
	body   string
}

func rawGet(t *testing.T, url string, header ...string) cachedGet {
	t.Helper()
	got, err := tryGet(url, header...)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// tryGet is rawGet for goroutines, which must not stop the test themselves.
func tryGet(url string, header ...string) (cachedGet, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return cachedGet{}, err
	}
	// The default transport would ask for gzip and undo it; ask explicitly.
	req.Header.Set("Accept-Encoding", "identity")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return cachedGet{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return cachedGet{}, err
	}
	return cachedGet{resp.StatusCode, resp.Header.Get(HeaderCache), resp.Header.Get("ETag"), string(body)}, nil
}

func TestReadCacheFollowsTheReadModelVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var version *postgres.ProjectionVersion
	rs := newReadServer(t, func(rs *readServer, d *Deps) {
		version = postgres.NewProjectionVersion(rs.db.Pool, projections.TargetsName)
		d.TargetsVersion = version
	})
	if err := version.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	list := rs.url + "/api/targets?per_page=5&sort=domain"

	first := rawGet(t, list)
	second := rawGet(t, list)
	if first.status != 200 || first.cache != "miss" || second.cache != "hit" || second.body != first.body || second.etag != first.etag {
		t.Fatalf("first %+v\nsecond %+v", first, second)
	}
	// The same query in another order is the same response.
	if reordered := rawGet(t, rs.url+"/api/targets?sort=domain&per_page=5"); reordered.cache != "hit" {
		t.Errorf("reordered query: %s", reordered.cache)
	}
	if nm := rawGet(t, list, "If-None-Match", first.etag); nm.status != http.StatusNotModified || nm.body != "" {
		t.Errorf("If-None-Match from the cache: %d %s", nm.status, nm.cache)
	}
	// Compressed and plain answers are kept apart.
	if gz := rawGet(t, list, "Accept-Encoding", "gzip"); gz.cache != "miss" {
		t.Errorf("first gzip request was a %s", gz.cache)
	}

	// The read model changes: a new target is projected and the version moves.
	projectiontest.Import(t, rs.store, uuid.New(), domain.TargetProfile{Domain: "aaa-first.com", CompanyName: "AAA First"})
	if err := rs.runner.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if err := version.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	after := rawGet(t, list)
	if after.cache != "miss" || after.body == first.body {
		t.Fatalf("after the read model changed: %s, body unchanged: %v", after.cache, after.body == first.body)
	}
	var page TargetList
	if rs.get(t, "/api/targets?per_page=5&sort=domain", &page); page.Data[0].Domain != "aaa-first.com" || page.Pagination.Total != len(readFixture)+1 {
		t.Fatalf("after the change the list starts %s with total %d", page.Data[0].Domain, page.Pagination.Total)
	}
}

func TestReadCacheStaysOutOfTheWay(t *testing.T) {
	t.Parallel()
	unknown := fixedVersion(0)
	rs := newReadServer(t, func(_ *readServer, d *Deps) { d.TargetsVersion = &unknown })
	for _, path := range []string{"/api/targets", "/api/stats"} {
		for range 2 {
			if got := rawGet(t, rs.url+path); got.status != 200 || got.cache != "" {
				t.Fatalf("%s with an unknown version: %+v", path, got)
			}
		}
	}

	known := fixedVersion(7)
	rs = newReadServer(t, func(_ *readServer, d *Deps) { d.TargetsVersion = &known })
	for range 2 {
		if got := rawGet(t, rs.url+"/api/enrich/jobs"); got.status != 200 || got.cache != "" {
			t.Fatalf("jobs list went through the cache: %+v", got)
		}
		if got := rawGet(t, rs.url+"/api/companies/no-such-target.com"); got.status != 404 || got.cache == "hit" {
			t.Fatalf("a 404 was cached: %+v", got)
		}
	}
}

type fixedVersion int64

func (v *fixedVersion) Version() int64 { return int64(*v) }

// Many users asking the same page at once, with nothing cached, cost one
// query: one request builds the answer, the rest wait for it.
func TestReadCacheBuildsEachAnswerOnce(t *testing.T) {
	t.Parallel()
	known := fixedVersion(42)
	rs := newReadServer(t, func(_ *readServer, d *Deps) { d.TargetsVersion = &known })
	const users = 20
	type answer struct {
		cachedGet
		err error
	}
	results := make(chan answer, users)
	start := make(chan struct{})
	for range users {
		go func() {
			<-start
			r, err := tryGet(rs.url + "/api/targets?tier=2")
			results <- answer{r, err}
		}()
	}
	close(start)
	counts := map[string]int{}
	var body string
	for range users {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.status != 200 || (body != "" && r.body != body) {
			t.Fatalf("answer %+v differs", r.status)
		}
		body = r.body
		counts[r.cache]++
	}
	if counts["miss"] != 1 || counts["hit"] != users-1 {
		t.Fatalf("cache outcomes %v, want one miss", counts)
	}
}

// While the version moves and one request rebuilds a page, others get the
// previous answer at once if it is recent, and wait for the rebuild if not.
func TestReadCacheServesRecentAnswersDuringARebuild(t *testing.T) {
	t.Parallel()
	var version atomicVersion
	version.Store(1)
	entered, release := make(chan struct{}, 1), make(chan struct{})
	r := gin.New()
	rc := &readCache{version: &version, now: time.Now, entries: map[string]*cachedResponse{}, building: map[string]chan struct{}{}}
	var clock atomic.Int64 // seconds added to the real clock
	rc.now = func() time.Time { return time.Now().Add(time.Duration(clock.Load()) * time.Second) }
	r.Use(rc.handle)
	r.GET("/api/stats", func(c *gin.Context) {
		v := version.Version()
		if v > 1 {
			entered <- struct{}{}
			<-release
		}
		c.JSON(http.StatusOK, gin.H{"version": v})
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	url := srv.URL + "/api/stats"

	if got := rawGet(t, url); got.cache != "miss" || got.body != `{"version":1}` {
		t.Fatalf("first answer %+v", got)
	}
	rebuild := func() chan cachedGet {
		out := make(chan cachedGet, 1)
		go func() {
			got, err := tryGet(url)
			if err != nil {
				got.body = err.Error()
			}
			out <- got
		}()
		<-entered // the rebuild is under way
		return out
	}

	version.Store(2)
	leader := rebuild()
	if got := rawGet(t, url); got.cache != "stale" || got.body != `{"version":1}` {
		t.Fatalf("during the rebuild: %+v, want the recent answer", got)
	}
	release <- struct{}{}
	if got := <-leader; got.cache != "miss" || got.body != `{"version":2}` {
		t.Fatalf("rebuilt answer %+v", got)
	}
	if got := rawGet(t, url); got.cache != "hit" || got.body != `{"version":2}` {
		t.Fatalf("after the rebuild: %+v", got)
	}

	// An answer older than readCacheMaxStale is not served: the request
	// waits for the rebuild.
	version.Store(3)
	clock.Store(int64(readCacheMaxStale/time.Second) + 1)
	leader = rebuild()
	waiter := make(chan cachedGet, 1)
	go func() { got, _ := tryGet(url); waiter <- got }()
	select {
	case got := <-waiter:
		t.Fatalf("answered %+v before the rebuild finished", got)
	case <-time.After(50 * time.Millisecond):
	}
	release <- struct{}{}
	<-leader
	if got := <-waiter; got.cache != "hit" || got.body != `{"version":3}` {
		t.Fatalf("waiting request got %+v", got)
	}
}

type atomicVersion struct{ atomic.Int64 }

func (v *atomicVersion) Version() int64 { return v.Load() }

// generationVersion is a read model that a rebuild can replace whole.
type generationVersion struct {
	mu           sync.Mutex
	version, gen int64
}

func (v *generationVersion) Version() int64 { ver, _ := v.Read(); return ver }

func (v *generationVersion) Read() (int64, int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.version, v.gen
}

func (v *generationVersion) set(version, gen int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.version, v.gen = version, gen
}

// A rebuild swapped in may leave the checkpoint where it was: an answer
// built before the swap is then neither a hit nor served stale while the
// new answer is built.
func TestReadCacheNeverServesAnAnswerOlderThanASwap(t *testing.T) {
	t.Parallel()
	version := &generationVersion{version: 5}
	var table atomic.Value // what the read model holds
	table.Store("old")
	entered, release := make(chan struct{}, 1), make(chan struct{})
	var block atomic.Bool
	r := gin.New()
	rc := &readCache{version: version, now: time.Now, entries: map[string]*cachedResponse{}, building: map[string]chan struct{}{}}
	r.Use(rc.handle)
	r.GET("/api/stats", func(c *gin.Context) {
		if block.Load() {
			entered <- struct{}{}
			<-release
		}
		c.JSON(http.StatusOK, gin.H{"table": table.Load()})
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	url := srv.URL + "/api/stats"

	for i, want := range []string{"miss", "hit"} {
		if got := rawGet(t, url); got.cache != want || got.body != `{"table":"old"}` {
			t.Fatalf("request %d before the swap: %+v, want %s", i, got, want)
		}
	}
	table.Store("new")
	version.set(5, 1)
	block.Store(true)
	leader := make(chan cachedGet, 1)
	go func() { got, _ := tryGet(url); leader <- got }()
	<-entered
	block.Store(false)
	waiter := make(chan cachedGet, 1)
	go func() { got, _ := tryGet(url); waiter <- got }()
	select {
	case got := <-waiter:
		t.Fatalf("answered %+v from before the swap while the new answer was built", got)
	case <-time.After(50 * time.Millisecond):
	}
	release <- struct{}{}
	for _, ch := range []chan cachedGet{leader, waiter} {
		if got := <-ch; got.body != `{"table":"new"}` {
			t.Fatalf("after the swap: %+v", got)
		}
	}
}

// End to end: a rebuild swapped in at the checkpoint the cache already
// knows still turns every cached answer into a miss, because the swap moves
// the generation. The live row is altered behind the projection's back, so
// the answers before and after the swap differ although the log did not
// move.
func TestReadCacheDropsAnswersFromBeforeARebuild(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var version *postgres.ProjectionVersion
	rs := newReadServer(t, func(rs *readServer, d *Deps) {
		version = postgres.NewProjectionVersion(rs.db.Pool, projections.TargetsName)
		d.TargetsVersion = version
	})
	for _, table := range []string{"displacement_targets", "target_list"} {
		if _, err := rs.db.Pool.Exec(ctx, "UPDATE "+table+" SET company_name = 'Tampered'"); err != nil {
			t.Fatal(err)
		}
	}
	if err := version.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	list := rs.url + "/api/targets?per_page=5&sort=domain"
	if first, second := rawGet(t, list), rawGet(t, list); first.cache != "miss" || second.cache != "hit" || !strings.Contains(second.body, "Tampered") {
		t.Fatalf("before the rebuild: %s then %s: %s", first.cache, second.cache, second.body)
	}
	before, _ := version.Read()

	if err := rs.runner.Rebuild(ctx, projections.TargetsName); err != nil {
		t.Fatal(err)
	}
	if err := version.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if after, gen := version.Read(); after != before || gen != 1 {
		t.Fatalf("after the rebuild: version %d generation %d, want %d and 1", after, gen, before)
	}
	if got := rawGet(t, list); got.cache != "miss" || strings.Contains(got.body, "Tampered") {
		t.Fatalf("after the rebuild: %s: %s", got.cache, got.body)
	}
}
