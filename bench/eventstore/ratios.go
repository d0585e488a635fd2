package main

import (
	"fmt"
	"io"
)

// printRatios prints the comparisons the benchmark exists for. Ratios from
// one run on one server are what to compare across machines; absolute rates
// move with the machine's load.
func printRatios(w io.Writer, results []result) {
	rate := func(name string, writers int) float64 {
		for _, r := range results {
			if r.name == name && r.writers == writers {
				return r.rate()
			}
		}
		return 0
	}
	type ratio struct {
		label    string
		num, den string
		writers  int
		goal     float64
	}
	ratios := []ratio{
		{"single appends ÷ message-db, one category", caseOurs, caseMDBSame, 8, 1.0},
		{"single appends ÷ message-db, category per writer", caseOurs, caseMDBSpread, 8, 1.0},
		{"single appends ÷ message-db, one category", caseOurs, caseMDBSame, 1, 0},
		{"single appends ÷ message-db, category per writer", caseOurs, caseMDBSpread, 1, 0},
		{"single appends, wake-ups on ÷ off (interleaved)", caseOursWake, caseOursQuiet, 8, 0},
		{"single appends, wake-ups on ÷ off (interleaved)", caseOursWake, caseOursQuiet, 1, 0},
		{"single appends ÷ plain INSERT", caseOurs, casePlain, 8, 0},
		{"single appends ÷ plain INSERT", caseOurs, casePlain, 1, 0},
		{"batched appends ÷ COPY", caseOursBatch, caseCopy, 8, 0.5},
		{"batched appends ÷ COPY", caseOursBatch, caseCopy, 1, 0.5},
	}
	fmt.Fprintln(w, "ratios (same run, same server):")
	for _, r := range ratios {
		n, d := rate(r.num, r.writers), rate(r.den, r.writers)
		if d == 0 {
			continue
		}
		goal := ""
		if r.goal > 0 {
			verdict := "meets"
			if n/d < r.goal {
				verdict = "BELOW"
			}
			goal = fmt.Sprintf("  (goal ≥ %.1f×: %s)", r.goal, verdict)
		}
		fmt.Fprintf(w, "  %-66s %d writer(s) %5.2f×%s\n", r.label, r.writers, n/d, goal)
	}
}
