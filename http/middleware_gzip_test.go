package httpapi

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestGzip(t *testing.T) {
	t.Parallel()
	large := strings.Repeat("displacement target ", 200) // 4 KB, well over gzipMinBytes
	srv := newTestServer(t, Deps{}, func(r *gin.Engine) {
		r.GET("/large", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"text": large}) })
		r.GET("/small", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"text": "short"}) })
		r.GET("/binary", func(c *gin.Context) { c.Data(http.StatusOK, "image/png", []byte(large)) })
		r.GET("/encoded", func(c *gin.Context) {
			c.Header("Content-Encoding", "br")
			c.Data(http.StatusOK, "application/json", []byte(large))
		})
		r.GET("/streamed", func(c *gin.Context) {
			c.Header("Content-Type", "text/plain")
			for range 100 {
				_, _ = c.Writer.WriteString(large[:100])
			}
		})
	})
	tests := []struct {
		name, path, accept string
		wantGzip           bool
	}{
		{"large JSON", "/large", "gzip", true},
		{"large JSON, gzip among others", "/large", "br;q=1.0, gzip;q=0.8", true},
		{"wildcard", "/large", "*", true},
		{"gzip refused with q=0", "/large", "gzip;q=0", false},
		{"no Accept-Encoding", "/large", "", false},
		{"small body", "/small", "gzip", false},
		{"not text", "/binary", "gzip", false},
		{"already encoded", "/encoded", "gzip", false},
		{"written in pieces", "/streamed", "gzip", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := map[string]string{}
			if tc.accept != "" {
				h["Accept-Encoding"] = tc.accept
			}
			// The request header is set explicitly, so the client does not
			// decompress behind the test's back.
			resp, body := send(t, srv, http.MethodGet, tc.path, h, "")
			gzipped := resp.Header.Get("Content-Encoding") == "gzip"
			if gzipped != tc.wantGzip {
				t.Fatalf("gzip %v, want %v (Content-Encoding %q)", gzipped, tc.wantGzip, resp.Header.Get("Content-Encoding"))
			}
			if !slices.Contains(resp.Header.Values("Vary"), "Accept-Encoding") {
				t.Errorf("Vary %v lacks Accept-Encoding", resp.Header.Values("Vary"))
			}
			if gzipped {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
				if resp.Header.Get("Content-Length") != "" && resp.ContentLength != -1 && resp.ContentLength > int64(len(body)) {
					t.Errorf("Content-Length %d counts the uncompressed body", resp.ContentLength)
				}
			}
			if !strings.Contains(string(body), "displacement target") && tc.path != "/small" {
				t.Errorf("body lost: %.80s", body)
			}
		})
	}
}

func TestAcceptsGzip(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"": false, "gzip": true, "GZIP": true, "deflate, gzip": true, "gzip;q=0": false, "gzip; q=0.001": true,
		"identity": false, "*;q=0.5": true, "br, deflate": false,
	}
	for in, want := range tests {
		if got := acceptsGzip(in); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", in, got, want)
		}
	}
}
