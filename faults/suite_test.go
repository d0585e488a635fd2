//go:build faults

package faults

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// suite is what every fault shares: the binary and the private cluster.
var suite struct {
	bin     string
	cluster *cluster
	tmp     string
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	tmp, err := os.MkdirTemp("", "partnerforge-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	os.Chmod(tmp, 0o755) //nolint:errcheck // best effort: the postgres user must reach its data dir
	suite.tmp = tmp
	suite.bin = filepath.Join(tmp, "partnerforge")
	build := exec.CommandContext(ctx, "go", "build", "-o", suite.bin, "../cmd/partnerforge")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "faults: go build: %v\n%s", err, out)
		return 1
	}
	c, err := newCluster(ctx, filepath.Join(tmp, "cluster"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults: private cluster:", err)
		return 1
	}
	defer c.close()
	suite.cluster = c
	fmt.Printf("faults: private PostgreSQL cluster on 127.0.0.1:%d (%s)\n", c.port, c.data)
	code := m.Run()
	printReport()
	return code
}

// row is one line of docs/reliability.md's table.
type row struct {
	fault, happened         string
	lost, duplicated, unfin int
}

var report struct {
	mu   sync.Mutex
	rows []row
}

func record(r row) {
	report.mu.Lock()
	defer report.mu.Unlock()
	report.rows = append(report.rows, r)
}

func printReport() {
	report.mu.Lock()
	defer report.mu.Unlock()
	if len(report.rows) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString("\n| Fault | What happened | Events lost | Events duplicated | Jobs left unfinished |\n|---|---|---|---|---|\n")
	for _, r := range report.rows {
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d |\n", r.fault, r.happened, r.lost, r.duplicated, r.unfin)
	}
	fmt.Print(b.String())
}
