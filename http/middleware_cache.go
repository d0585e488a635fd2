package httpapi

import (
	"bytes"
	"net/http"
	"net/url"
	"sync"

	"github.com/gin-gonic/gin"
)

// ReadVersion is the version of a read model: it changes whenever the read
// model does, and 0 means unknown. The projection checkpoint is one.
type ReadVersion interface {
	Version() int64
}

// HeaderCache says whether a response came from the read cache.
const HeaderCache = "X-Cache"

// Routes whose responses depend only on the displacement_targets read model
// (and the request), and may therefore be cached against its version.
var targetReadRoutes = map[string]bool{
	"/api/targets":           true,
	"/api/companies/:domain": true,
	"/api/stats":             true,
}

// Bounds of the read cache; past either, it starts over.
const (
	readCacheMaxEntries = 4096
	readCacheMaxBytes   = 64 << 20
)

// readCache keeps finished responses — compressed and tagged as sent — of
// the target read routes for the read model's current version. The
// dashboard's users ask the same few list pages over and over; while the
// read model stands still, the answer cannot change, so it is built once.
// The first request after the version moves builds it again: a response is
// never older than the version the cache has been told.
type readCache struct {
	version ReadVersion

	mu      sync.RWMutex
	at      int64 // version of every entry
	entries map[string]*cachedResponse
	bytes   int

	// building holds a channel per key being built, closed when done: when
	// fifty users ask for the list just after the version moved, one query
	// runs and the others wait for its answer.
	buildMu  sync.Mutex
	building map[string]chan struct{}
}

type cachedResponse struct {
	status int
	header http.Header
	body   []byte
}

// cachedHeaders are the response headers that belong to the body; per-request
// ones (X-Request-ID) are set anew on every answer.
var cachedHeaders = []string{"Content-Type", "Content-Encoding", "ETag", "Vary", "Cache-Control"}

func readCacheMiddleware(v ReadVersion) gin.HandlerFunc {
	rc := &readCache{version: v, entries: map[string]*cachedResponse{}, building: map[string]chan struct{}{}}
	return rc.handle
}

func (rc *readCache) handle(c *gin.Context) {
	if c.Request.Method != http.MethodGet || !targetReadRoutes[c.FullPath()] {
		c.Next()
		return
	}
	version := rc.version.Version()
	if version == 0 {
		c.Next()
		return
	}
	key := cacheKey(c.Request)
	if hit := rc.lookup(version, key); hit != nil {
		rc.serve(c, hit)
		return
	}
	done, leader := rc.claim(key)
	if !leader {
		select {
		case <-done:
			if hit := rc.lookup(version, key); hit != nil {
				rc.serve(c, hit)
				return
			}
		case <-c.Request.Context().Done():
			return
		}
		// The leader's answer was not cacheable (an error, or the version
		// moved): build our own.
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
	resp := &cachedResponse{status: rec.Status(), header: http.Header{}, body: rec.body.Bytes()}
	for _, h := range cachedHeaders {
		if vs := orig.Header().Values(h); len(vs) > 0 {
			resp.header[http.CanonicalHeaderKey(h)] = vs
		}
	}
	rc.store(version, key, resp)
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

func (rc *readCache) lookup(version int64, key string) *cachedResponse {
	rc.mu.RLock()
	defer rc.mu.RUnlock()
	if rc.at != version {
		return nil
	}
	return rc.entries[key]
}

func (rc *readCache) store(version int64, key string, resp *cachedResponse) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	// The version may have moved while the response was built; only the
	// current one is kept (an older response must not outlive its version).
	if current := rc.version.Version(); current != version {
		return
	}
	if rc.at != version || len(rc.entries) >= readCacheMaxEntries || rc.bytes+len(resp.body) > readCacheMaxBytes {
		rc.at, rc.entries, rc.bytes = version, map[string]*cachedResponse{}, 0
	}
	rc.entries[key] = resp
	rc.bytes += len(resp.body)
}

func (rc *readCache) serve(c *gin.Context, hit *cachedResponse) {
	h := c.Writer.Header()
	for k, vs := range hit.header {
		h[k] = vs
	}
	h.Set(HeaderCache, "hit")
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
