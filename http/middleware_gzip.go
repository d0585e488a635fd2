package httpapi

import (
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// gzipMinBytes is the smallest body worth compressing: below about a kilobyte
// gzip's header and trailer eat most of the saving and the CPU is wasted.
const gzipMinBytes = 1024

// gzipPool reuses compressors: each holds a few hundred kilobytes of state,
// too much to allocate per response. BestSpeed because list responses are
// repetitive JSON that compresses well even at level 1, and the API's
// latency budget matters more than the last bytes.
var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return w
}}

// gzipResponses compresses responses for clients that accept gzip. It
// leaves alone bodies that are small, not text-like, already encoded (such
// as /metrics, which compresses itself) or not allowed a body.
func gzipResponses() gin.HandlerFunc {
	return func(c *gin.Context) {
		// The body depends on Accept-Encoding whether or not this client
		// gets gzip: caches must know.
		c.Writer.Header().Add("Vary", "Accept-Encoding")
		if c.Request.Method == http.MethodHead || !acceptsGzip(c.GetHeader("Accept-Encoding")) {
			c.Next()
			return
		}
		orig := c.Writer
		w := &gzipWriter{ResponseWriter: orig}
		c.Writer = w
		// On a panic the half-built response is dropped and the recoverer
		// answers on the original writer.
		defer func() { c.Writer = orig }()
		c.Next()
		w.finish()
	}
}

// acceptsGzip reads Accept-Encoding: gzip or * with a non-zero quality.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = f
			}
		}
		if q > 0 {
			return true
		}
	}
	return false
}

// compressible reports whether a content type is text that gzip shrinks.
func compressible(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return strings.HasPrefix(mt, "text/") || mt == "application/json" ||
		strings.HasSuffix(mt, "+json") || mt == "application/javascript" || mt == "application/xml"
}

type writeMode int

const (
	undecided writeMode = iota // nothing committed yet
	passThrough
	transforming // gzip: compressing; etag: buffering
)

// gzipWriter holds back the first gzipMinBytes of a body to decide whether
// compressing it is worthwhile, then streams it, compressed or not. Status
// codes go straight to gin's writer, which only records them until the
// first byte is written.
type gzipWriter struct {
	gin.ResponseWriter
	mode writeMode
	buf  []byte
	gz   *gzip.Writer
}

func (w *gzipWriter) Write(b []byte) (int, error) {
	switch w.mode {
	case passThrough:
		return w.ResponseWriter.Write(b)
	case transforming:
		return w.gz.Write(b)
	}
	h := w.Header()
	if len(w.buf) == 0 && (h.Get("Content-Encoding") != "" || !compressible(h.Get("Content-Type")) ||
		!bodyAllowed(w.Status())) {
		w.mode = passThrough
		return w.ResponseWriter.Write(b)
	}
	w.buf = append(w.buf, b...)
	if len(w.buf) >= gzipMinBytes {
		if err := w.startGzip(); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

func (w *gzipWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

func (w *gzipWriter) startGzip() error {
	h := w.Header()
	h.Set("Content-Encoding", "gzip")
	h.Del("Content-Length") // it counted the uncompressed bytes
	w.mode = transforming
	w.gz = gzipPool.Get().(*gzip.Writer)
	w.gz.Reset(w.ResponseWriter)
	_, err := w.gz.Write(w.buf)
	w.buf = nil
	return err
}

// commitPlain sends what is held back uncompressed.
func (w *gzipWriter) commitPlain() {
	w.mode = passThrough
	w.ResponseWriter.WriteHeaderNow()
	if len(w.buf) > 0 {
		_, _ = w.ResponseWriter.Write(w.buf)
		w.buf = nil
	}
}

func (w *gzipWriter) WriteHeaderNow() {
	if w.mode == undecided {
		w.commitPlain()
		return
	}
	w.ResponseWriter.WriteHeaderNow()
}

// Flush means the handler wants bytes on the wire now (streaming): a body
// still held back goes out as it is.
func (w *gzipWriter) Flush() {
	switch w.mode {
	case undecided:
		w.commitPlain()
	case transforming:
		_ = w.gz.Flush()
	}
	w.ResponseWriter.Flush()
}

func (w *gzipWriter) Written() bool { return w.mode != undecided || len(w.buf) > 0 }

func (w *gzipWriter) finish() {
	switch w.mode {
	case undecided:
		if len(w.buf) > 0 {
			w.commitPlain()
		}
	case transforming:
		_ = w.gz.Close()
		w.gz.Reset(io.Discard)
		gzipPool.Put(w.gz)
		w.gz = nil
	}
}

// bodyAllowed mirrors net/http: 1xx, 204 and 304 carry no body.
func bodyAllowed(status int) bool {
	return status >= http.StatusOK && status != http.StatusNoContent && status != http.StatusNotModified
}

// Unwrap lets http.ResponseController reach the connection (a streaming
// route extends its write deadline through it).
func (w *gzipWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
