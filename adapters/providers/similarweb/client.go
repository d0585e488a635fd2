// Package similarweb fetches a site's traffic from SimilarWeb's REST API
// (v1 website endpoints), and its technologies (v4 technographics) for use
// as BuiltWith's fallback.
package similarweb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/domain"
)

// DefaultBaseURL is SimilarWeb's API host.
const DefaultBaseURL = "https://api.similarweb.com"

// World is SimilarWeb's worldwide "country".
const World = "world"

// Config configures a Client.
type Config struct {
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	// APIKey is sent as the api_key query parameter. Required.
	APIKey string
	// Country is a lower-case ISO 3166 alpha-2 code or "world" (default).
	// A country outside the subscription is refused with 403; the client then
	// asks for the world instead and says so in Meta.Note.
	Country string
	// Months is the window of monthly data read, ending with the last
	// complete month (default 6). Growth is measured across it.
	Months int
	// MaxSimilarSites caps Traffic.SimilarSites (default 10).
	MaxSimilarSites int
	// Clock gives "now" for the date window (default time.Now).
	Clock func() time.Time
	// HTTPClient defaults to providers.DefaultHTTPClient(); either way
	// redirects are followed only within one host (providers.ClientFor).
	HTTPClient *http.Client
}

// Client is the SimilarWeb traffic Fetcher. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	key     string
	country string
	months  int
	similar int
	clock   func() time.Time
	http    *http.Client
}

var _ providers.Fetcher = (*Client)(nil)

// New validates cfg and builds a Client.
func New(cfg Config) (*Client, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("similarweb: API key is required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("similarweb: invalid base URL %q", cfg.BaseURL)
	}
	c := &Client{
		base: base, key: cfg.APIKey, country: strings.ToLower(cfg.Country),
		months: cfg.Months, similar: cfg.MaxSimilarSites, clock: cfg.Clock, http: cfg.HTTPClient,
	}
	if c.country == "" {
		c.country = World
	}
	if c.months <= 0 {
		c.months = 6
	}
	if c.months > 36 {
		return nil, fmt.Errorf("similarweb: window of %d months exceeds the 36 SimilarWeb keeps", c.months)
	}
	if c.similar <= 0 {
		c.similar = 10
	}
	if c.clock == nil {
		c.clock = time.Now
	}
	c.http = providers.ClientFor(c.http)
	return c, nil
}

// Provider is domain.ProviderSimilarWeb.
func (c *Client) Provider() domain.Provider { return domain.ProviderSimilarWeb }

// window returns start and end months (YYYY-MM). The current month is
// incomplete, so the window ends with the previous one.
func (c *Client) window() (string, string) {
	now := c.clock().UTC()
	end := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	start := end.AddDate(0, -(c.months - 1), 0)
	return start.Format("2006-01"), end.Format("2006-01")
}

// call is one Fetch's conversation with SimilarWeb: the country it settled
// on and what it has to say about it.
// Its endpoints may be called concurrently, hence the lock.
type call struct {
	c       *Client
	mu      sync.Mutex
	country string
	note    string
	status  int
}

func (k *call) addNote(s string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.note = providers.AppendNote(k.note, s)
}

// result is what the conversation came to: its note and last status.
func (k *call) result() (note string, status int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.note, k.status
}

// errorBody is SimilarWeb's error shape:
// {"meta":{"status":"Error","error_code":401,"error_message":"Data not found"}}.
type errorBody struct {
	Meta struct {
		Status       string `json:"status"`
		ErrorCode    int    `json:"error_code"`
		ErrorMessage string `json:"error_message"`
	} `json:"meta"`
}

// get fetches one endpoint into v. countryScoped calls carry the country and,
// when SimilarWeb refuses it with a 403 that is not about credits, are
// repeated for the world; later calls of the same Fetch then ask for the
// world straight away.
func (k *call) get(ctx context.Context, path string, params url.Values, countryScoped bool, v any) error {
	q := url.Values{"api_key": {k.c.key}, "format": {"json"}}
	for name, vals := range params {
		q[name] = vals
	}
	k.mu.Lock()
	country := k.country
	k.mu.Unlock()
	if countryScoped {
		q.Set("country", country)
	}
	u := k.c.base.JoinPath(path)
	u.RawQuery = q.Encode()
	resp, err := providers.Get(ctx, k.c.http, u.String(), nil)
	if err != nil {
		return err
	}
	k.mu.Lock()
	k.status = resp.Status
	k.mu.Unlock()
	if !resp.OK() {
		e := classify(resp, path)
		if countryScoped && country != World && resp.Status == http.StatusForbidden && e.Code == domain.FailureUnauthorized {
			k.mu.Lock()
			if k.country != World {
				k.note = providers.AppendNote(k.note, fmt.Sprintf("similarweb refused country %q (403); used world", k.country))
				k.country = World
			}
			k.mu.Unlock()
			return k.get(ctx, path, params, countryScoped, v)
		}
		return e
	}
	if err := json.Unmarshal(resp.Body, v); err != nil {
		return providers.BadResponse(resp.Status, "decode similarweb "+path, err)
	}
	return nil
}

// classify turns a refusal into an *Error, reading SimilarWeb's message for
// what the status alone does not say.
func classify(resp *providers.Response, path string) *providers.Error {
	var body errorBody
	_ = json.Unmarshal(resp.Body, &body) // best effort: the status decides first
	msg := strings.ToLower(body.Meta.ErrorMessage)
	e := providers.StatusError(resp.Status, resp.Header, "similarweb "+path)
	switch {
	case strings.Contains(msg, "data not found"):
		e.Code = domain.FailureNotFound
	case e.Code == domain.FailureUnauthorized &&
		(strings.Contains(msg, "credit") || strings.Contains(msg, "quota") || strings.Contains(msg, "limit")):
		e.Code = domain.FailureQuotaExhausted
	}
	if body.Meta.ErrorMessage != "" {
		e.Message += ": " + body.Meta.ErrorMessage
	}
	return e
}
