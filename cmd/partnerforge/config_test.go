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
		HTTPAddr:        "127.0.0.1:8080",
		LogLevel:        slog.LevelInfo,
		Environment:     "development",
		DBMinConns:      5,
		DBMaxConns:      20,
		MigrateOnStart:  true,
		ReadCache:       true,
		ShutdownTimeout: 15 * time.Second,
		PollInterval:    20 * time.Millisecond,
		Wakeups:         true,
		FallbackPoll:    2 * time.Second,
		Providers: ProviderConfig{
			BuiltWithBaseURL: "https://api.builtwith.com", SimilarWebBaseURL: "https://api.similarweb.com",
			SimilarWebCountry: "world", YahooBaseURL: "https://query2.finance.yahoo.com", YahooCookieURL: "https://fc.yahoo.com",
			Timeout: 10 * time.Second, MaxAttempts: 3, BreakerFailures: 5, BreakerRecovery: 30 * time.Second,
			BuiltWithRate: 2, SimilarWebRate: 5, YahooRate: 2,
			BuiltWithQuota: 2000, SimilarWebQuota: 5000, YahooQuota: 20000,
		},
		Enrichment: EnrichmentConfig{Workers: 8, Lease: 30 * time.Second, Freshness: 24 * time.Hour, JobTTL: 24 * time.Hour, MaxPerRequester: 5},
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
		{"production", map[string]string{"ENVIRONMENT": "production", "API_KEY_SALT": "a production salt of enough bytes"},
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
		{"short lease", map[string]string{"ENRICH_LEASE": "1s"},
			func(c Config) bool { return c.Enrichment.Lease == time.Second }},
		{"polling instead of wake-ups", map[string]string{"EVENT_NOTIFY": "false", "EVENT_FALLBACK_POLL": "5s"},
			func(c Config) bool { return !c.Wakeups && c.FallbackPoll == 5*time.Second }},
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
		{"READ_CACHE", "off"},
		{"EVENT_POLL_INTERVAL", "fast"},
		{"EVENT_POLL_INTERVAL", "0s"},
		{"EVENT_POLL_INTERVAL", "2m"},
		{"ENRICH_LEASE", "500ms"},
		{"ENRICH_LEASE", "2h"},
		{"EVENT_NOTIFY", "sometimes"},
		{"EVENT_FALLBACK_POLL", "10ms"},
		{"EVENT_FALLBACK_POLL", "1h"},
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
	help := out.String()
	if strings.Contains(help, "(default )") {
		t.Errorf("usage prints an empty default:\n%s", help)
	}
	// Every variable's line starts its description in the same column.
	column := -1
	for _, d := range envDocs {
		want := d.what
		if d.def != "" {
			want += " (default " + d.def + ")"
		}
		var line string
		for l := range strings.Lines(help) {
			if strings.HasPrefix(strings.TrimSpace(l), d.name+" ") {
				line = strings.TrimRight(l, "\n")
			}
		}
		if !strings.HasSuffix(line, want) {
			t.Errorf("usage documents %s as %q, want it to end with %q", d.name, line, want)
			continue
		}
		col := len(line) - len(want)
		if column == -1 {
			column = col
		}
		if col != column {
			t.Errorf("%s's description starts in column %d, the first variable's in %d:\n%s", d.name, col, column, help)
		}
	}
}

func TestLoadConfigAPIKeySalt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		vars    map[string]string
		wantErr string
	}{
		{"production needs a salt", map[string]string{"ENVIRONMENT": "production"}, "API_KEY_SALT: required when ENVIRONMENT=production"},
		{"a short salt is refused", map[string]string{"API_KEY_SALT": "short-secret"}, "API_KEY_SALT: want at least 16 bytes"},
		{"production with a salt", map[string]string{"ENVIRONMENT": "production", "API_KEY_SALT": "a production salt of enough bytes"}, ""},
		{"development without a salt", map[string]string{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := LoadConfig(env(tt.vars))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.keyHasher(); err != nil {
					t.Errorf("hasher: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			if salt := tt.vars["API_KEY_SALT"]; salt != "" && strings.Contains(err.Error(), salt) {
				t.Errorf("the error shows the salt: %v", err)
			}
		})
	}
}

