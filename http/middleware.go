package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
)

// Header names the API reads or sets on every route.
const (
	HeaderRequestID = "X-Request-ID"
)

// MaxBodyBytes bounds every request body. The API's bodies are a few hundred
// bytes; the bound keeps a careless or hostile client from tying up memory.
const MaxBodyBytes int64 = 1 << 20

// MaxHeaderBytes bounds a request's header block (http.Server's
// MaxHeaderBytes). The API's requests carry a few short headers; 32 KiB
// leaves room for the cookies a browser adds and stops header floods early.
const MaxHeaderBytes = 32 << 10

// middlewareChain lists the middleware every request passes, outermost
// first. The order matters:
//   - the request id comes first so every later log line and error carries it;
//   - the access log wraps the recoverer so a panic is logged with its 500;
//   - security headers are set before anything can answer (a preflight, a
//     refusal, a panic), so every response carries them;
//   - CORS answers preflights before anything that could refuse them;
//   - authentication comes next, before the rate limits that count per key
//     and before the body limit, so a refused caller's body is never read;
//   - the read cache wraps gzip and ETag, so a hit replays finished bytes;
//   - gzip wraps ETag so the tag is computed over the uncompressed body and
//     one tag serves both encodings (it is weak for that reason);
//   - the rate limit follows authentication (it budgets per key) and comes
//     before the read cache, so a cached answer still spends a read.
func middlewareChain(d Deps) []gin.HandlerFunc {
	log := d.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	chain := []gin.HandlerFunc{
		requestID(),
		accessLog(log),
		recoverer(log),
		securityHeaders(),
		cors(corsOrigins(d)),
	}
	if !d.withoutAuth {
		chain = append(chain, authenticate(d.Auth, log))
	}
	// The rate limit must stay right after authentication: it reads the
	// Principal, and a refused caller's body is never read.
	if d.RateLimiter != nil {
		chain = append(chain, rateLimit(d.RateLimiter, log))
	}
	chain = append(chain, bodyLimit(MaxBodyBytes))
	// The read cache sits outside gzip and ETag so a hit costs neither:
	// it stores the bytes as they were sent.
	if d.TargetsVersion != nil {
		chain = append(chain, readCacheMiddleware(d.TargetsVersion))
	}
	return append(chain, gzipResponses(), etag())
}

type requestIDKey struct{}

// RequestID returns the id the request-id middleware gave the request that
// ctx belongs to, or "" outside a request.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestID adopts a caller's X-Request-ID when it looks like an id (so a
// trace can cross services) and otherwise makes a new UUID. The id goes back
// in the response header and into the request context.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(HeaderRequestID)
		if !saneRequestID(id) {
			id = uuid.NewString()
		}
		c.Header(HeaderRequestID, id)
		c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), requestIDKey{}, id))
		c.Next()
	}
}

// saneRequestID accepts 1–128 characters of letters, digits and ._:- — enough
// for UUIDs, ULIDs and trace ids, and nothing that could forge a log line
// or a header.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch ch := id[i]; {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9':
		case ch == '.', ch == '_', ch == ':', ch == '-':
		default:
			return false
		}
	}
	return true
}

// accessLog writes one structured line per request, with the id of the API
// key that made it. It logs the path but never the query string, headers or
// bodies: keys and personal data travel there.
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		keyID := ""
		if p, ok := principalOf(c); ok {
			keyID = p.KeyID.String()
		}
		level := slog.LevelInfo
		if status >= http.StatusInternalServerError {
			level = slog.LevelError
		}
		log.LogAttrs(c.Request.Context(), level, "http request",
			slog.String("request_id", RequestID(c.Request.Context())),
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.String("route", c.FullPath()),
			slog.Int("status", status),
			slog.String("key_id", keyID),
			slog.Int("bytes", max(c.Writer.Size(), 0)),
			slog.Duration("latency", time.Since(start)),
		)
	}
}

// bodyLimit refuses a declared oversize body at once and caps the rest, so a
// handler reading the body sees *http.MaxBytesError past the limit (see
// abortIfTooLarge).
func bodyLimit(limit int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > limit {
			abortTooLarge(c, limit)
			return
		}
		if c.Request.Body != nil && c.Request.Body != http.NoBody {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		}
		c.Next()
	}
}

// abortIfTooLarge answers 413 when err came from reading past the body
// limit, and reports whether it did.
func abortIfTooLarge(c *gin.Context, err error) bool {
	var tooLarge *http.MaxBytesError
	if !errors.As(err, &tooLarge) {
		return false
	}
	abortTooLarge(c, tooLarge.Limit)
	return true
}

func abortTooLarge(c *gin.Context, limit int64) {
	abortWithError(c, http.StatusRequestEntityTooLarge, CodePayloadTooLarge,
		"request body is too large", map[string]any{"limit_bytes": limit})
}
