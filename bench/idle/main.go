// Command idle measures what an idle `partnerforge serve` costs: the share
// of a CPU core its process uses and the transactions a second it runs
// against its database, with nothing to do. It builds the real binary and,
// for each mode, gives it a fresh database with the demo targets imported
// and the fixture providers, lets it settle, and measures over a window:
// CPU from /proc/<pid>/stat (utime+stime), transactions from
// pg_stat_database (xact_commit+xact_rollback of its database, read over a
// connection to another database so the reads do not count). The baseline in
// the same run is the same binary polling every 20 ms (EVENT_NOTIFY=false),
// as the service did before wake-ups.
//
// Run it with `make bench`, or alone: go run ./bench/idle -window 30s.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/partnerforge/partnerforge/adapters/postgres/pgtest"
	"github.com/partnerforge/partnerforge/adapters/providers/fixtures"
)

func main() {
	var (
		window = flag.Duration("window", 30*time.Second, "how long each mode is measured")
		settle = flag.Duration("settle", 15*time.Second, "how long the service runs, ready and caught up, before the window (backends report their transactions up to 10 s late)")
		server = flag.String("server", pgtest.ServerURL(), "PostgreSQL server URL")
	)
	flag.Parse()
	if err := run(context.Background(), *server, *settle, *window); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// Goals of an idle instance.
const (
	goalCPU = 1.0 // % of a core
	goalTx  = 5.0 // transactions a second
)

type mode struct {
	name string
	env  []string
}

type figures struct{ cpu, tx float64 }

func run(ctx context.Context, server string, settle, window time.Duration) error {
	dir, err := os.MkdirTemp("", "partnerforge-idle")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "partnerforge")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/partnerforge")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	fx, err := fixtures.Start(ctx, fixtures.Options{})
	if err != nil {
		return err
	}
	defer fx.Close()
	providers := []string{
		"BUILTWITH_BASE_URL=" + fx.BuiltWith.URL, "BUILTWITH_API_KEY=fixture",
		"SIMILARWEB_BASE_URL=" + fx.SimilarWeb.URL, "SIMILARWEB_API_KEY=fixture",
		"YAHOO_BASE_URL=" + fx.Yahoo.URL, "YAHOO_COOKIE_URL=" + fx.YahooCookieURL(),
	}
	modes := []mode{
		{"wake-ups (default)", []string{"EVENT_NOTIFY=true"}},
		{"polling every 20 ms (EVENT_NOTIFY=false)", []string{"EVENT_NOTIFY=false", "EVENT_POLL_INTERVAL=20ms"}},
	}
	fmt.Printf("idle serve, demo targets imported, fixture providers; settle %s, window %s\n", settle, window)
	results := make([]figures, len(modes))
	for i, m := range modes {
		f, err := measure(ctx, server, bin, append(providers, m.env...), settle, window)
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		results[i] = f
		fmt.Printf("  %-42s CPU %5.2f %% of a core   %6.1f tx/s\n", m.name, f.cpu, f.tx)
	}
	wake, poll := results[0], results[1]
	fmt.Printf("  goal (wake-ups): under %.0f %% of a core: %s; under %.0f tx/s: %s\n",
		goalCPU, verdict(wake.cpu < goalCPU), goalTx, verdict(wake.tx < goalTx))
	fmt.Printf("  ratio polling ÷ wake-ups: CPU %.1f×   tx/s %.1f×\n", poll.cpu/wake.cpu, poll.tx/wake.tx)
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "meets"
	}
	return "MISSES"
}

// measure runs serve on a fresh database with the demo imported and returns
// its idle figures.
func measure(ctx context.Context, server, bin string, env []string, settle, window time.Duration) (figures, error) {
	db, err := pgtest.Create(ctx, server)
	if err != nil {
		return figures{}, err
	}
	defer db.Drop(context.WithoutCancel(ctx))
	addr, err := freeAddr()
	if err != nil {
		return figures{}, err
	}
	env = append(os.Environ(), append(env, "DATABASE_URL="+db.URL, "HTTP_ADDR="+addr, "LOG_LEVEL=warn")...)
	imp := exec.CommandContext(ctx, bin, "import", "demo")
	imp.Env, imp.Stderr = env, os.Stderr
	if err := imp.Run(); err != nil {
		return figures{}, fmt.Errorf("import demo: %w", err)
	}
	// This process's own connections to the database go first: they would
	// count among the transactions measured.
	db.Pool.Close()

	srv := exec.Command(bin, "serve")
	srv.Env, srv.Stderr = env, os.Stderr
	if err := srv.Start(); err != nil {
		return figures{}, err
	}
	defer func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		_ = srv.Wait()
	}()
	if err := awaitReady(ctx, "http://"+addr+"/ready", time.Minute); err != nil {
		return figures{}, err
	}
	if err := awaitProjections(ctx, db.URL, time.Minute); err != nil {
		return figures{}, err
	}
	time.Sleep(settle)

	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		return figures{}, err
	}
	defer admin.Close(context.WithoutCancel(ctx))
	tx0, err := transactions(ctx, admin, db.Name)
	if err != nil {
		return figures{}, err
	}
	cpu0, err := cpuTicks(srv.Process.Pid)
	if err != nil {
		return figures{}, err
	}
	start := time.Now()
	time.Sleep(window)
	tx1, err := transactions(ctx, admin, db.Name)
	if err != nil {
		return figures{}, err
	}
	cpu1, err := cpuTicks(srv.Process.Pid)
	if err != nil {
		return figures{}, err
	}
	elapsed := time.Since(start).Seconds()
	hz, err := clockTicks()
	if err != nil {
		return figures{}, err
	}
	return figures{
		cpu: 100 * float64(cpu1-cpu0) / hz / elapsed,
		tx:  float64(tx1-tx0) / elapsed,
	}, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func awaitReady(ctx context.Context, url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("service never became ready")
}

// awaitProjections waits until the projections have applied the import,
// on a connection closed before the window.
func awaitProjections(ctx context.Context, url string, limit time.Duration) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		var done bool
		err := conn.QueryRow(ctx, `
SELECT count(*) > 0 AND bool_and(position >= (SELECT coalesce(max(position), 0) FROM events))
FROM projection_checkpoints`).Scan(&done)
		if err != nil {
			return fmt.Errorf("projection checkpoints: %w", err)
		}
		if done {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("the projections never caught up with the import")
}

// transactions is the database's committed and rolled-back transactions so
// far. Backends report them in batches (at most once a second while busy), so
// a window should span many seconds.
func transactions(ctx context.Context, admin *pgx.Conn, name string) (int64, error) {
	var n int64
	err := admin.QueryRow(ctx, `SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1`, name).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("read pg_stat_database: %w", err)
	}
	return n, nil
}

// cpuTicks is the process's user and system time, in clock ticks.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces: fields count from after its ")".
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return utime + stime, nil
}

func clockTicks() (float64, error) {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err != nil {
		return 100, nil // Linux's USER_HZ nearly everywhere
	}
	return strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
}
