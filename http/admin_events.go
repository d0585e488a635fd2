package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/partnerforge/partnerforge/domain"
)

// EventLog is what the admin export reads; postgres.EventStore implements
// it. Export hands over the matching events one page at a time, in
// position order.
type EventLog interface {
	Export(ctx context.Context, f domain.EventFilter, page func([]domain.RecordedEvent) error) (int64, error)
}

// exportWriteWindow is how long the export may take to send its next page.
const exportWriteWindow = 30 * time.Second

// ContentTypeNDJSON is the export's media type: one JSON object per line.
const ContentTypeNDJSON = "application/x-ndjson"

// registerAdminEventRoutes adds the admin export of the log to the admin
// group (which requireTier(admin) guards); without Deps.Events it answers
// 503.
func registerAdminEventRoutes(admin gin.IRouter, d Deps) {
	admin.GET("/events", exportEvents(d.Events, orDiscard(d.Logger)))
}

// exportEvents streams the log as NDJSON, flushing after every page, so a
// million events never sit in memory on either side.
func exportEvents(events EventLog, log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		q := newQuery(c, "stream", "type", "after", "since", "until")
		in := domain.EventFilterInput{
			Stream: q.text("stream"), Type: q.text("type"),
			After: q.text("after"), Since: q.text("since"), Until: q.text("until"),
		}
		if q.abort(c) {
			return
		}
		f, err := domain.ParseEventFilter(in)
		if err != nil {
			var fe *domain.FilterError
			if errors.As(err, &fe) {
				abortWithError(c, http.StatusBadRequest, CodeInvalidParameter, err.Error(), map[string]any{"parameter": fe.Field})
				return
			}
			abortWithError(c, http.StatusBadRequest, CodeInvalidParameter, err.Error(), nil)
			return
		}
		if events == nil {
			abortWithError(c, http.StatusServiceUnavailable, CodeUnavailable, "the event log is not configured on this server", nil)
			return
		}
		c.Header("Content-Type", ContentTypeNDJSON)
		c.Status(http.StatusOK)
		rc := http.NewResponseController(c.Writer)
		_ = rc.SetWriteDeadline(time.Now().Add(exportWriteWindow)) // the first page may be slow to find
		buf := bufio.NewWriterSize(c.Writer, 64<<10)
		enc := domain.NewExportEncoder(buf)
		n, err := events.Export(c.Request.Context(), f, func(page []domain.RecordedEvent) error {
			for _, re := range page {
				if err := enc.Encode(re); err != nil {
					return err
				}
			}
			if err := buf.Flush(); err != nil {
				return err
			}
			c.Writer.Flush()
			// The server's WriteTimeout bounds a whole response; an export
			// may rightly take longer, so each page that reaches the client
			// earns the next one a fresh window instead.
			_ = rc.SetWriteDeadline(time.Now().Add(exportWriteWindow))
			return nil
		})
		if err != nil {
			// The status line is long gone: end the stream with an error
			// line in the usual shape, so a reader can tell a cut export
			// from a complete one.
			log.Error("event export failed", slog.String("request_id", RequestID(c.Request.Context())),
				slog.Int64("exported", n), slog.Any("error", err))
			_ = json.NewEncoder(buf).Encode(ErrorBody{Error: ErrorDetail{Code: CodeInternal, Message: "export stopped after " + strconv.FormatInt(n, 10) + " events"}})
		}
		_ = buf.Flush()
		c.Writer.Flush()
	}
}
