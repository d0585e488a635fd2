package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// Cache policies. Vite names every file under assets/ after a hash of its
// content, so a browser may keep those for a year without asking again;
// index.html names the current hashes and must be revalidated on each load,
// or a deploy would leave browsers on the old app.
const (
	CacheImmutable = "public, max-age=31536000, immutable"
	CacheNoCache   = "no-cache"
	cacheOther     = "public, max-age=300"
)

// ContentSecurityPolicy is what the dashboard's pages may load: only their
// own scripts, styles and API, no inline script, no framing. The app is
// built to need nothing more (React sets styles through the DOM, which the
// policy allows; no script or style sits inline in index.html).
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// notBuiltPage is the answer of a binary built without the dashboard.
const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>PartnerForge</title></head>
<body>
<h1>PartnerForge</h1>
<p>The dashboard was not built into this binary. Run <code>make build</code> (it needs Node.js and npm) and start the server again.</p>
<p>The API works without it: see <a href="/openapi.json">/openapi.json</a>.</p>
</body></html>
`

// Handler serves the single-page app from fsys (see Dist): files as they
// are, and index.html for every other path so the app's own routes
// (/company/acme.com, /jobs) survive a reload or a shared link. Missing
// files under assets/ are a plain 404, never index.html: a stale page
// asking for a script that no longer exists must fail loudly, not parse
// HTML as JavaScript. The caller decides which paths reach the handler
// (the API's keep their JSON 404).
type Handler struct {
	fsys      fs.FS
	index     []byte
	indexETag string
}

// NewHandler reads index.html once; without it (a binary built without
// npm) every page answers notBuiltPage.
func NewHandler(fsys fs.FS) (*Handler, error) {
	h := &Handler{fsys: fsys}
	index, err := fs.ReadFile(fsys, "index.html")
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return h, nil
	case err != nil:
		return nil, err
	}
	sum := sha256.Sum256(index)
	h.index, h.indexETag = index, `"`+hex.EncodeToString(sum[:8])+`"`
	return h, nil
}

// Built reports whether the dashboard's files are present.
func (h *Handler) Built() bool { return h.index != nil }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", ContentSecurityPolicy)
	hdr.Set("Referrer-Policy", "no-referrer")
	if !h.Built() {
		hdr.Set("Cache-Control", CacheNoCache)
		hdr.Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write([]byte(notBuiltPage))
		}
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name != "" && name != "index.html" && h.serveFile(w, r, name) {
		return
	}
	if strings.HasPrefix(name, "assets/") {
		hdr.Del("Content-Security-Policy")
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	hdr.Set("Cache-Control", CacheNoCache)
	hdr.Set("ETag", h.indexETag)
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(h.index))
}

// serveFile answers with the file name when it exists and is not a
// directory, and reports whether it did.
func (h *Handler) serveFile(w http.ResponseWriter, r *http.Request, name string) bool {
	data, err := fs.ReadFile(h.fsys, name)
	if err != nil {
		// A directory or a missing file: the caller falls back.
		return false
	}
	cache := cacheOther
	if strings.HasPrefix(name, "assets/") {
		cache = CacheImmutable
	}
	w.Header().Set("Cache-Control", cache)
	// ServeContent sets the type from the extension and answers ranges and
	// HEAD; embedded files carry no modification time, and the hashed names
	// make one unnecessary.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
	return true
}