func TestLoadConfigNeverPrintsASecretOfAURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, variable, value string
		// shown is what the error may show of the value instead.
		shown string
	}{
		{"user info of a non-postgres URL", "DATABASE_URL", "mysql://app:s3cret-pw@db:3306/pf", "mysql://app:xxxxx@db:3306/pf"},
		{"password query parameter", "DATABASE_URL", "mysql://db/pf?user=app&password=s3cret-pw", "password=xxxxx"},
		{"key=value connection string", "DATABASE_URL", "host=db user=app password=s3cret-pw", "not shown"},
		{"unparseable URL with user info", "DATABASE_URL", "postgres//app:s3cret-pw@db:5432/pf", "not shown"},
		{"provider key in a base URL's query", "BUILTWITH_BASE_URL", "ftp://api.builtwith.com/?KEY=s3cret-pw", "ftp://api.builtwith.com/?xxxxx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadConfig(env(map[string]string{tt.variable: tt.value}))
			if err == nil {
				t.Fatalf("LoadConfig accepted %s=%q", tt.variable, tt.value)
			}
			if strings.Contains(err.Error(), "s3cret-pw") {
				t.Errorf("error prints the secret:\n%v", err)
			}
			if !strings.Contains(err.Error(), tt.variable) || !strings.Contains(err.Error(), tt.shown) {
				t.Errorf("error does not name %s with %q:\n%v", tt.variable, tt.shown, err)
			}
		})
	}
}

func TestLoadConfigProductionRequiresHTTPSProviders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		vars     map[string]string
		refused  string // variable named in the error; "" when accepted
		accepted bool
	}{
		{"defaults are https", map[string]string{"ENVIRONMENT": "production", "API_KEY_SALT": testSalt}, "", true},
		{"http BuiltWith", map[string]string{"ENVIRONMENT": "production", "API_KEY_SALT": testSalt, "BUILTWITH_BASE_URL": "http://api.builtwith.com"}, "BUILTWITH_BASE_URL", false},
		{"http SimilarWeb", map[string]string{"ENVIRONMENT": "production", "API_KEY_SALT": testSalt, "SIMILARWEB_BASE_URL": "http://127.0.0.1:9000"}, "SIMILARWEB_BASE_URL", false},
		{"http Yahoo", map[string]string{"ENVIRONMENT": "production", "API_KEY_SALT": testSalt, "YAHOO_BASE_URL": "http://query2.finance.yahoo.com"}, "YAHOO_BASE_URL", false},
		{"http Yahoo cookie", map[string]string{"ENVIRONMENT": "production", "API_KEY_SALT": testSalt, "YAHOO_COOKIE_URL": "http://fc.yahoo.com"}, "YAHOO_COOKIE_URL", false},
		{"Yahoo cookie path", map[string]string{"ENVIRONMENT": "production", "API_KEY_SALT": testSalt, "YAHOO_COOKIE_URL": "/cookie"}, "", true},
		{"http allowed in development", map[string]string{"ENVIRONMENT": "development", "BUILTWITH_BASE_URL": "http://127.0.0.1:9000"}, "", true},
		{"http allowed in test", map[string]string{"ENVIRONMENT": "test", "YAHOO_COOKIE_URL": "http://127.0.0.1:9000/c"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadConfig(env(tt.vars))
			if tt.accepted {
				if err != nil {
					t.Fatalf("LoadConfig refused %v: %v", tt.vars, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("LoadConfig accepted %v", tt.vars)
			}
			if !strings.Contains(err.Error(), tt.refused) || !strings.Contains(err.Error(), "https") {
				t.Errorf("error does not name %s and https:\n%v", tt.refused, err)
			}
		})
	}
}

// testSalt is an API key salt long enough for production.
const testSalt = "a production salt of enough bytes"

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
