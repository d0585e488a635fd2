package httpapi

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/partnerforge/partnerforge/projections"
	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// A rebuild asked for over the route runs in the background to the swap,
// its status says how it went, and the list answers the same targets
// before and after.
func TestRebuildRoute(t *testing.T) {
	t.Parallel()
	var rebuilds *projections.Rebuilds
	rs := newReadServer(t, func(rs *readServer, d *Deps) {
		rebuilds = projections.NewRebuilds(context.Background(), rs.runner, nil)
		d.Rebuilds = rebuilds
	})
	t.Cleanup(rebuilds.Wait)
	var before TargetList
	rs.get(t, "/api/targets?per_page=100", &before)

	resp, body := sendTo(t, rs.url, http.MethodPost, "/api/admin/projections/displacement_targets/rebuild", nil, "")
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Location") != "/api/admin/projections/displacement_targets/rebuild" {
		t.Fatalf("start: %d %s, Location %q", resp.StatusCode, body, resp.Header.Get("Location"))
	}
	var st readmodel.RebuildStatus
	deadline := time.Now().Add(60 * time.Second)
	for {
		if status := rs.get(t, "/api/admin/projections/displacement_targets/rebuild", &st); status != http.StatusOK {
			t.Fatalf("status route: %d", status)
		}
		if st.State != readmodel.RebuildRunning || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st.State != readmodel.RebuildDone || st.Phase != projections.PhaseFinished || st.Position == 0 || st.FinishedAt == nil || st.Error != "" {
		t.Fatalf("rebuild ended %+v, want done at a position", st)
	}
	var after TargetList
	rs.get(t, "/api/targets?per_page=100", &after)
	if mustMarshal(t, after) != mustMarshal(t, before) {
		t.Errorf("the list changed across the rebuild:\nbefore %s\nafter  %s", mustMarshal(t, before), mustMarshal(t, after))
	}
}
