package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/partnerforge/partnerforge/projections"
)

// Progress is printed once per phase and then at most once per interval;
// the last report held back is printed at the end.
func TestProgressPrinterThrottles(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	p := newProgressPrinter(&out, time.Hour)
	report := func(phase string, events int64) {
		p.report(projections.Progress{Projection: "displacement_targets", Phase: phase, Events: events, Total: 100, Elapsed: time.Second})
	}
	for i := int64(1); i <= 50; i++ {
		report(projections.PhaseLoad, i)
	}
	report(projections.PhaseIndex, 100)
	report(projections.PhaseIndex, 100)
	report(projections.PhaseSwap, 100)
	report(projections.PhaseSwap, 100) // held back, printed by finish
	p.finish()

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{"load     position 0, 1 of 100 events, 1 events/s", "index", "swap", "swap"}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d = %q, want it to contain %q", i, lines[i], w)
		}
	}
	if !strings.Contains(lines[0], "about 1m39s left") {
		t.Errorf("first line has no estimate: %q", lines[0])
	}
}
