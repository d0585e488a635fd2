package enrichment

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/domain"
)

// stubFetcher answers every fetch with the same result.
type stubFetcher struct {
	meta providers.Meta
	err  error
}

func (stubFetcher) Provider() domain.Provider { return domain.ProviderBuiltWith }

func (f stubFetcher) Fetch(context.Context, providers.Request) (domain.ProviderData, providers.Meta, error) {
	if f.err != nil {
		return domain.ProviderData{}, f.meta, f.err
	}
	return domain.ProviderData{Tech: &domain.TechStack{Source: "builtwith"}}, f.meta, nil
}

// TestFetchOutcomeKeepsTheCause: a stored failure says what was asked and
// why it failed — "decode … answer" alone would not tell a user the
// provider sent an HTML page, nor "read answer of GET …" that it hung up.
func TestFetchOutcomeKeepsTheCause(t *testing.T) {
	d, err := domain.ParseDomain("costco.com")
	if err != nil {
		t.Fatal(err)
	}
	task := postgres.FetchTask{JobID: uuid.New(), Provider: domain.ProviderBuiltWith, Domain: d}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"message and cause", providers.BadResponse(200, "decode builtwith domain API answer", errors.New("invalid character '<' looking for beginning of value")),
			"decode builtwith domain API answer: invalid character '<' looking for beginning of value"},
		{"message only", &providers.Error{Code: domain.FailureNotFound, Message: "builtwith returned no result for the domain"},
			"builtwith returned no result for the domain"},
		{"cause only", &providers.Error{Code: domain.FailureUpstreamError, Err: errors.New("unexpected EOF")}, "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := fetchOutcome(context.Background(), stubFetcher{err: tt.err}, task)
			if o.Failed == nil || o.Failed.Message != tt.want {
				t.Fatalf("outcome %+v, want the message %q", o.Failed, tt.want)
			}
		})
	}
}

// TestFetchOutcomeScrubsProviderText shows that what a provider says reaches
// the stored event only after SafeProviderText: no key, no query, no page.
func TestFetchOutcomeScrubsProviderText(t *testing.T) {
	const key = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
	leaky := "GET https://api.builtwith.com/v22/api.json?KEY=" + key + "&LOOKUP=costco.com answered " + strings.Repeat("<p>oops</p>", 100)
	d, err := domain.ParseDomain("costco.com")
	if err != nil {
		t.Fatal(err)
	}
	task := postgres.FetchTask{JobID: uuid.New(), Provider: domain.ProviderBuiltWith, Domain: d}
	tests := []struct {
		name string
		f    stubFetcher
		text func(domain.ProviderOutcome) string
	}{
		{
			name: "classified failure message",
			f:    stubFetcher{err: &providers.Error{Code: domain.FailureUpstreamError, HTTPStatus: 502, Message: leaky}},
			text: func(o domain.ProviderOutcome) string { return o.Failed.Message },
		},
		{
			name: "unclassified error text",
			f:    stubFetcher{err: errors.New(leaky)},
			text: func(o domain.ProviderOutcome) string { return o.Failed.Message },
		},
		{
			name: "note of a successful fetch",
			f:    stubFetcher{meta: providers.Meta{Attempts: 1, Note: leaky}},
			text: func(o domain.ProviderOutcome) string { return o.Fetched.Note },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.text(fetchOutcome(context.Background(), tt.f, task))
			if strings.Contains(got, key) || strings.Contains(got, "LOOKUP") {
				t.Errorf("stored text leaks the request: %q", got)
			}
			if n := len([]rune(got)); n > domain.MaxProviderTextRunes {
				t.Errorf("stored text has %d runes, cap is %d", n, domain.MaxProviderTextRunes)
			}
			if !strings.Contains(got, "api.builtwith.com") {
				t.Errorf("stored text lost what failed: %q", got)
			}
		})
	}
}
