// Package pgtest gives each test package a freshly created PostgreSQL
// database, migrated to the current schema, and drops it afterwards, so test
// runs never interfere and never depend on what an earlier run left.
//
// The server is PARTNERFORGE_TEST_DATABASE_URL, else DATABASE_URL, else the
// local default; `make test` starts a private server when none answers.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerforge/partnerforge/adapters/postgres"
)

// DefaultURL is used when no variable names a server.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerURL is the server tests create their databases on.
func ServerURL() string {
	for _, v := range []string{"PARTNERFORGE_TEST_DATABASE_URL", "DATABASE_URL"} {
		if u := os.Getenv(v); u != "" {
			return u
		}
	}
	return DefaultURL
}

// Database is one test package's private database.
type Database struct {
	Name string
	URL  string
	Pool *pgxpool.Pool

	adminURL string
}

// NewDB gives one test (or benchmark) a database of its own: created,
// migrated, and dropped with its pool closed when the test ends. For a
// database shared by a whole package, use Run from TestMain.
func NewDB(t testing.TB) *Database {
	t.Helper()
	d, err := Create(context.Background(), ServerURL())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Drop(context.Background()); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return d
}

// Run is for TestMain: it creates and migrates a database, exposes it through
// *db, runs the tests and drops the database.
//
//	var db *pgtest.Database
//	func TestMain(m *testing.M) { pgtest.Run(m, &db) }
func Run(m *testing.M, db **Database) {
	ctx := context.Background()
	d, err := Create(ctx, ServerURL())
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		os.Exit(1)
	}
	*db = d
	code := m.Run()
	if err := d.Drop(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// Create makes a new database with a random name on the server at adminURL,
// migrates it and opens a pool on it.
func Create(ctx context.Context, adminURL string) (*Database, error) {
	name, err := randomName()
	if err != nil {
		return nil, err
	}
	admin, err := connectAdmin(ctx, adminURL)
	if err != nil {
		return nil, err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	dbURL, err := withDatabase(adminURL, name)
	if err != nil {
		return nil, err
	}
	d := &Database{Name: name, URL: dbURL, adminURL: adminURL}
	d.Pool, err = postgres.Connect(ctx, postgres.PoolConfig{URL: dbURL, MaxConns: 40})
	if err != nil {
		_ = d.Drop(ctx)
		return nil, err
	}
	m, err := postgres.NewMigrator(d.Pool)
	if err != nil {
		_ = d.Drop(ctx)
		return nil, err
	}
	defer m.Close()
	if err := m.Up(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		_ = d.Drop(ctx)
		return nil, err
	}
	return d, nil
}

// Drop closes the pool and removes the database.
func (d *Database) Drop(ctx context.Context) error {
	if d.Pool != nil {
		d.Pool.Close()
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, d.adminURL)
	if err != nil {
		return fmt.Errorf("connect to drop %s: %w", d.Name, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{d.Name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", d.Name, err)
	}
	return nil
}

// connectTimeout bounds the first connection, so an unreachable server fails
// the tests at once instead of hanging them.
const connectTimeout = 10 * time.Second

// connectAdmin connects to the test server, with one message that says what
// to do when no server answers.
func connectAdmin(ctx context.Context, adminURL string) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		where := "the test server"
		if u, perr := url.Parse(adminURL); perr == nil {
			where = u.Redacted()
		}
		return nil, fmt.Errorf("PostgreSQL is unreachable at %s: start it, point PARTNERFORGE_TEST_DATABASE_URL at a server, "+
			"or run make test, which finds or starts one: %w", where, err)
	}
	return conn, nil
}

func randomName() (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random database name: %w", err)
	}
	return "pftest_" + hex.EncodeToString(b), nil
}

func withDatabase(rawURL, name string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("parse test server url: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}
