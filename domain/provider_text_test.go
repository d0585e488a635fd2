package domain_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/partnerforge/partnerforge/domain"
)

func TestSafeProviderText(t *testing.T) {
	const bwKey = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
	const swKey = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
	long := "upstream said: " + strings.Repeat("<html><body>Service Unavailable</body></html> ", 40)
	tests := []struct {
		name string
		in   string
		// want, when set, is the exact result; otherwise the checks below.
		want       string
		mustNot    []string
		mustHave   []string
		maxRunes   int
		wantSuffix string
	}{
		{
			name: "plain message kept",
			in:   "builtwith returned no result for the domain",
			want: "builtwith returned no result for the domain",
		},
		{
			name:     "BuiltWith URL with KEY in the query",
			in:       `upstream_error: GET https://api.builtwith.com/v22/api.json?KEY=` + bwKey + `&LOOKUP=costco.com: connection reset by peer`,
			mustNot:  []string{bwKey, "LOOKUP=costco.com"},
			mustHave: []string{"https://api.builtwith.com/v22/api.json?[redacted]", "connection reset by peer"},
		},
		{
			name:     "SimilarWeb URL with api_key, quoted in a JSON error body",
			in:       `{"meta":{"status":"Error","error_message":"Invalid request https://api.similarweb.com/v1/website/costco.com/total-traffic-and-engagement/visits?api_key=` + swKey + `&start_date=2026-01"}}`,
			mustNot:  []string{swKey, "start_date"},
			mustHave: []string{"https://api.similarweb.com/v1/website/costco.com/total-traffic-and-engagement/visits?[redacted]"},
		},
		{
			name:     "api_key outside a URL",
			in:       `The api_key=` + swKey + ` is not valid for this endpoint`,
			mustNot:  []string{swKey},
			mustHave: []string{"api_key=[redacted]", "is not valid for this endpoint"},
		},
		{
			name:     "JSON-style key field",
			in:       `bad request {"key": "` + bwKey + `", "lookup": "costco.com"}`,
			mustNot:  []string{bwKey},
			mustHave: []string{"costco.com"},
		},
		{
			name:     "bearer token",
			in:       "401 Unauthorized: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U was rejected",
			mustNot:  []string{"eyJhbGciOiJIUzI1NiJ9", "dozjgNryP4J3jVmNHl0w5N"},
			mustHave: []string{"was rejected"},
		},
		{
			name:     "yahoo crumb and user info in a URL",
			in:       "GET https://user:hunter2@query2.finance.yahoo.com/v10/finance/quoteSummary/COST?modules=price&crumb=Ab3dEfGh1jK: EOF",
			mustNot:  []string{"hunter2", "Ab3dEfGh1jK", "modules=price"},
			mustHave: []string{"query2.finance.yahoo.com/v10/finance/quoteSummary/COST?[redacted]", "EOF"},
		},
		{
			name:     "a bare key-like token",
			in:       "credits exhausted for account " + swKey,
			mustNot:  []string{swKey},
			mustHave: []string{"credits exhausted for account [redacted]"},
		},
		{
			name: "long hyphenated host names are not keys",
			in:   "no visits for www.the-very-long-named-storefront-company.com",
			want: "no visits for www.the-very-long-named-storefront-company.com",
		},
		{
			name:       "long body cut to the cap",
			in:         long,
			maxRunes:   domain.MaxProviderTextRunes,
			wantSuffix: "…",
			mustHave:   []string{"upstream said: <html><body>Service Unavailable"},
		},
		{
			name:     "white space and control characters collapsed",
			in:       "line one\r\n\tline two\n\n",
			want:     "line one line two",
			maxRunes: domain.MaxProviderTextRunes,
		},
		{
			name:       "multi-byte text cut on a rune boundary",
			in:         strings.Repeat("é", 500),
			maxRunes:   domain.MaxProviderTextRunes,
			wantSuffix: "…",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := domain.SafeProviderText(tt.in)
			if tt.want != "" && got != tt.want {
				t.Fatalf("SafeProviderText(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			for _, s := range tt.mustNot {
				if strings.Contains(got, s) {
					t.Errorf("result %q still contains %q", got, s)
				}
			}
			for _, s := range tt.mustHave {
				if !strings.Contains(got, s) {
					t.Errorf("result %q lost %q", got, s)
				}
			}
			if n := utf8.RuneCountInString(got); n > domain.MaxProviderTextRunes {
				t.Errorf("result has %d runes, cap is %d", n, domain.MaxProviderTextRunes)
			}
			if tt.maxRunes != 0 && tt.wantSuffix != "" {
				if n := utf8.RuneCountInString(got); n != tt.maxRunes {
					t.Errorf("cut result has %d runes, want exactly %d", n, tt.maxRunes)
				}
				if !strings.HasSuffix(got, tt.wantSuffix) {
					t.Errorf("cut result %q does not end in %q", got, tt.wantSuffix)
				}
			}
			if !utf8.ValidString(got) {
				t.Errorf("result is not valid UTF-8: %q", got)
			}
		})
	}
}
