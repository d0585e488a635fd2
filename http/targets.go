package httpapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/partnerforge/partnerforge/domain"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// TargetList is the answer of GET /api/targets.
type TargetList struct {
	Data       []readmodel.TargetSummary `json:"data"`
	Pagination Pagination                `json:"pagination"`
}

var targetParams = []string{"page", "per_page", "cursor", "tier", "score_min", "score_max", "vertical", "country", "partner_tech", "search", "sort", "order"}

// maxCursorParam bounds the cursor parameter: a cursor carries the last
// row's sort key, which may be a long company name.
const maxCursorParam = 2048

// listTargets serves GET /api/targets. Without sort it lists the best
// scores first; without order, names and domains sort ascending and numbers
// and dates descending (biggest, newest first), which is what a seller
// scanning the list wants. Every page but the last carries
// pagination.next_cursor; passing it back as cursor= reads the next page
// by keyset, as fast deep in the list as at its start, and takes
// precedence over page.
func (rr *readRoutes) listTargets(c *gin.Context) {
	q := newQuery(c, targetParams...)
	f := targetFilter(q)
	f.Page, f.PerPage = q.page()
	if cur, _ := q.single("cursor"); len(cur) > maxCursorParam {
		q.fail("cursor", fmt.Sprintf("cursor is longer than %d bytes", maxCursorParam))
	} else {
		f.Cursor = cur
	}
	if q.abort(c) {
		return
	}
	page, err := rr.reads.ListTargets(c.Request.Context(), f)
	if errors.Is(err, readmodel.ErrInvalidCursor) {
		abortWithError(c, http.StatusBadRequest, CodeInvalidParameter,
			"cursor is not one this list issued for sort "+f.Sort+" "+map[bool]string{false: "asc", true: "desc"}[f.Descending]+
				"; start again without it", map[string]any{"parameter": "cursor"})
		return
	}
	if err != nil {
		rr.internal(c, err)
		return
	}
	p := paginate(page.Offset/f.PerPage+1, f.PerPage, page.Total)
	p.NextCursor = page.NextCursor
	writeJSON(c, http.StatusOK, TargetList{Data: page.Targets, Pagination: p})
}

// targetFilter reads the filter and sort parameters of the target list;
// the CSV export reads them the same way. Paging is the caller's.
func targetFilter(q *query) readmodel.TargetFilter {
	f := readmodel.TargetFilter{
		Tier:        q.intIn("tier", 1, 4),
		ScoreMin:    q.intIn("score_min", 0, 100),
		ScoreMax:    q.intIn("score_max", 0, 100),
		Verticals:   q.list("vertical"),
		Countries:   q.list("country"),
		PartnerTech: q.text("partner_tech"),
		Search:      q.text("search"),
		Sort:        q.oneOf("sort", readmodel.SortScore, readmodel.SortKeys...),
	}
	defaultOrder := "desc"
	if f.Sort == readmodel.SortCompanyName || f.Sort == readmodel.SortDomain {
		defaultOrder = "asc"
	}
	f.Descending = q.oneOf("order", defaultOrder, "asc", "desc") == "desc"
	if f.ScoreMin != nil && f.ScoreMax != nil && *f.ScoreMin > *f.ScoreMax {
		q.fail("score_min", "score_min must not exceed score_max")
	}
	return f
}

// getCompany serves GET /api/companies/{domain}: any spelling of a known
// domain (www., upper case, a URL) finds its target.
func (rr *readRoutes) getCompany(c *gin.Context) {
	d, err := domain.ParseDomain(c.Param("domain"))
	if err != nil {
		abortInvalidDomain(c, c.Param("domain"), err)
		return
	}
	t, err := rr.reads.GetTarget(c.Request.Context(), d.String())
	if errors.Is(err, readmodel.ErrNotFound) {
		abortWithError(c, http.StatusNotFound, CodeNotFound, "no target "+echo(d.String()), map[string]any{"domain": echo(d.String())})
		return
	}
	if err != nil {
		rr.internal(c, err)
		return
	}
	writeJSON(c, http.StatusOK, t)
}
