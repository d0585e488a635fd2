package httpapi

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestETag(t *testing.T) {
	t.Parallel()
	var version atomic.Int64
	srv := newTestServer(t, Deps{Enrich: &fakeRequester{}}, func(r *gin.Engine) {
		r.GET("/versioned", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"version": version.Load()}) })
		r.GET("/large", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"text": strings.Repeat("x", 4096)}) })
		r.GET("/text", func(c *gin.Context) { c.String(http.StatusOK, "plain") })
		r.GET("/missing", func(c *gin.Context) { abortWithError(c, http.StatusNotFound, CodeNotFound, "no such thing", nil) })
	})
	tagOf := func(path string, h map[string]string) string {
		resp, _ := send(t, srv, http.MethodGet, path, h, "")
		return resp.Header.Get("ETag")
	}
	v1 := tagOf("/versioned", nil)
	large := tagOf("/large", nil)
	tests := []struct {
		name        string
		method      string
		path        string
		ifNoneMatch string
		accept      string
		bump        bool // change the body first
		wantStatus  int
		wantTag     bool
	}{
		{"first fetch", http.MethodGet, "/versioned", "", "", false, http.StatusOK, true},
		{"matching tag", http.MethodGet, "/versioned", v1, "", false, http.StatusNotModified, true},
		{"strong form of the tag", http.MethodGet, "/versioned", strings.TrimPrefix(v1, "W/"), "", false, http.StatusNotModified, true},
		{"tag in a list", http.MethodGet, "/versioned", `W/"other", ` + v1, "", false, http.StatusNotModified, true},
		{"wildcard", http.MethodGet, "/versioned", "*", "", false, http.StatusNotModified, true},
		{"other tag", http.MethodGet, "/versioned", `W/"other"`, "", false, http.StatusOK, true},
		{"same tag under gzip", http.MethodGet, "/large", large, "gzip", false, http.StatusNotModified, true},
		{"not JSON", http.MethodGet, "/text", "*", "", false, http.StatusOK, false},
		{"errors are not tagged", http.MethodGet, "/missing", "*", "", false, http.StatusNotFound, false},
		{"POST is not tagged", http.MethodPost, "/api/enrich/costco.com", "*", "", false, http.StatusAccepted, false},
		{"body changed", http.MethodGet, "/versioned", v1, "", true, http.StatusOK, true},
	}
	// Sequential: the last case changes the body the others depend on.
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.bump {
				version.Add(1)
			}
			h := map[string]string{"Accept-Encoding": tc.accept}
			if tc.ifNoneMatch != "" {
				h["If-None-Match"] = tc.ifNoneMatch
			}
			resp, body := send(t, srv, tc.method, tc.path, h, "")
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			tag := resp.Header.Get("ETag")
			if (tag != "") != tc.wantTag {
				t.Fatalf("ETag %q, want one: %v", tag, tc.wantTag)
			}
			if tc.wantTag && !strings.HasPrefix(tag, `W/"`) {
				t.Errorf("ETag %q is not weak", tag)
			}
			if tc.wantStatus == http.StatusNotModified && (len(body) > 0 || resp.Header.Get("Content-Encoding") != "") {
				t.Errorf("304 with a body (%d bytes) or encoding %q", len(body), resp.Header.Get("Content-Encoding"))
			}
			if tc.bump && tag == v1 {
				t.Error("tag unchanged after the body changed")
			}
		})
	}
}

func TestETagMatches(t *testing.T) {
	t.Parallel()
	tag := `W/"abc"`
	tests := map[string]bool{
		"": false, `W/"abc"`: true, `"abc"`: true, `"abd"`: false, `"x", W/"abc"`: true, "*": true, `abc`: false,
	}
	for header, want := range tests {
		if got := etagMatches(header, tag); got != want {
			t.Errorf("etagMatches(%q) = %v, want %v", header, got, want)
		}
	}
}
