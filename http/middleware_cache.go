package httpapi

import (
	"bytes"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// ReadVersion is the version of a read model: it changes whenever the read
// model does, and 0 means unknown. The projection checkpoint is one.
type ReadVersion interface {
	Version() int64
}

// GenerationalVersion is a ReadVersion whose read model can also be replaced
// whole — a rebuild swapped in — which moves its generation and may leave
// the version where it was. The cache then treats every answer of an
// earlier generation as built from another table: never a hit, never served
// stale.
type GenerationalVersion interface {
	ReadVersion
	// Read returns the version and the generation of one observation.
	Read() (version, generation int64)
}

// readVersion observes v, with generation 0 when v has none.
func readVersion(v ReadVersion) (version, generation int64) {
	if g, ok := v.(GenerationalVersion); ok {
		return g.Read()
	}
	return v.Version(), 0
}

// HeaderCache says whether a response came from the read cache.
const HeaderCache = "X-Cache"

// Routes whose responses depend only on the displacement_targets read model
// (and the request), and may therefore be cached against its version.
var targetReadRoutes = map[string]bool{
	"/api/targets":        true,
	"/api" + companyRoute: true,
	"/api/stats":          true,
}

// Bounds of the read cache; past either, it starts over.
const (
	readCacheMaxEntries = 4096
	readCacheMaxBytes   = 64 << 20
)

// readCache keeps finished responses — compressed and tagged as sent — of
// the target read routes, each with the read-model version it was built
// from. The dashboard's users ask the same few list pages over and over;
// while the read model stands still the answer cannot change, so it is built
// once. When the version moves, the first request rebuilds the answer, and
// requests arriving meanwhile get the previous one if it is recent
// (stale-while-revalidate), or wait for the rebuild: a busy list is never
// rebuilt by many requests at once, and enrichments landing every few
// hundred milliseconds do not turn every read into a query.
type readCache struct {
	version ReadVersion
	now     func() time.Time

	mu      sync.RWMutex
	entries map[string]*cachedResponse
	bytes   int

	// building holds a channel per key being built, closed when done.
	buildMu  sync.Mutex
	building map[string]chan struct{}
}

type cachedResponse struct {
	version    int64
	generation int64
	builtAt    time.Time
	status     int
	header     http.Header
	body       []byte
}

// readCacheMaxStale bounds how old an answer served during its rebuild may
// be.
const readCacheMaxStale = 2 * time.Second

// cachedHeaders are the response headers that belong to the body; per-request
// ones (X-Request-ID) are set anew on every answer.
var cachedHeaders = []string{"Content-Type", "Content-Encoding", "ETag", "Vary", "Cache-Control"}

func readCacheMiddleware(v ReadVersion) gin.HandlerFunc {
	rc := &readCache{version: v, now: time.Now, entries: map[string]*cachedResponse{}, building: map[string]chan struct{}{}}
	return rc.handle
}

func (rc *readCache) handle(c *gin.Context) {
	route := c.FullPath()
	if c.Request.Method != http.MethodGet || !targetReadRoutes[route] || (route == "/api"+companyRoute && auditRequest(c.Request)) {
		c.Next()
		return
	}
	version, generation := readVersion(rc.version)
	if version == 0 {
		c.Next()
		return
	}
	key := cacheKey(c.Request)
	cached := rc.lookup(key)
	if cached.current(version, generation) {
		rc.serve(c, cached, "hit")
		return
	}
	done, leader := rc.claim(key)
	if !leader {
		if cached != nil && cached.generation == generation && rc.now().Sub(cached.builtAt) < readCacheMaxStale {
			rc.serve(c, cached, "stale")
			return
		}
		select {
		case <-done:
			if hit := rc.lookup(key); hit.current(version, generation) {
				rc.serve(c, hit, "hit")
				return
			}
		case <-c.Request.Context().Done():
			return
		}
		// The builder's answer was not cacheable (an error): build our own.
	} else {
		defer rc.release(key, done)
	}
	orig := c.Writer
	rec := &recordingWriter{ResponseWriter: orig}
	c.Writer = rec
	defer func() { c.Writer = orig }()
	c.Header(HeaderCache, "miss")
	c.Next()
	if rec.Status() != http.StatusOK || rec.overflow {
		return
	}
	resp := &cachedResponse{version: version, generation: generation, builtAt: rc.now(), status: rec.Status(), header: http.Header{}, body: rec.body.Bytes()}
	for _, h := range cachedHeaders {
		if vs := orig.Header().Values(h); len(vs) > 0 {
			resp.header[http.CanonicalHeaderKey(h)] = vs
		}
	}
	rc.store(key, resp)
}

// current reports whether r answers for the read model at version and
// generation (or later within the generation).
func (r *cachedResponse) current(version, generation int64) bool {
	return r != nil && r.generation == generation && r.version >= version
}

// newer reports whether r was built from a later read model than o.
func (r *cachedResponse) newer(o *cachedResponse) bool {
	if r.generation != o.generation {
		return r.generation > o.generation
	}
	return r.version > o.version
}

// cacheKey names a response: path, canonical query and whether it is
// compressed. url.Values.Encode sorts the parameters.
func cacheKey(r *http.Request) string {
	enc := "identity"
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		enc = "gzip"
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return enc + " " + r.URL.Path + "?" + r.URL.RawQuery
	}
	return enc + " " + r.URL.Path + "?" + q.Encode()
}

