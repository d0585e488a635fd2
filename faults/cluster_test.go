//go:build faults

package faults

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// clusterPorts is the range the suite's private cluster may listen on.
const clusterPortFirst, clusterPortLast = 55520, 55529

// cluster is a PostgreSQL cluster of the suite's own, in a temporary
// directory: the faults stop and start it, which no shared server may suffer.
type cluster struct {
	dir, data string
	port      int
	pgCtl     string
	// owner runs the server binaries as the postgres user when the suite
	// runs as root (initdb and postgres refuse root).
	owner *user.User
}

// newCluster runs initdb in a fresh directory under root and starts the
// server on the first free port of the suite's range.
func newCluster(ctx context.Context, root string) (*cluster, error) {
	initdb, err := serverBinary("initdb")
	if err != nil {
		return nil, err
	}
	pgCtl, err := serverBinary("pg_ctl")
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: root, data: filepath.Join(root, "pg"), pgCtl: pgCtl}
	if os.Geteuid() == 0 {
		if c.owner, err = user.Lookup("postgres"); err != nil {
			return nil, fmt.Errorf("running as root, the cluster needs a postgres user: %w", err)
		}
	}
	if err := os.MkdirAll(c.data, 0o700); err != nil {
		return nil, err
	}
	if err := c.chown(root); err != nil {
		return nil, err
	}
	if out, err := c.command(ctx, initdb, "-D", c.data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	for p := clusterPortFirst; p <= clusterPortLast; p++ {
		if ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
			ln.Close()
			c.port = p
			break
		}
	}
	if c.port == 0 {
		return nil, fmt.Errorf("no free port in %d–%d for the private cluster", clusterPortFirst, clusterPortLast)
	}
	return c, c.start(ctx)
}

func serverBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(found) == 0 {
		return "", fmt.Errorf("PostgreSQL server binary %s not found on PATH or in /usr/lib/postgresql/*/bin (apt-get install postgresql)", name)
	}
	return found[len(found)-1], nil
}

func (c *cluster) chown(root string) error {
	if c.owner == nil {
		return nil
	}
	uid, _ := strconv.Atoi(c.owner.Uid)
	gid, _ := strconv.Atoi(c.owner.Gid)
	return filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

func (c *cluster) command(ctx context.Context, bin string, args ...string) *exec.Cmd {
	if c.owner != nil {
		return exec.CommandContext(ctx, "runuser", append([]string{"-u", c.owner.Username, "--", bin}, args...)...)
	}
	return exec.CommandContext(ctx, bin, args...)
}

func (c *cluster) pgctl(ctx context.Context, args ...string) error {
	out, err := c.command(ctx, c.pgCtl, append([]string{"-D", c.data, "-w", "-t", "120"}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func (c *cluster) start(ctx context.Context) error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200", c.port, c.data)
	return c.pgctl(ctx, "-l", filepath.Join(c.dir, "server.log"), "-o", opts, "start")
}

// stop shuts the server down the way an operator's restart does: active
// sessions are ended (fast mode), nothing is lost.
func (c *cluster) stop(ctx context.Context) error { return c.pgctl(ctx, "-m", "fast", "stop") }

// url is a connection URL for database db.
func (c *cluster) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// createDB creates a database of the fault's own and returns its URL.
func (c *cluster) createDB(ctx context.Context, name string) (string, error) {
	conn, err := pgx.Connect(ctx, c.url("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return c.url(name), nil
}

// close stops the server if it runs; the directory goes with the suite's.
func (c *cluster) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.pgctl(ctx, "-m", "immediate", "stop"); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "faults: stop the private cluster:", err)
	}
}
