package main

import (
	"fmt"
	"io"
	"time"

	"github.com/partnerforge/partnerforge/projections"
)

// progressPrinter writes a rebuild's progress as lines on w, at most one per
// interval and one for each new phase, so a terminal (or a log collecting
// stderr) sees it move without being flooded.
type progressPrinter struct {
	w        io.Writer
	interval time.Duration
	last     time.Time
	phase    string
	pending  *projections.Progress
}

func newProgressPrinter(w io.Writer, interval time.Duration) *progressPrinter {
	return &progressPrinter{w: w, interval: interval}
}

func (p *progressPrinter) report(pr projections.Progress) {
	if pr.Phase == p.phase && time.Since(p.last) < p.interval {
		p.pending = &pr
		return
	}
	p.print(pr)
}

// finish prints the last report held back by the throttle.
func (p *progressPrinter) finish() {
	if p.pending != nil {
		p.print(*p.pending)
	}
}

func (p *progressPrinter) print(pr projections.Progress) {
	p.last, p.phase, p.pending = time.Now(), pr.Phase, nil
	line := fmt.Sprintf("%s: %-8s position %d, %d of %d events, %.0f events/s",
		pr.Projection, pr.Phase, pr.Position, pr.Events, pr.Total, pr.Rate())
	if eta := pr.ETA(); eta > 0 && pr.Phase == projections.PhaseLoad {
		line += ", about " + eta.Round(time.Second).String() + " left"
	}
	if pr.Phase == projections.PhaseSwap && pr.SwapAttempt > 1 {
		line += fmt.Sprintf(", swap attempt %d", pr.SwapAttempt)
	}
	fmt.Fprintln(p.w, line)
}
