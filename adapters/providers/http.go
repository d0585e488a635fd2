package providers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/partnerforge/partnerforge/domain"
)

// maxBody bounds how much of an answer is read: provider answers are a few
// hundred kilobytes at most, and a misbehaving server must not exhaust memory.
const maxBody = 8 << 20

// Response is a provider answer read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// OK reports a 2xx status.
func (r *Response) OK() bool { return r.Status >= 200 && r.Status < 300 }

// Get sends a GET and reads the whole answer. Transport failures come back as
// *Error (timeout or upstream_error) whose text names the URL without its
// query string, because that is where API keys travel. A non-2xx status is
// not an error here: the caller classifies it with StatusError and the body.
func Get(ctx context.Context, c *http.Client, rawURL string, header http.Header) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("build request for %s: %w", RedactURL(rawURL), redactErr(err))
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, transportError("GET "+RedactURL(rawURL), err)
	}
	// Closing a body not read to its end drops the connection rather than
	// draining it, which is what an oversized answer deserves.
	defer resp.Body.Close()
	if resp.ContentLength > maxBody {
		return nil, tooLarge(rawURL, resp.StatusCode, fmt.Sprintf("announces %d bytes", resp.ContentLength))
	}
	// One byte past the cap tells a body cut at the cap from one that ends
	// there: a truncated answer must not reach a parser as if it were whole.
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		e := transportError("read answer of GET "+RedactURL(rawURL), err)
		e.HTTPStatus = resp.StatusCode
		return nil, e
	}
	if len(body) > maxBody {
		return nil, tooLarge(rawURL, resp.StatusCode, "goes on past the cap")
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// tooLarge is the failure of an answer longer than maxBody: the provider is
// not answering like itself, and asking again would bring the same answer.
func tooLarge(rawURL string, status int, how string) *Error {
	return &Error{
		Code: domain.FailureBadResponse, HTTPStatus: status,
		Message: fmt.Sprintf("answer of GET %s %s; at most %d MiB is read", RedactURL(rawURL), how, maxBody>>20),
	}
}

// transportError classifies a failure to get an answer at all.
func transportError(what string, err error) *Error {
	err = redactErr(err)
	code := domain.FailureUpstreamError
	if isTimeout(err) || errors.Is(err, context.Canceled) {
		code = domain.FailureTimeout
	}
	// what already names the method and URL: keep only the cause of a
	// *url.Error, which would repeat them ("GET …: Get "…": timeout").
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		err = ue.Err
	}
	// Connection refused or reset: the provider (or the path to it) is down,
	// which is as transient as a 5xx.
	return &Error{Code: code, Message: what, Err: err}
}

// redactErr strips the URL (and so the query) from a *url.Error, which
// net/http returns for every transport failure and which would otherwise
// print the API key.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: RedactURL(ue.URL), Err: ue.Err}
	}
	return err
}

// RedactURL returns rawURL without its query string and user info, for
// errors and logs.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "<unparseable URL>"
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED"
	}
	u.Fragment = ""
	return u.String()
}

// DefaultHTTPClient is the client the provider clients use when given none.
// Its timeout is only a backstop: each attempt is bounded by its context.
// It follows redirects only within the host asked (see SameHostRedirects).
func DefaultHTTPClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, CheckRedirect: SameHostRedirects}
}

// ClientFor returns the client a provider client uses: DefaultHTTPClient
// when c is nil, otherwise a copy of c that also refuses redirects to
// another host (any CheckRedirect of c still runs after that check).
func ClientFor(c *http.Client) *http.Client {
	if c == nil {
		return DefaultHTTPClient()
	}
	copied := *c
	if own := c.CheckRedirect; own != nil {
		copied.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if err := SameHostRedirects(req, via); err != nil {
				return err
			}
			return own(req, via)
		}
	} else {
		copied.CheckRedirect = SameHostRedirects
	}
	return &copied
}

// maxRedirects is net/http's own default limit.
const maxRedirects = 10

// SameHostRedirects is a CheckRedirect that follows a redirect only to the
// host (and port) first asked, and never from https to http. Provider URLs
// carry API keys in their query strings, which a redirect repeats: a
// provider's answer must not be able to send our key to another server, or
// over plain text. A refused redirect is not an error: the 3xx answer is
// returned as it came, and the provider client classifies it like any other
// non-2xx status (bad_response, not retried).
func SameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	first := via[0].URL
	if !strings.EqualFold(req.URL.Host, first.Host) || (first.Scheme == "https" && req.URL.Scheme != "https") {
		return http.ErrUseLastResponse
	}
	return nil
}
