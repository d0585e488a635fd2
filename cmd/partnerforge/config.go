package main

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is everything the service reads from its environment. Each field
// names its variable and default in envDocs, which `partnerforge help`
// prints and the README repeats.
type Config struct {
	DatabaseURL     string
	HTTPAddr        string
	LogLevel        slog.Level
	Environment     string
	DBMinConns      int32
	DBMaxConns      int32
	MigrateOnStart  bool
	ShutdownTimeout time.Duration
	PollInterval    time.Duration
}

type envDoc struct{ name, def, what string }

var envDocs = []envDoc{
	{"DATABASE_URL", "postgres://postgres@127.0.0.1:5432/partnerforge?sslmode=disable", "PostgreSQL connection URL"},
	{"HTTP_ADDR", ":8080", "address the HTTP API listens on"},
	{"LOG_LEVEL", "info", "debug, info, warn or error"},
	{"ENVIRONMENT", "development", "development, test or production"},
	{"DB_MIN_CONNS", "5", "connections the pool keeps open"},
	{"DB_MAX_CONNS", "20", "most connections the pool opens"},
	{"MIGRATE_ON_START", "true", "serve applies pending migrations at start-up"},
	{"SHUTDOWN_TIMEOUT", "15s", "how long a graceful shutdown may take"},
	{"EVENT_POLL_INTERVAL", "20ms", "how often handlers poll for new events"},
}

// LoadConfig reads the environment through getenv; an invalid value fails
// with a message naming the variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		for _, d := range envDocs {
			if d.name == name {
				return d.def
			}
		}
		panic("undocumented variable " + name)
	}
	var (
		c    Config
		errs []string
	)
	fail := func(name, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("%s=%q: %s", name, get(name), fmt.Sprintf(format, args...)))
	}

	c.DatabaseURL = get("DATABASE_URL")
	if !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		fail("DATABASE_URL", "want a postgres:// URL")
	}
	c.HTTPAddr = get("HTTP_ADDR")
	if !strings.Contains(c.HTTPAddr, ":") {
		fail("HTTP_ADDR", "want host:port or :port")
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("LOG_LEVEL"))); err != nil {
		fail("LOG_LEVEL", "want debug, info, warn or error")
	}
	switch c.Environment = get("ENVIRONMENT"); c.Environment {
	case "development", "test", "production":
	default:
		fail("ENVIRONMENT", "want development, test or production")
	}
	c.DBMinConns = int32(intVar(get, fail, "DB_MIN_CONNS", 0, 1000))
	c.DBMaxConns = int32(intVar(get, fail, "DB_MAX_CONNS", 1, 1000))
	if c.DBMinConns > c.DBMaxConns {
		fail("DB_MIN_CONNS", "exceeds DB_MAX_CONNS (%d)", c.DBMaxConns)
	}
	mig, err := strconv.ParseBool(get("MIGRATE_ON_START"))
	if err != nil {
		fail("MIGRATE_ON_START", "want true or false")
	}
	c.MigrateOnStart = mig
	c.ShutdownTimeout = durationVar(get, fail, "SHUTDOWN_TIMEOUT", time.Second, 10*time.Minute)
	c.PollInterval = durationVar(get, fail, "EVENT_POLL_INTERVAL", time.Millisecond, time.Minute)

	if len(errs) > 0 {
		return Config{}, fmt.Errorf("invalid configuration:\n  %s", strings.Join(errs, "\n  "))
	}
	return c, nil
}

func intVar(get func(string) string, fail func(string, string, ...any), name string, lo, hi int) int {
	n, err := strconv.Atoi(get(name))
	if err != nil || n < lo || n > hi {
		fail(name, "want a whole number from %d to %d", lo, hi)
	}
	return n
}

func durationVar(get func(string) string, fail func(string, string, ...any), name string, lo, hi time.Duration) time.Duration {
	d, err := time.ParseDuration(get(name))
	if err != nil || d < lo || d > hi {
		fail(name, "want a duration from %s to %s, like 250ms or 15s", lo, hi)
	}
	return d
}

func newLogger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}
