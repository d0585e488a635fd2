package httpapi

import (
	"bufio"
	"encoding/csv"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// ContentTypeCSV is the media type of GET /api/targets.csv.
const ContentTypeCSV = "text/csv; charset=utf-8"

// csvPageSize is how many rows the export reads and sends at a time: large
// enough that a 100,000-row export is a hundred queries, small enough that
// the server never holds more than one page.
var csvPageSize = 1000

// targetCSVParams are the list's filters and sort without its paging: the
// export is every matching row.
var targetCSVParams = []string{"tier", "score_min", "score_max", "vertical", "country", "partner_tech", "search", "sort", "order"}

var targetCSVHeader = []string{
	"domain", "company_name", "icp_score", "icp_tier", "icp_tier_name", "vertical", "country", "city", "state",
	"partner_tech", "current_search", "sw_monthly_visits", "sw_search_traffic_pct", "traffic_growth", "revenue",
	"ticker", "enrichment_level", "last_enriched",
}

// exportTargetsCSV serves GET /api/targets.csv: the rows GET /api/targets
// would list for the same filters and sort, all of them, streamed as CSV
// one page at a time. Parameters are read by the list's own code, so the
// export is always the view the caller sees. The first page is read before
// the status is sent, so a bad filter or an unavailable database is the
// usual JSON error; a failure after that ends the file with a row whose
// first cell starts "#error", so a cut export cannot pass for a complete
// one.
func (rr *readRoutes) exportTargetsCSV(c *gin.Context) {
	q := newQuery(c, targetCSVParams...)
	f := targetFilter(q)
	if q.abort(c) {
		return
	}
	f.Page, f.PerPage = 1, csvPageSize
	ctx := c.Request.Context()
	page, err := rr.reads.ListTargets(ctx, f)
	if err != nil {
		rr.internal(c, err)
		return
	}
	c.Header("Content-Type", ContentTypeCSV)
	c.Header("Content-Disposition", `attachment; filename="targets.csv"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	rc := http.NewResponseController(c.Writer)
	buf := bufio.NewWriterSize(c.Writer, 64<<10)
	w := csv.NewWriter(buf)
	_ = w.Write(targetCSVHeader)
	sent := 0
	for {
		for _, t := range page.Targets {
			_ = w.Write(targetCSVRow(t))
		}
		sent += len(page.Targets)
		w.Flush()
		if err := w.Error(); err != nil {
			return // the client went away
		}
		if err := buf.Flush(); err != nil {
			return
		}
		c.Writer.Flush()
		// Like the event export: each page that reaches the client earns
		// the next one a fresh write window, however long the whole takes.
		_ = rc.SetWriteDeadline(time.Now().Add(exportWriteWindow))
		// The next page by cursor: a keyset read, as cheap at row 90,000 as
		// at row 1,000, and a target the projection moves meanwhile is
		// neither skipped nor sent twice because of the rows before it.
		if page.NextCursor == "" {
			return
		}
		f.Cursor = page.NextCursor
		if page, err = rr.reads.ListTargets(ctx, f); err != nil {
			rr.log.LogAttrs(ctx, slog.LevelError, "targets CSV export failed",
				slog.String("request_id", RequestID(ctx)), slog.Int("exported", sent), slog.String("error", err.Error()))
			_ = w.Write([]string{"#error: export stopped after " + strconv.Itoa(sent) + " rows; request id " + RequestID(ctx)})
			w.Flush()
			_ = buf.Flush()
			return
		}
	}
}

func targetCSVRow(t readmodel.TargetSummary) []string {
	return []string{
		t.Domain, csvText(t.CompanyName), csvInt(t.ICPScore), csvInt(t.ICPTier), csvText(t.ICPTierName),
		csvText(t.Vertical), csvText(t.Country), csvText(t.City), csvText(t.State),
		csvText(t.PartnerTech), csvText(t.CurrentSearch), csvInt64(t.SWMonthlyVisits),
		csvFloat(t.SWSearchTrafficPct), csvFloat(t.TrafficGrowth), csvFloat(t.Revenue),
		csvText(t.Ticker), csvText(t.EnrichmentLevel), csvTime(t.LastEnriched),
	}
}

// csvText quotes a text cell a spreadsheet would take for a formula (the
// imported lists are not ours to trust): a leading ' makes it text. Number
// cells are written by the csv* helpers below and never need it.
func csvText(s *string) string {
	if s == nil {
		return ""
	}
	if v := *s; v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return *s
}

func csvInt(v *int) string {
	if v == nil {
		return ""
	}
	return strconv.Itoa(*v)
}

func csvInt64(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}

func csvFloat(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

func csvTime(v *time.Time) string {
	if v == nil {
		return ""
	}
	return v.UTC().Format(time.RFC3339)
}
