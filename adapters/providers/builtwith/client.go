// Package builtwith fetches a site's technology stack from BuiltWith.
//
// It uses the Domain API (…/v22/api.json, the current version) by default: only it names each
// technology, which detecting the site-search vendor and partner platforms
// needs. The Free API (…/free1/api.json) counts live technologies per
// category without naming them, so with it the stack lists category names
// and no vendor is ever detected; it is there for keys without Domain API
// credits, and says so in Meta.Note.
package builtwith

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/domain"
)

// DefaultBaseURL is BuiltWith's API host.
const DefaultBaseURL = "https://api.builtwith.com"

// API versions the client speaks.
const (
	DomainAPIv21 = "v21"
	DomainAPIv22 = "v22"
	FreeAPI      = "free1"
)

// Config configures a Client.
type Config struct {
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	// APIKey is sent as the KEY query parameter. Required.
	APIKey string
	// API is DomainAPIv22 (default, the current version), DomainAPIv21 or
	// FreeAPI.
	API string
	// HTTPClient defaults to a client with a 30s overall timeout, a backstop:
	// callers bound each attempt with the context. Either way redirects are
	// followed only within the base URL's host (providers.ClientFor).
	HTTPClient *http.Client
}

// Client is a BuiltWith Fetcher. It is safe for concurrent use.
type Client struct {
	base *url.URL
	key  string
	api  string
	http *http.Client
}

var _ providers.Fetcher = (*Client)(nil)

// New validates cfg and builds a Client.
func New(cfg Config) (*Client, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("builtwith: API key is required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("builtwith: invalid base URL %q", cfg.BaseURL)
	}
	switch cfg.API {
	case "":
		cfg.API = DomainAPIv22
	case DomainAPIv21, DomainAPIv22, FreeAPI:
	default:
		return nil, fmt.Errorf("builtwith: unknown API %q (want %s, %s or %s)", cfg.API, DomainAPIv21, DomainAPIv22, FreeAPI)
	}
	return &Client{base: base, key: cfg.APIKey, api: cfg.API, http: providers.ClientFor(cfg.HTTPClient)}, nil
}

// Provider is domain.ProviderBuiltWith.
func (c *Client) Provider() domain.Provider { return domain.ProviderBuiltWith }

// Fetch looks one domain up. BuiltWith reports many failures with HTTP 200
// and an "Errors" array; those are classified by their code and message.
func (c *Client) Fetch(ctx context.Context, req providers.Request) (domain.ProviderData, providers.Meta, error) {
	q := url.Values{"KEY": {c.key}, "LOOKUP": {req.Domain}}
	if c.api != FreeAPI {
		// Live technologies only, and none of the contact or meta data we
		// do not use: smaller answers, no personal data stored by accident.
		q.Set("LIVEONLY", "yes")
		q.Set("NOMETA", "yes")
		q.Set("NOPII", "yes")
		q.Set("NOATTR", "yes")
	}
	u := c.base.JoinPath(c.api, "api.json")
	u.RawQuery = q.Encode()

	resp, err := providers.Get(ctx, c.http, u.String(), nil)
	if err != nil {
		return domain.ProviderData{}, providers.Meta{}, err
	}
	meta := providers.Meta{HTTPStatus: resp.Status, Attempts: 1, CreditsRemaining: creditsRemaining(resp.Header)}
	var stack domain.TechStack
	if c.api == FreeAPI {
		stack, err = parseFree(resp)
		meta.Note = "builtwith free API: category names only, no vendor detection"
	} else {
		stack, err = parseDomain(resp)
	}
	if err != nil {
		return domain.ProviderData{}, meta, err
	}
	return domain.ProviderData{Tech: &stack}, meta, nil
}

// creditsRemaining reads X-API-CREDITS-REMAINING, nil when absent or not a
// number.
func creditsRemaining(h http.Header) *int64 {
	v := strings.TrimSpace(h.Get("X-API-CREDITS-REMAINING"))
	n, err := strconv.ParseInt(v, 10, 64)
	if v == "" || err != nil {
		return nil
	}
	return &n
}
