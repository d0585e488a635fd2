package main

import (
	"bytes"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

// env turns a map into the getenv LoadConfig takes; unset names read as "".
func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestLoadConfigDefaults(t *testing.T) {
	t.Parallel()
	got, err := LoadConfig(env(nil))
	if err != nil {
		t.Fatalf("LoadConfig with an empty environment: %v", err)
	}
	want := Config{
		DatabaseURL:     "postgres://postgres@127.0.0.1:5432/partnerforge?sslmode=disable",
		HTTPAddr:        ":8080",
		LogLevel:        slog.LevelInfo,
		Environment:     "development",
		DBMinConns:      5,
		DBMaxConns:      20,
		MigrateOnStart:  true,
		ShutdownTimeout: 15 * time.Second,
		PollInterval:    20 * time.Millisecond,
		Providers: ProviderConfig{
			BuiltWithBaseURL: "https://api.builtwith.com", SimilarWebBaseURL: "https://api.similarweb.com",
			SimilarWebCountry: "world", YahooBaseURL: "https://query2.finance.yahoo.com", YahooCookieURL: "https://fc.yahoo.com",
			Timeout: 10 * time.Second, MaxAttempts: 3, BreakerFailures: 5, BreakerRecovery: 30 * time.Second,
			BuiltWithRate: 2, SimilarWebRate: 5, YahooRate: 2,
			BuiltWithQuota: 2000, SimilarWebQuota: 5000, YahooQuota: 20000,
		},
		Enrichment: EnrichmentConfig{Workers: 8, Freshness: 24 * time.Hour, JobTTL: 24 * time.Hour, MaxPerRequester: 5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
}

// TestLoadConfigDefaultsMatchDocs keeps envDocs, which `partnerforge help`
// and the README print, honest: a blank value of every variable must give the
// documented default.
func TestLoadConfigDefaultsMatchDocs(t *testing.T) {
	t.Parallel()
	explicit := map[string]string{}
	for _, d := range envDocs {
		explicit[d.name] = d.def
	}
	fromDocs, err := LoadConfig(env(explicit))
	if err != nil {
		t.Fatalf("LoadConfig with the documented defaults: %v", err)
	}
	blank := map[string]string{}
	for _, d := range envDocs {
		blank[d.name] = "   "
	}
	fromBlank, err := LoadConfig(env(blank))
	if err != nil {
		t.Fatalf("LoadConfig with blank values: %v", err)
	}
	if !reflect.DeepEqual(fromDocs, fromBlank) {
		t.Errorf("documented defaults give %+v, blank values give %+v", fromDocs, fromBlank)
	}
}

func TestLoadConfigValidValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		vars  map[string]string
		check func(Config) bool
	}{
		{"postgresql scheme", map[string]string{"DATABASE_URL": "postgresql://u@db:5432/pf"},
			func(c Config) bool { return c.DatabaseURL == "postgresql://u@db:5432/pf" }},
		{"host and port", map[string]string{"HTTP_ADDR": "127.0.0.1:9090"},
			func(c Config) bool { return c.HTTPAddr == "127.0.0.1:9090" }},
		{"log level debug", map[string]string{"LOG_LEVEL": "debug"},
			func(c Config) bool { return c.LogLevel == slog.LevelDebug }},
		{"log level is case-insensitive", map[string]string{"LOG_LEVEL": "WARN"},
			func(c Config) bool { return c.LogLevel == slog.LevelWarn }},
		{"surrounding spaces are ignored", map[string]string{"LOG_LEVEL": "  error "},
			func(c Config) bool { return c.LogLevel == slog.LevelError }},
		{"production", map[string]string{"ENVIRONMENT": "production"},
			func(c Config) bool { return c.Environment == "production" }},
		{"zero idle connections", map[string]string{"DB_MIN_CONNS": "0", "DB_MAX_CONNS": "1"},
			func(c Config) bool { return c.DBMinConns == 0 && c.DBMaxConns == 1 }},
		{"min equal to max", map[string]string{"DB_MIN_CONNS": "8", "DB_MAX_CONNS": "8"},
			func(c Config) bool { return c.DBMinConns == 8 && c.DBMaxConns == 8 }},
		{"migrate on start off", map[string]string{"MIGRATE_ON_START": "false"},
			func(c Config) bool { return !c.MigrateOnStart }},
		{"shutdown bounds", map[string]string{"SHUTDOWN_TIMEOUT": "10m"},
			func(c Config) bool { return c.ShutdownTimeout == 10*time.Minute }},
		{"poll interval bounds", map[string]string{"EVENT_POLL_INTERVAL": "1ms"},
			func(c Config) bool { return c.PollInterval == time.Millisecond }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := LoadConfig(env(tt.vars))
			if err != nil {
				t.Fatalf("LoadConfig(%v): %v", tt.vars, err)
			}
			if !tt.check(c) {
				t.Errorf("LoadConfig(%v) = %+v", tt.vars, c)
			}
		})
	}
}

func TestLoadConfigRejectsInvalidValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		variable, value string
	}{
		{"DATABASE_URL", "mysql://root@localhost/pf"},
		{"DATABASE_URL", "127.0.0.1:5432"},
		{"HTTP_ADDR", "8080"},
		{"LOG_LEVEL", "loud"},
		{"ENVIRONMENT", "staging"},
		{"ENVIRONMENT", "Production"},
		{"DB_MIN_CONNS", "-1"},
		{"DB_MIN_CONNS", "five"},
		{"DB_MIN_CONNS", "1001"},
		{"DB_MAX_CONNS", "0"},
		{"DB_MAX_CONNS", "2.5"},
		{"DB_MAX_CONNS", "1001"},
		{"MIGRATE_ON_START", "maybe"},
		{"SHUTDOWN_TIMEOUT", "15"},
		{"SHUTDOWN_TIMEOUT", "500ms"},
		{"SHUTDOWN_TIMEOUT", "11m"},
		{"EVENT_POLL_INTERVAL", "fast"},
		{"EVENT_POLL_INTERVAL", "0s"},
		{"EVENT_POLL_INTERVAL", "2m"},
	}
	for _, tt := range tests {
		t.Run(tt.variable+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			c, err := LoadConfig(env(map[string]string{tt.variable: tt.value}))
			if err == nil {
				t.Fatalf("LoadConfig accepted %s=%q: %+v", tt.variable, tt.value, c)
			}
			if !reflect.DeepEqual(c, Config{}) {
				t.Errorf("LoadConfig returned a partial config with its error: %+v", c)
			}
			// The message quotes the variable and the value it refused.
			if want := tt.variable + "=\"" + tt.value + "\""; !strings.Contains(err.Error(), want) {
				t.Errorf("error does not name %s:\n%v", want, err)
			}
		})
	}
}

func TestLoadConfigReportsEveryError(t *testing.T) {
	t.Parallel()
	_, err := LoadConfig(env(map[string]string{
		"HTTP_ADDR":        "8080",
		"LOG_LEVEL":        "loud",
		"ENVIRONMENT":      "staging",
		"MIGRATE_ON_START": "maybe",
	}))
	if err == nil {
		t.Fatal("LoadConfig accepted four invalid variables")
	}
	msg := err.Error()
	for _, name := range []string{"HTTP_ADDR", "LOG_LEVEL", "ENVIRONMENT", "MIGRATE_ON_START"} {
		if !strings.Contains(msg, name) {
			t.Errorf("error does not mention %s:\n%s", name, msg)
		}
	}
	// One line per problem, after the heading.
	if lines := strings.Count(msg, "\n"); lines != 4 {
		t.Errorf("want 4 problem lines, got %d:\n%s", lines, msg)
	}
}

func TestLoadConfigMinConnsAboveMax(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		vars map[string]string
	}{
		{"both set", map[string]string{"DB_MIN_CONNS": "10", "DB_MAX_CONNS": "4"}},
		{"min above default max", map[string]string{"DB_MIN_CONNS": "21"}},
		{"max below default min", map[string]string{"DB_MAX_CONNS": "4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadConfig(env(tt.vars))
			if err == nil {
				t.Fatalf("LoadConfig(%v) accepted DB_MIN_CONNS > DB_MAX_CONNS", tt.vars)
			}
			if msg := err.Error(); !strings.Contains(msg, "DB_MIN_CONNS") || !strings.Contains(msg, "exceeds DB_MAX_CONNS") {
				t.Errorf("error does not explain the conflict:\n%s", msg)
			}
		})
	}
}

func TestUsageListsEveryVariable(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	printUsage(&out)
	for _, d := range envDocs {
		if !strings.Contains(out.String(), d.name) || !strings.Contains(out.String(), "(default "+d.def+")") {
			t.Errorf("usage does not document %s with its default %q:\n%s", d.name, d.def, out.String())
		}
	}
}

func TestLoadConfigRedisURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value string
		ok    bool
	}{
		{"", true},
		{"redis://127.0.0.1:6379/0", true},
		{"rediss://:s3cr3t@cache.internal:6380", true},
		{"http://:s3cr3t@cache.internal:6379", false},
		{"127.0.0.1:6379", false},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			t.Parallel()
			c, err := LoadConfig(env(map[string]string{"REDIS_URL": tt.value}))
			if tt.ok {
				if err != nil || c.RedisURL != tt.value {
					t.Fatalf("REDIS_URL %q: %+v, %v", tt.value, c.RedisURL, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "REDIS_URL") {
				t.Fatalf("REDIS_URL %q accepted: %v", tt.value, err)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}
