package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/partnerforge/partnerforge/adapters/eventstoretest"
	"github.com/partnerforge/partnerforge/adapters/postgres"
	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/domain"
)

// The admin route streams the store's export as NDJSON, line by line, in
// position order, and its filters reach the store.
func TestAdminEventsExport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := postgres.NewEventStore(db.Pool)
	stream := eventstoretest.UniqueStream("export")
	var (
		ids  []uuid.UUID
		last int64
	)
	for i := range 3 {
		e := eventstoretest.NewEvent(t, "ExportRouteProbe", map[string]any{"n": i, "site": "https://a.example/?q=<b>&x"})
		ids = append(ids, e.ID)
		res, err := store.Append(ctx, stream, domain.AnyVersion, e)
		if err != nil {
			t.Fatal(err)
		}
		last = res.LastPosition
	}
	// The export reads only below the visibility horizon, as every follower
	// of the log does.
	pgtest.WaitForHorizon(t, db.Pool, last)
	srv := newTestServer(t, withTestAuth(Deps{Events: store}), nil)

	resp, body := send(t, srv, http.MethodGet, "/api/admin/events?stream="+stream, nil, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != ContentTypeNDJSON {
		t.Fatalf("status %d, Content-Type %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var got []domain.ExportedEvent
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		var e domain.ExportedEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, e)
	}
	if len(got) != len(ids) {
		t.Fatalf("%d lines, want %d: %s", len(got), len(ids), body)
	}
	for i, e := range got {
		if e.EventID != ids[i] || e.StreamID != stream || e.StreamVersion != int64(i+1) || (i > 0 && e.Position <= got[i-1].Position) {
			t.Errorf("line %d: %+v, want event %s at version %d in position order", i, e, ids[i], i+1)
		}
	}
	if !strings.Contains(string(body), "<b>&x") {
		t.Errorf("payload text is escaped: %s", body)
	}

	resp, body = send(t, srv, http.MethodGet, "/api/admin/events?since=yesterday", nil, "")
	var e ErrorBody
	if resp.StatusCode != http.StatusBadRequest || json.Unmarshal(body, &e) != nil ||
		e.Error.Details["parameter"] != "since" || !strings.Contains(e.Error.Message, "RFC3339") {
		t.Fatalf("bad since: status %d, %s; want 400 naming since and RFC3339", resp.StatusCode, body)
	}
}

// failingLog fails after handing over one page.
type failingLog struct{ page []domain.RecordedEvent }

func (f failingLog) Export(_ context.Context, _ domain.EventFilter, page func([]domain.RecordedEvent) error) (int64, error) {
	if err := page(f.page); err != nil {
		return 0, err
	}
	return int64(len(f.page)), errors.New("connection lost")
}

// An export cut short ends with an error line, so it cannot pass for a
// complete one.
func TestAdminEventsExportCutShort(t *testing.T) {
	t.Parallel()
	page := []domain.RecordedEvent{{Position: 1, StreamID: "s", StreamVersion: 1,
		EventData: domain.EventData{ID: uuid.New(), Type: "X", SchemaVersion: 1, Data: json.RawMessage(`{}`)}}}
	srv := newTestServer(t, withTestAuth(Deps{Events: failingLog{page: page}}), nil)
	resp, body := send(t, srv, http.MethodGet, "/api/admin/events", nil, "")
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if resp.StatusCode != http.StatusOK || len(lines) != 2 {
		t.Fatalf("status %d, %d lines: %s", resp.StatusCode, len(lines), body)
	}
	var e ErrorBody
	if err := json.Unmarshal([]byte(lines[1]), &e); err != nil || e.Error.Code != CodeInternal {
		t.Fatalf("last line %q, want an INTERNAL error", lines[1])
	}
}

// A streaming route extends its write deadline through every middleware's
// response writer: each must unwrap to the connection's.
func TestStreamingRoutesReachTheConnection(t *testing.T) {
	t.Parallel()
	var deadlineErr error
	version := fixedVersion(1)
	srv := newTestServer(t, Deps{TargetsVersion: &version}, func(r *gin.Engine) {
		r.GET("/test/deadline", func(c *gin.Context) {
			deadlineErr = http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(time.Minute))
			c.Status(http.StatusNoContent)
		})
	})
	resp, _ := send(t, srv, http.MethodGet, "/test/deadline", map[string]string{"Accept-Encoding": "gzip"}, "")
	if resp.StatusCode != http.StatusNoContent || deadlineErr != nil {
		t.Fatalf("status %d, SetWriteDeadline: %v", resp.StatusCode, deadlineErr)
	}
}
