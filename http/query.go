package httpapi

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/partnerforge/partnerforge/domain"
)

// Paging limits of the list routes.
const (
	defaultPerPage = 50
	maxPerPage     = 200
	maxTextParam   = 200
)

// query reads a list route's query string strictly: a parameter the route
// does not know, a repeated single-valued one, or a malformed value is a 400
// naming the parameter, because a typo that silently returned everything
// would mislead the dashboard's user. The first problem found is kept.
type query struct {
	values url.Values
	err    *paramError
}

type paramError struct {
	param, message string
	// allowed lists the values the parameter takes, when there is a list.
	allowed []string
}

// newQuery checks that every parameter is among known.
func newQuery(c *gin.Context, known ...string) *query {
	q := &query{values: c.Request.URL.Query()}
	names := make([]string, 0, len(q.values))
	for name := range q.values {
		names = append(names, name)
	}
	slices.Sort(names) // report the same unknown parameter every time
	for _, name := range names {
		if !slices.Contains(known, name) {
			q.fail(echo(name), fmt.Sprintf("unknown query parameter %q; this route accepts %s", echo(name), strings.Join(known, ", ")))
			break
		}
	}
	return q
}

func (q *query) fail(param, message string) { q.failAllowed(param, message, nil) }

// failAllowed is fail for a parameter with a fixed set of values, which the
// answer lists in details.allowed for programs (the message says it for
// people).
func (q *query) failAllowed(param, message string, allowed []string) {
	if q.err == nil {
		q.err = &paramError{param: param, message: message, allowed: allowed}
	}
}

// abort answers the first problem, if any, and reports whether it did.
func (q *query) abort(c *gin.Context) bool {
	if q.err == nil {
		return false
	}
	details := map[string]any{"parameter": q.err.param}
	if q.err.allowed != nil {
		details["allowed"] = q.err.allowed
	}
	abortWithError(c, http.StatusBadRequest, CodeInvalidParameter, q.err.message, details)
	return true
}

// single returns a single-valued parameter, "" when absent.
func (q *query) single(name string) (string, bool) {
	vs, ok := q.values[name]
	switch {
	case !ok:
		return "", false
	case len(vs) > 1:
		q.fail(name, name+" may be given only once")
		return "", false
	}
	return vs[0], true
}

// text returns a trimmed text parameter, "" when absent or blank.
func (q *query) text(name string) string {
	v, _ := q.single(name)
	v = strings.TrimSpace(v)
	if len(v) > maxTextParam {
		q.fail(name, fmt.Sprintf("%s is longer than %d bytes", name, maxTextParam))
		return ""
	}
	return v
}

// list returns every non-blank value of a repeatable parameter, given at
// most maxListValues times.
func (q *query) list(name string) []string {
	if n := len(q.values[name]); n > maxListValues {
		q.fail(name, fmt.Sprintf("%s may be given at most %d times, not %d", name, maxListValues, n))
		return nil
	}
	var out []string
	for _, v := range q.values[name] {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		if len(v) > maxTextParam {
			q.fail(name, fmt.Sprintf("%s is longer than %d bytes", name, maxTextParam))
			return nil
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// intIn returns an integer parameter within [lo, hi], or nil when absent.
func (q *query) intIn(name string, lo, hi int) *int {
	v, ok := q.single(name)
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		q.fail(name, fmt.Sprintf("%s must be a whole number from %d to %d, not %q", name, lo, hi, echo(v)))
		return nil
	}
	return &n
}

// oneOf returns a parameter that must be one of allowed, or def when absent.
func (q *query) oneOf(name, def string, allowed ...string) string {
	v, ok := q.single(name)
	if !ok {
		return def
	}
	if !slices.Contains(allowed, v) {
		q.fail(name, fmt.Sprintf("%s must be one of %s, not %q", name, strings.Join(allowed, ", "), echo(v)))
		return def
	}
	return v
}

// page reads page and per_page: page from 1, per_page from 1 to
// maxPerPage, and an offset that the database can take.
func (q *query) page() (page, perPage int) {
	page, perPage = 1, defaultPerPage
	if p := q.intIn("page", 1, math.MaxInt32); p != nil {
		page = *p
	}
	if pp := q.intIn("per_page", 1, maxPerPage); pp != nil {
		perPage = *pp
	}
	if (page-1)*perPage > math.MaxInt32-perPage {
		q.fail("page", "page is beyond any list")
	}
	return page, perPage
}

// domain returns a domain parameter normalised as targets are stored, so any
// spelling of a target's domain finds it; "" when absent or blank.
func (q *query) domain(name string) string {
	v := q.text(name)
	if v == "" {
		return ""
	}
	d, err := domain.ParseDomain(v)
	if err != nil {
		q.fail(name, err.Error())
		return ""
	}
	return d.String()
}

// jobStatus returns a job status parameter in any case; "" when absent or
// blank. Anything else is refused with the list of statuses.
func (q *query) jobStatus(name string) domain.JobStatus {
	v := q.text(name)
	if v == "" {
		return ""
	}
	st, ok := domain.ParseJobStatus(v)
	if !ok {
		valid := make([]string, len(domain.JobStatuses))
		for i, s := range domain.JobStatuses {
			valid[i] = string(s)
		}
		q.failAllowed(name, fmt.Sprintf("%s must be one of %s, not %q", name, strings.Join(valid, ", "), echo(v)), valid)
		return ""
	}
	return st
}
