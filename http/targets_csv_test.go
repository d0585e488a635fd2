package httpapi

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/partnerforge/partnerforge/projections/readmodel"
)

// failingReads fails ListTargets from its n-th call on: an export cut off
// after its first page.
type failingReads struct {
	ReadModels
	calls, failFrom int
}

func (f *failingReads) ListTargets(ctx context.Context, tf readmodel.TargetFilter) (readmodel.TargetPage, error) {
	f.calls++
	if f.calls >= f.failFrom {
		return readmodel.TargetPage{}, errors.New("connection reset")
	}
	return f.ReadModels.ListTargets(ctx, tf)
}

func getCSV(t *testing.T, url string) (*http.Response, [][]string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp, nil
	}
	r := csv.NewReader(strings.NewReader(string(body)))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, body)
	}
	return resp, rows
}

// The export is the list's view, every row of it: the same filters and
// sort give the same domains in the same order, across the export's own
// pages.
func TestTargetsCSV(t *testing.T) {
	// Small pages so the fixture's dozen rows span several of them; not
	// parallel, as the page size is package state.
	defer func(n int) { csvPageSize = n }(csvPageSize)
	csvPageSize = 5
	rs := newReadServer(t)
	views := []struct {
		name   string
		params []string
	}{
		{"everything, default sort", nil},
		{"by name", []string{"sort", "company_name", "order", "asc"}},
		{"by revenue, unknowns last", []string{"sort", "revenue"}},
		{"tier and score", []string{"tier", "2", "score_min", "60"}},
		{"verticals and countries in any spelling", []string{"vertical", "fashion", "vertical", "Home", "country", "united states"}},
		{"search", []string{"search", "o"}},
		{"nothing matches", []string{"search", "no-such-target"}},
	}
	for _, v := range views {
		t.Run(v.name, func(t *testing.T) {
			list := append([]string{"per_page", "200"}, v.params...)
			var want TargetList
			if rs.get(t, targetsPath(list...), &want) != http.StatusOK {
				t.Fatal("list failed")
			}
			path := strings.Replace(targetsPath(v.params...), "/api/targets?", "/api/targets.csv?", 1)
			resp, rows := getCSV(t, rs.url+path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d", path, resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); ct != ContentTypeCSV {
				t.Errorf("Content-Type = %q", ct)
			}
			if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "targets.csv") {
				t.Errorf("Content-Disposition = %q", cd)
			}
			if len(rows) == 0 || strings.Join(rows[0], ",") != strings.Join(targetCSVHeader, ",") {
				t.Fatalf("header row = %v", rows)
			}
			if got := len(rows) - 1; got != len(want.Data) || got != want.Pagination.Total {
				t.Fatalf("exported %d rows, the list has %d (total %d)", got, len(want.Data), want.Pagination.Total)
			}
			for i, w := range want.Data {
				if rows[i+1][0] != w.Domain {
					t.Fatalf("row %d is %s, the list has %s", i+1, rows[i+1][0], w.Domain)
				}
				if want := csvText(w.CompanyName); rows[i+1][1] != want {
					t.Errorf("row %d company = %q, want %q", i+1, rows[i+1][1], want)
				}
			}
		})
	}

	t.Run("refuses what the list refuses, and paging", func(t *testing.T) {
		for _, p := range []string{"tier=9", "score_min=80&score_max=20", "sort=bogus", "page=2", "per_page=10", "colour=red"} {
			rs.wantError(t, "/api/targets.csv?"+p, http.StatusBadRequest, CodeInvalidParameter, "")
		}
	})

	t.Run("a failure after the first page marks the file as cut", func(t *testing.T) {
		cut := newReadServer(t, func(_ *readServer, d *Deps) { d.Reads = &failingReads{ReadModels: d.Reads, failFrom: 2} })
		resp, rows := getCSV(t, cut.url+"/api/targets.csv")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if got := len(rows); got != 1+csvPageSize+1 {
			t.Fatalf("%d rows, want the header, one page and the error row", got)
		}
		if last := rows[len(rows)-1][0]; !strings.HasPrefix(last, "#error: export stopped after 5 rows") {
			t.Errorf("last row = %q", last)
		}
	})

	t.Run("a failure before the first row is a JSON error", func(t *testing.T) {
		down := newReadServer(t, func(_ *readServer, d *Deps) { d.Reads = &failingReads{ReadModels: d.Reads, failFrom: 1} })
		down.wantError(t, "/api/targets.csv", http.StatusInternalServerError, CodeInternal, "")
	})
}

func TestCSVTextDefusesFormulas(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Acme", "Acme"},
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+1 Shop", "'+1 Shop"},
		{"-minus", "'-minus"},
		{"@handle", "'@handle"},
		{"\tTabbed", "'\tTabbed"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := csvText(&tt.in); got != tt.want {
			t.Errorf("csvText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := csvText(nil); got != "" {
		t.Errorf("csvText(nil) = %q", got)
	}
}
