package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// messageDB is a scratch database with message-db installed by its own
// install script.
type messageDB struct {
	name, server string
	pool         *pgxpool.Pool
}

func newMessageDB(ctx context.Context, server, pkgDir string) (*messageDB, error) {
	name := "pfbench_mdb_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	m := &messageDB{name: name, server: server}

	u, err := url.Parse(server)
	if err != nil {
		return nil, fmt.Errorf("parse server url: %w", err)
	}
	install := exec.CommandContext(ctx, "bash", filepath.Join(pkgDir, "database", "install.sh"))
	install.Env = append(os.Environ(),
		"PGHOST="+u.Hostname(), "PGPORT="+u.Port(), "PGUSER="+u.User.Username(),
		"DATABASE_NAME="+name, "CREATE_DATABASE=off")
	if out, err := install.CombinedOutput(); err != nil {
		m.drop(ctx)
		return nil, fmt.Errorf("install message-db: %w\n%s", err, out)
	}

	u.Path = "/" + name
	cfg, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		m.drop(ctx)
		return nil, err
	}
	// message-db's functions use unqualified names.
	cfg.ConnConfig.RuntimeParams["search_path"] = "message_store,public"
	cfg.MaxConns = 20
	if m.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		m.drop(ctx)
		return nil, err
	}
	return m, nil
}

// write appends n messages with write_message and an exact expected version.
// With spread false every stream is in one category ("target"), as
// target-<domain> streams are; with spread true each writer has its own
// category, message-db's best case since it locks per category.
func (m *messageDB) write(ctx context.Context, name string, writers, n int, spread bool) (result, error) {
	run := strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	metaJSON, _ := json.Marshal(meta)
	took, err := parallel(writers, n, func(w, count int) error {
		versions := make([]int64, streamsPerWriter)
		for i := range versions {
			versions[i] = -1
		}
		for i := range count {
			s := i % streamsPerWriter
			category := "target"
			if spread {
				category = fmt.Sprintf("target%d", w)
			}
			stream := fmt.Sprintf("%s-%s%d:%d", category, run, w, s)
			_, err := m.pool.Exec(ctx, "SELECT write_message($1, $2, $3, $4, $5, $6)",
				uuid.NewString(), stream, "ProviderFetched", payload, metaJSON, versions[s])
			if err != nil {
				return err
			}
			versions[s]++
		}
		return nil
	})
	return result{name: name, writers: writers, events: n, took: took}, err
}

func (m *messageDB) drop(ctx context.Context) {
	if m.pool != nil {
		m.pool.Close()
	}
	admin, err := pgx.Connect(ctx, m.server)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: drop message-db database:", err)
		return
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+m.name+" WITH (FORCE)"); err != nil {
		fmt.Fprintln(os.Stderr, "bench: drop message-db database:", err)
	}
}
