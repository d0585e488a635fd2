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
	// CallAttempts is how many times one HTTP call is tried when it fails
	// transiently (5xx, connection refused, a timeout of its own), default 3.
	// Each call of a composite fetch is retried on its own, so one flaky
	// endpoint does not fail, and repeat, the whole fetch.
	CallAttempts int
	// CallBackoff is the wait before a call's second attempt, doubled for
	// each further one (default 200ms).
	CallBackoff time.Duration
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

	attempts int
	backoff  time.Duration
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
		attempts: cfg.CallAttempts, backoff: cfg.CallBackoff,
	}
	if c.attempts <= 0 {
		c.attempts = 3
	}
	if c.backoff <= 0 {
		c.backoff = 200 * time.Millisecond
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
	// monthsBack moves the date window back after SimilarWeb said the
	// dates asked are not in range (error 101).
	monthsBack int
	note       string
	status     int
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

// SimilarWeb's own error codes (meta.error_code), which say more than the
// HTTP status: 401 is "data not found" (with HTTP 401), 403 an invalid key or
// no credits left, 101 dates not in range, 103 a country outside the plan.
const (
	codeDatesOutOfRange = 101
	codeCountryRefused  = 103
	codeDataNotFound    = 401
)

// get fetches one endpoint into v. countryScoped calls carry the country and,
// when SimilarWeb refuses it (error 103), are repeated for the world; a window
// refused as out of range (error 101) is moved back a month and asked once
// more. Later calls of the same Fetch use what was settled straight away.
func (k *call) get(ctx context.Context, path string, params url.Values, countryScoped bool, v any) error {
	k.mu.Lock()
	country, back := k.country, k.monthsBack
	k.mu.Unlock()
	q := url.Values{"api_key": {k.c.key}, "format": {"json"}}
	for name, vals := range params {
		q[name] = vals
	}
	if back > 0 {
		shiftWindow(q, back)
	}
	if countryScoped {
		q.Set("country", country)
	}
	u := k.c.base.JoinPath(path)
	u.RawQuery = q.Encode()
	resp, err := k.c.getRetrying(ctx, u.String())
	if err != nil {
		return err
	}
	k.mu.Lock()
	k.status = resp.Status
	k.mu.Unlock()
	if resp.OK() {
		if err := json.Unmarshal(resp.Body, v); err != nil {
			return providers.BadResponse(resp.Status, "decode similarweb "+path, err)
		}
		return nil
	}
	e, code := classify(resp, path)
	switch {
	case code == codeCountryRefused && countryScoped && country != World:
		k.mu.Lock()
		if k.country != World {
			k.note = providers.AppendNote(k.note, fmt.Sprintf("similarweb refused country %q (%d); used world", k.country, resp.Status))
			k.country = World
		}
		k.mu.Unlock()
		return k.get(ctx, path, params, countryScoped, v)
	case code == codeDatesOutOfRange && back == 0 && hasWindow(params):
		k.mu.Lock()
		if k.monthsBack == 0 {
			k.note = providers.AppendNote(k.note, "similarweb dates not in range; window moved back a month")
			k.monthsBack = 1
		}
		k.mu.Unlock()
		return k.get(ctx, path, params, countryScoped, v)
	}
	return e
}

// hasWindow reports whether params carry a date window to move.
func hasWindow(params url.Values) bool {
	return params.Get("start_date") != "" && params.Get("end_date") != ""
}

// shiftWindow moves the YYYY-MM start_date and end_date of q back by months.
func shiftWindow(q url.Values, months int) {
	for _, name := range []string{"start_date", "end_date"} {
		if m, err := time.Parse("2006-01", q.Get(name)); err == nil {
			q.Set(name, m.AddDate(0, -months, 0).Format("2006-01"))
		}
	}
}

// getRetrying sends one GET, trying again after a transient failure (5xx,
// connection refused, the attempt's own timeout) with a doubling back-off.
// Refusals, rate limiting (whose Retry-After the caller honours) and the
// caller's own deadline end it at once.
func (c *Client) getRetrying(ctx context.Context, rawURL string) (*providers.Response, error) {
	wait := c.backoff
	for attempt := 1; ; attempt++ {
		resp, err := providers.Get(ctx, c.http, rawURL, nil)
		if !transient(resp, err) || attempt >= c.attempts || ctx.Err() != nil {
			return resp, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return resp, err
		case <-t.C:
		}
		wait *= 2
	}
}

// transient reports an answer worth asking again for at once.
func transient(resp *providers.Response, err error) bool {
	if err != nil {
		e := providers.AsError(err)
		return e.Code == domain.FailureUpstreamError || e.Code == domain.FailureTimeout
	}
	return resp.Status >= 500
}

// classify turns a refusal into an *Error, reading SimilarWeb's error code
// and message for what the status alone does not say, and returns the code.
func classify(resp *providers.Response, path string) (*providers.Error, int) {
	var body errorBody
	_ = json.Unmarshal(resp.Body, &body) // best effort: the status decides first
	code := body.Meta.ErrorCode
	msg := strings.ToLower(body.Meta.ErrorMessage)
	e := providers.StatusError(resp.Status, resp.Header, "similarweb "+path)
	switch {
	case code == codeDataNotFound && resp.Status == http.StatusUnauthorized,
		strings.Contains(msg, "data not found"):
		e.Code = domain.FailureNotFound
	case resp.Status == http.StatusForbidden && code != codeCountryRefused &&
		(strings.Contains(msg, "credit") || strings.Contains(msg, "quota") || strings.Contains(msg, "limit")):
		// 403 is SimilarWeb's answer to both an invalid key and an account
		// out of credits; only the message tells them apart.
		e.Code = domain.FailureQuotaExhausted
	case code == codeDatesOutOfRange:
		e.Code = domain.FailureNotFound
	}
	if body.Meta.ErrorMessage != "" {
		e.Message += fmt.Sprintf(": %s (error %d)", body.Meta.ErrorMessage, code)
	}
	return e, code
}
