// Package yahoo fetches a company's financials from Yahoo Finance.
//
// Yahoo has no official API: quoteSummary wants a session cookie and a
// "crumb" bound to it. The client gets the cookie from CookieURL (the role
// https://fc.yahoo.com plays), the crumb from /v1/test/getcrumb, caches both,
// and refreshes them once when quoteSummary answers 401 "Invalid Crumb".
package yahoo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"

	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/domain"
)

// Defaults of Config.
const (
	DefaultBaseURL          = "https://query2.finance.yahoo.com"
	DefaultCookieURL        = "https://fc.yahoo.com"
	DefaultSearchPath       = "/v1/finance/search"
	DefaultCrumbPath        = "/v1/test/getcrumb"
	DefaultQuoteSummaryPath = "/v10/finance/quoteSummary/"
	// DefaultUserAgent looks like a browser: Yahoo answers 429 to the Go
	// default user agent.
	DefaultUserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
)

// Config configures a Client.
type Config struct {
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	// CookieURL hands out the session cookie: an absolute URL, or a path
	// resolved against BaseURL (so one fixture server can play both roles).
	// Defaults to DefaultCookieURL.
	CookieURL string
	// SearchPath, CrumbPath and QuoteSummaryPath are relative to BaseURL.
	SearchPath, CrumbPath, QuoteSummaryPath string
	// TickerMapPath optionally names a .json or .csv domain → ticker file
	// (see LoadTickerMap).
	TickerMapPath string
	// Tickers adds domain → ticker entries, overriding the file's.
	Tickers map[string]string
	// UserAgent defaults to DefaultUserAgent.
	UserAgent string
	// HTTPClient defaults to providers.DefaultHTTPClient(); redirects are
	// followed only within one host (providers.ClientFor). The client is
	// copied and given its own cookie jar when it has none.
	HTTPClient *http.Client
}

// Client is the Yahoo Finance Fetcher. It is safe for concurrent use.
type Client struct {
	cookieURL, searchURL, crumbURL, summaryURL string

	tickers map[string]string
	header  http.Header
	http    *http.Client

	mu    sync.Mutex // serialises the handshake and guards crumb
	crumb string
}

var _ providers.Fetcher = (*Client)(nil)

// New validates cfg, loads the ticker map and builds a Client.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("yahoo: invalid base URL %q", cfg.BaseURL)
	}
	rel := func(p, def string) string {
		if p == "" {
			p = def
		}
		if strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") {
			return p
		}
		return base.String() + "/" + strings.TrimLeft(p, "/")
	}
	c := &Client{
		cookieURL:  rel(cfg.CookieURL, DefaultCookieURL),
		searchURL:  rel(cfg.SearchPath, DefaultSearchPath),
		crumbURL:   rel(cfg.CrumbPath, DefaultCrumbPath),
		summaryURL: strings.TrimRight(rel(cfg.QuoteSummaryPath, DefaultQuoteSummaryPath), "/") + "/",
		tickers:    map[string]string{},
		header:     http.Header{"User-Agent": {cfg.UserAgent}, "Accept": {"application/json, text/plain, */*"}},
	}
	if cfg.UserAgent == "" {
		c.header.Set("User-Agent", DefaultUserAgent)
	}
	if cfg.TickerMapPath != "" {
		if c.tickers, err = LoadTickerMap(cfg.TickerMapPath); err != nil {
			return nil, fmt.Errorf("yahoo: %w", err)
		}
	}
	for d, t := range cfg.Tickers {
		if err := add(c.tickers, d, t); err != nil {
			return nil, fmt.Errorf("yahoo: ticker for %q: %w", d, err)
		}
	}
	// ClientFor copies the client, so the jar added here is ours alone.
	hc := providers.ClientFor(cfg.HTTPClient)
	if hc.Jar == nil {
		if hc.Jar, err = cookiejar.New(nil); err != nil {
			return nil, fmt.Errorf("yahoo: cookie jar: %w", err)
		}
	}
	c.http = hc
	return c, nil
}

// Provider is domain.ProviderYahooFinance.
func (c *Client) Provider() domain.Provider { return domain.ProviderYahooFinance }

// Fetch resolves the ticker (request, then map, then search) and reads its
// quoteSummary. A company without a listed equity fails with no_ticker.
func (c *Client) Fetch(ctx context.Context, req providers.Request) (domain.ProviderData, providers.Meta, error) {
	meta := providers.Meta{Attempts: 1}
	ticker, how, status, err := c.resolveTicker(ctx, req)
	meta.HTTPStatus = status
	if err != nil {
		return domain.ProviderData{}, meta, err
	}
	meta.Note = fmt.Sprintf("ticker %s from %s", ticker, how)
	fin, status, err := c.quoteSummary(ctx, ticker)
	meta.HTTPStatus = status
	if err != nil {
		return domain.ProviderData{}, meta, err
	}
	return domain.ProviderData{Financials: fin}, meta, nil
}

func (c *Client) resolveTicker(ctx context.Context, req providers.Request) (ticker, how string, status int, err error) {
	if t := strings.ToUpper(strings.TrimSpace(req.Ticker)); t != "" {
		return t, "request", 0, nil
	}
	if t, ok := c.tickers[strings.ToLower(req.Domain)]; ok {
		return t, "ticker map", 0, nil
	}
	t, status, err := c.search(ctx, req.Domain)
	return t, "search", status, err
}

// ensureCrumb returns the cached crumb, doing the handshake when there is none.
func (c *Client) ensureCrumb(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.crumb != "" {
		return c.crumb, nil
	}
	if err := c.getCookie(ctx); err != nil {
		return "", err
	}
	resp, err := providers.Get(ctx, c.http, c.crumbURL, c.header)
	if err != nil {
		return "", err
	}
	crumb := strings.TrimSpace(string(resp.Body))
	// Yahoo's rate limiting answers in plain text, sometimes with a 200, and
	// the text would otherwise pass for a crumb.
	if resp.Status == http.StatusTooManyRequests || strings.EqualFold(crumb, tooManyRequests) {
		e := providers.StatusError(http.StatusTooManyRequests, resp.Header, "yahoo crumb: "+tooManyRequests)
		e.HTTPStatus = resp.Status
		return "", e
	}
	if !resp.OK() {
		e := providers.StatusError(resp.Status, resp.Header, "yahoo crumb")
		return "", e
	}
	if crumb == "" || strings.ContainsAny(crumb, "{<\n ") {
		return "", providers.BadResponse(resp.Status, "yahoo crumb is not a crumb", nil)
	}
	c.crumb = crumb
	return crumb, nil
}

// tooManyRequests is the plain-text body of Yahoo's rate limiting.
const tooManyRequests = "Too Many Requests"

// getCookie asks CookieURL for the session cookie. Only the cookie matters:
// fc.yahoo.com answers 404 along with it, at times does not answer at all,
// and redirects EU traffic to its consent pages (guce.yahoo.com,
// consent.yahoo.com), a redirect to another host that is not followed. None
// of these is fatal: the crumb is asked for anyway, as the widely used
// clients do, and the crumb call decides. Only the caller's own deadline or
// cancellation stops the handshake here.
func (c *Client) getCookie(ctx context.Context) error {
	_, err := providers.Get(ctx, c.http, c.cookieURL, c.header)
	if err != nil && ctx.Err() != nil {
		return err
	}
	return nil
}

// dropCrumb forgets a rejected crumb unless another fetch already replaced it.
func (c *Client) dropCrumb(crumb string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.crumb == crumb {
		c.crumb = ""
	}
}

var errInvalidCrumb = errors.New("yahoo rejected the crumb")
