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
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return nil, fmt.Errorf("connect to test server (set PARTNERFORGE_TEST_DATABASE_URL): %w", err)
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
