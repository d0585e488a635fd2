package builtwith

import (
	"net/http"
	"testing"

	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/domain"
)

func TestRefusalReadsCodeAndMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		errs   []apiError
		want   domain.FailureCode
	}{
		{name: "real not-in-system sample", status: 200,
			errs: []apiError{{Message: "Domain not in our system. Paid for lookups would return something.", Code: -10}},
			want: domain.FailureNotFound},
		// The code decides even when the wording changes.
		{name: "code -10, other wording", status: 200, errs: []apiError{{Message: "No data for this lookup", Code: -10}},
			want: domain.FailureNotFound},
		{name: "code -10 on a non-2xx", status: 400, errs: []apiError{{Message: "Lookup failed", Code: -10}},
			want: domain.FailureNotFound},
		{name: "credits by message", status: 200, errs: []apiError{{Message: "API key has no remaining credits", Code: -4}},
			want: domain.FailureQuotaExhausted},
		{name: "credits on a 403", status: 403, errs: []apiError{{Message: "Out of credits. Purchase more lookups"}},
			want: domain.FailureQuotaExhausted},
		{name: "bad key by message", status: 200, errs: []apiError{{Message: "Invalid API key", Code: -1}},
			want: domain.FailureUnauthorized},
		{name: "unknown wording", status: 200, errs: []apiError{{Message: "Something odd", Code: -99}},
			want: domain.FailureBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := refusal(&providers.Response{Status: tt.status, Header: http.Header{}}, tt.errs)
			if e.Code != tt.want || e.HTTPStatus != tt.status {
				t.Errorf("got %s (HTTP %d), want %s (HTTP %d): %v", e.Code, e.HTTPStatus, tt.want, tt.status, e)
			}
		})
	}
}
