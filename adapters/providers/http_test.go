package providers_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/adapters/providers/builtwith"
	"github.com/partnerforge/partnerforge/domain"
)

// keyCatcher is a server that must never be reached: it counts the requests
// it gets (and so the keys it would have seen).
func keyCatcher(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// otherHostName is the catcher's address under another host name: the same
// server, but a different host for the redirect rule.
func otherHostName(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	_, port, err := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	return "http://localhost:" + port
}

func TestRedirectsFollowedOnlyWithinTheHost(t *testing.T) {
	t.Parallel()
	catcher, hits := keyCatcher(t)
	tests := []struct {
		name       string
		location   func(self string) string
		wantStatus int
		wantCaught bool
	}{
		{"same host, other path", func(self string) string { return self + "/landed?KEY=k" }, http.StatusOK, false},
		{"relative path", func(string) string { return "/landed?KEY=k" }, http.StatusOK, false},
		{"another server", func(string) string { return catcher.URL + "/steal?KEY=k" }, http.StatusFound, false},
		{"same server under another host name", func(string) string { return otherHostName(t, catcher) + "/steal?KEY=k" }, http.StatusFound, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/landed" {
					_, _ = w.Write([]byte("landed"))
					return
				}
				http.Redirect(w, r, tc.location(srv.URL), http.StatusFound)
			}))
			t.Cleanup(srv.Close)
			before := hits.Load()
			resp, err := providers.Get(context.Background(), providers.ClientFor(nil), srv.URL+"/start?KEY=secret", nil)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if resp.Status != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.Status, tc.wantStatus)
			}
			if caught := hits.Load() != before; caught != tc.wantCaught {
				t.Errorf("other host reached: %v, want %v", caught, tc.wantCaught)
			}
		})
	}
}

func TestRedirectFromHTTPSToHTTPRefused(t *testing.T) {
	t.Parallel()
	var plain atomic.Int32
	insecure := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { plain.Add(1) }))
	t.Cleanup(insecure.Close)
	var tlsSrv *httptest.Server
	tlsSrv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Same host and port, plain text: the key would cross the wire in clear.
		http.Redirect(w, r, "http://"+strings.TrimPrefix(tlsSrv.URL, "https://")+"/clear", http.StatusMovedPermanently)
	}))
	t.Cleanup(tlsSrv.Close)
	resp, err := providers.Get(context.Background(), providers.ClientFor(tlsSrv.Client()), tlsSrv.URL+"/x?KEY=secret", nil)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if resp.Status != http.StatusMovedPermanently {
		t.Errorf("status %d, want the 301 unfollowed", resp.Status)
	}
}

func TestClientForKeepsTheCallersRedirectPolicy(t *testing.T) {
	t.Parallel()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/landed" {
			return
		}
		http.Redirect(w, r, "/landed", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	var asked atomic.Int32
	own := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { asked.Add(1); return http.ErrUseLastResponse }}
	resp, err := providers.Get(context.Background(), providers.ClientFor(own), srv.URL+"/start", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusFound || asked.Load() != 1 {
		t.Errorf("status %d, caller's policy asked %d times; want 302 and once", resp.Status, asked.Load())
	}
	if own.CheckRedirect == nil {
		t.Error("ClientFor changed the caller's client")
	}
}

// TestProviderClientRefusesARedirectToAnotherHost drives a real provider
// client: a BuiltWith that redirects elsewhere is a failure, and the key
// never reaches the other host.
func TestProviderClientRefusesARedirectToAnotherHost(t *testing.T) {
	t.Parallel()
	catcher, hits := keyCatcher(t)
	bw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, catcher.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	t.Cleanup(bw.Close)
	c, err := builtwith.New(builtwith.Config{BaseURL: bw.URL, APIKey: "bw-key-never-leaves"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Fetch(context.Background(), providers.Request{Domain: "costco.com"})
	if err == nil {
		t.Fatal("Fetch followed a redirect to another host")
	}
	if pe := providers.AsError(err); pe.Code != domain.FailureBadResponse || pe.Retryable() {
		t.Errorf("error %v: want a bad_response that is not retried", err)
	}
	if hits.Load() != 0 {
		t.Errorf("the other host got %d requests", hits.Load())
	}
}

// TestGetStopsReadingAtTheCap: a body with no announced length that goes on
// past the cap is refused as a bad response once the cap is passed, not
// handed on cut short, and not read to its end.
func TestGetStopsReadingAtTheCap(t *testing.T) {
	t.Parallel()
	const sendUpTo = 64 << 20
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		chunk := []byte(strings.Repeat(" ", 32<<10))
		for sent.Load() < sendUpTo {
			n, err := w.Write(chunk) // no Content-Length: chunked
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	_, err := providers.Get(context.Background(), srv.Client(), srv.URL+"/api.json?KEY=secret", nil)
	e := providers.AsError(err)
	if e == nil || e.Code != domain.FailureBadResponse || !strings.Contains(e.Error(), "goes on past the cap") {
		t.Fatalf("err = %v, want bad_response past the cap", err)
	}
	if strings.Contains(e.Error(), "secret") {
		t.Errorf("error %q carries the key", e.Error())
	}
	srv.CloseClientConnections()
	if n := sent.Load(); n >= sendUpTo {
		t.Errorf("server sent all %d bytes: the client read on past the cap", n)
	}
}

// TestGetRefusesAnAnnouncedOversizeBody: a Content-Length above the cap is
// refused before a byte of the body is read.
func TestGetRefusesAnAnnouncedOversizeBody(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "3221225472") // 3 GiB, never sent
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"Results":[`))
	}))
	t.Cleanup(srv.Close)
	_, err := providers.Get(context.Background(), srv.Client(), srv.URL+"/api.json?KEY=secret", nil)
	e := providers.AsError(err)
	if e == nil || e.Code != domain.FailureBadResponse || e.HTTPStatus != 200 || !strings.Contains(e.Error(), "announces 3221225472 bytes") {
		t.Fatalf("err = %v, want bad_response naming the announced length", err)
	}
}
