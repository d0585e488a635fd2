package legacysqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// DemoChunkRows is how many rows DemoStream generates, writes and reads at
// a time. A demo of up to this many rows is one chunk, and exactly the list
// WriteDemo writes.
const DemoChunkRows = 10_000

// DemoStream generates a demo list of any size chunk by chunk, so that
// generating and importing a million rows holds one chunk in memory, not the
// list. Each chunk goes through the same SQLite file and the same Read as a
// legacy file would, in a scratch file that is replaced by the next chunk.
//
// The anomalies are planted within each chunk (DemoPlan of the chunk's
// size), so a duplicate names a target of its own chunk and merges there.
// Only the set of domains handed out spans chunks — it keeps domains
// unique across the list — and the company names that competitor lists
// draw from.
type DemoStream struct {
	g         *demoGen
	n, done   int
	dir       string
	normalize func(string) (string, error)
}

// NewDemoStream streams n rows generated from seed, writing its scratch
// files in dir; normalize is Read's.
func NewDemoStream(n int, seed int64, dir string, normalize func(string) (string, error)) (*DemoStream, error) {
	if n < 0 {
		return nil, fmt.Errorf("demo stream: negative row count %d", n)
	}
	return &DemoStream{g: newDemoGen(n, seed), n: n, dir: dir, normalize: normalize}, nil
}

// Done counts the rows generated so far.
func (s *DemoStream) Done() int { return s.done }

// Next generates the next chunk and returns it as Read returns a file: its
// targets (merged within the chunk) and its report. It returns nil at the
// end, and ctx's error once ctx is done.
func (s *DemoStream) Next(ctx context.Context) (*Result, error) {
	if s.done >= s.n {
		return nil, nil
	}
	size := min(DemoChunkRows, s.n-s.done)
	rows := make([]legacyRow, size)
	s.g.domains = s.g.domains[:0]
	for i := range rows {
		if i%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rows[i] = s.g.row(int64(s.done + i + 1))
	}
	s.g.plantAnomalies(rows, s.g.domains)
	path := filepath.Join(s.dir, fmt.Sprintf("demo-chunk-%d.sqlite", s.done/DemoChunkRows))
	if err := writeRows(ctx, path, rows); err != nil {
		return nil, fmt.Errorf("demo chunk at row %d: %w", s.done+1, err)
	}
	defer os.Remove(path)
	res, err := Read(ctx, path, s.normalize, nil)
	if err != nil {
		return nil, fmt.Errorf("demo chunk at row %d: %w", s.done+1, err)
	}
	s.done += size
	return res, nil
}

// Add folds another chunk's report into r.
func (r *Report) Add(o Report) {
	r.RowsRead += o.RowsRead
	r.TargetsImported += o.TargetsImported
	r.Merged += o.Merged
	r.Rejected += o.Rejected
	r.Merges = append(r.Merges, o.Merges...)
	r.Rejections = append(r.Rejections, o.Rejections...)
	r.Warnings = append(r.Warnings, o.Warnings...)
	if r.MissingColumns == nil {
		r.MissingColumns = o.MissingColumns
	}
}
