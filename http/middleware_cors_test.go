package httpapi

import (
	"net/http"
	"slices"
	"testing"
)

func TestCORS(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, Deps{CORSExtraOrigins: ParseOrigins(" https://dash.partnerforge.io/ , https://staging.partnerforge.io")}, nil)
	preflight := func(origin string) map[string]string {
		return map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "content-type, x-requested-by"}
	}
	tests := []struct {
		name        string
		method      string
		path        string
		header      map[string]string
		wantStatus  int
		wantOrigin  string // Access-Control-Allow-Origin, "" for none
		wantMethods bool   // preflight answer headers present
	}{
		{"vite dev server", http.MethodGet, "/health", map[string]string{"Origin": "http://localhost:5173"}, http.StatusOK, "http://localhost:5173", false},
		{"next dev server", http.MethodGet, "/health", map[string]string{"Origin": "http://localhost:3000"}, http.StatusOK, "http://localhost:3000", false},
		{"extra origin", http.MethodGet, "/health", map[string]string{"Origin": "https://dash.partnerforge.io"}, http.StatusOK, "https://dash.partnerforge.io", false},
		{"foreign origin served without CORS", http.MethodGet, "/health", map[string]string{"Origin": "https://evil.example"}, http.StatusOK, "", false},
		{"no origin", http.MethodGet, "/health", nil, http.StatusOK, "", false},
		{"preflight allowed", http.MethodOptions, "/api/enrich/costco.com", preflight("https://staging.partnerforge.io"), http.StatusNoContent, "https://staging.partnerforge.io", true},
		{"preflight foreign", http.MethodOptions, "/api/enrich/costco.com", preflight("https://evil.example"), http.StatusNoContent, "", false},
		{"OPTIONS without preflight headers", http.MethodOptions, "/health", nil, http.StatusMethodNotAllowed, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, _ := send(t, srv, tc.method, tc.path, tc.header, "")
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			h := resp.Header
			if got := h.Get("Access-Control-Allow-Origin"); got != tc.wantOrigin {
				t.Errorf("Allow-Origin %q, want %q", got, tc.wantOrigin)
			}
			if tc.header["Origin"] != "" && !slices.Contains(h.Values("Vary"), "Origin") {
				t.Errorf("Vary %v lacks Origin", h.Values("Vary"))
			}
			if tc.wantMethods {
				if h.Get("Access-Control-Allow-Methods") != corsAllowMethods || h.Get("Access-Control-Allow-Headers") != corsAllowHeaders {
					t.Errorf("preflight headers %v", h)
				}
			} else if h.Get("Access-Control-Allow-Methods") != "" {
				t.Errorf("unexpected Allow-Methods %q", h.Get("Access-Control-Allow-Methods"))
			}
			if tc.wantOrigin != "" && !tc.wantMethods && h.Get("Access-Control-Expose-Headers") != corsExposeHeaders {
				t.Errorf("Expose-Headers %q", h.Get("Access-Control-Expose-Headers"))
			}
		})
	}
}

func TestParseOrigins(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" , ", nil},
		{"https://a.example", []string{"https://a.example"}},
		{"https://a.example/, http://b.example:8080 ", []string{"https://a.example", "http://b.example:8080"}},
	}
	for _, tc := range tests {
		if got := ParseOrigins(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("ParseOrigins(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