// claim makes the caller the builder of key, or returns the channel that
// closes when the current builder is done.
func (rc *readCache) claim(key string) (done chan struct{}, leader bool) {
	rc.buildMu.Lock()
	defer rc.buildMu.Unlock()
	if ch, ok := rc.building[key]; ok {
		return ch, false
	}
	ch := make(chan struct{})
	rc.building[key] = ch
	return ch, true
}

func (rc *readCache) release(key string, done chan struct{}) {
	rc.buildMu.Lock()
	delete(rc.building, key)
	rc.buildMu.Unlock()
	close(done)
}

func (rc *readCache) lookup(key string) *cachedResponse {
	rc.mu.RLock()
	defer rc.mu.RUnlock()
	return rc.entries[key]
}

func (rc *readCache) store(key string, resp *cachedResponse) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if old := rc.entries[key]; old != nil {
		if old.newer(resp) {
			return // a newer answer landed first
		}
		rc.bytes -= len(old.body)
	}
	if len(rc.entries) >= readCacheMaxEntries || rc.bytes+len(resp.body) > readCacheMaxBytes {
		// Over a bound: keep only answers of the current version, and if
		// that is not enough, start over.
		current, generation := readVersion(rc.version)
		for k, e := range rc.entries {
			if !e.current(current, generation) {
				rc.bytes -= len(e.body)
				delete(rc.entries, k)
			}
		}
		if len(rc.entries) >= readCacheMaxEntries || rc.bytes+len(resp.body) > readCacheMaxBytes {
			rc.entries, rc.bytes = map[string]*cachedResponse{}, 0
		}
	}
	rc.entries[key] = resp
	rc.bytes += len(resp.body)
}

func (rc *readCache) serve(c *gin.Context, hit *cachedResponse, outcome string) {
	h := c.Writer.Header()
	for k, vs := range hit.header {
		h[k] = vs
	}
	h.Set(HeaderCache, outcome)
	if tag := hit.header.Get("ETag"); tag != "" && etagMatches(c.GetHeader("If-None-Match"), tag) {
		h.Del("Content-Type")
		h.Del("Content-Encoding")
		c.AbortWithStatus(http.StatusNotModified)
		return
	}
	c.Status(hit.status)
	_, _ = c.Writer.Write(hit.body)
	c.Abort()
}

// recordingWriter passes a response through and keeps a copy of its body,
// up to a bound.
type recordingWriter struct {
	gin.ResponseWriter
	body     bytes.Buffer
	overflow bool
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	if !w.overflow {
		if w.body.Len()+len(b) > readCacheMaxBytes/16 {
			w.overflow, w.body = true, bytes.Buffer{}
		} else {
			w.body.Write(b)
		}
	}
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

// Unwrap lets http.ResponseController reach the connection.
func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
