package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// etag tags successful GET JSON responses with a hash of their body and
// answers 304 Not Modified when the client already holds that body. The
// dashboard polls lists and job status; a 304 saves the transfer and the
// client's re-render, though not the query.
//
// The tag is weak (W/"…") because gzip sits outside this middleware: the
// same tag then names both the plain and the compressed bytes, which a
// strong tag must not.
func etag() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Method != http.MethodGet {
			c.Next()
			return
		}
		orig := c.Writer
		w := &etagWriter{ResponseWriter: orig}
		c.Writer = w
		defer func() { c.Writer = orig }()
		c.Next()
		w.finish(c.GetHeader("If-None-Match"))
	}
}

// etagWriter buffers a 200 JSON body so it can be hashed before anything is
// sent; any other response passes straight through.
type etagWriter struct {
	gin.ResponseWriter
	mode writeMode
	buf  bytes.Buffer
}

func (w *etagWriter) decide() {
	if w.mode != undecided {
		return
	}
	w.mode = passThrough
	if w.Status() == http.StatusOK && isJSON(w.Header().Get("Content-Type")) {
		w.mode = transforming
	}
}

func (w *etagWriter) Write(b []byte) (int, error) {
	w.decide()
	if w.mode == transforming {
		return w.buf.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

func (w *etagWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

// WriteHeaderNow before any body means there is no body to tag.
func (w *etagWriter) WriteHeaderNow() {
	if w.mode == undecided {
		w.mode = passThrough
	}
	if w.mode == passThrough {
		w.ResponseWriter.WriteHeaderNow()
	}
}

// Flush is ignored while buffering: the body is sent whole by finish.
func (w *etagWriter) Flush() {
	if w.mode == passThrough {
		w.ResponseWriter.Flush()
	}
}

func (w *etagWriter) Written() bool { return w.mode != undecided }

func (w *etagWriter) Size() int {
	if w.mode == transforming {
		return w.buf.Len()
	}
	return w.ResponseWriter.Size()
}

func (w *etagWriter) finish(ifNoneMatch string) {
	if w.mode != transforming {
		return
	}
	tag := weakETag(w.buf.Bytes())
	h := w.Header()
	h.Set("ETag", tag)
	if etagMatches(ifNoneMatch, tag) {
		h.Del("Content-Type")
		h.Del("Content-Length")
		w.ResponseWriter.WriteHeader(http.StatusNotModified)
		w.ResponseWriter.WriteHeaderNow()
		return
	}
	_, _ = w.ResponseWriter.Write(w.buf.Bytes())
}

// weakETag is W/"<first 128 bits of SHA-256, base64url>": collision-safe for
// any realistic number of versions, and short.
func weakETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `W/"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}

// etagMatches applies If-None-Match's weak comparison (RFC 9110 §13.1.2):
// "*" matches anything, and W/ prefixes are ignored.
func etagMatches(header, tag string) bool {
	if header == "" {
		return false
	}
	want := strings.TrimPrefix(tag, "W/")
	for candidate := range strings.SplitSeq(header, ",") {
		candidate = strings.TrimSpace(candidate)
		if candidate == "*" || strings.TrimPrefix(candidate, "W/") == want {
			return true
		}
	}
	return false
}

func isJSON(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// Unwrap lets http.ResponseController reach the connection.
func (w *etagWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
