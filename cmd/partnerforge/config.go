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
	// CORSExtraOrigins are browser origins allowed besides the defaults.
	CORSExtraOrigins []string
	Providers        ProviderConfig
	Enrichment       EnrichmentConfig
	// RedisURL, when set, keeps the API keys' per-minute budgets in Redis,
	// shared by every instance; unset, each instance keeps its own.
	RedisURL string
}

// ProviderConfig is where the providers are and how hard to push them.
type ProviderConfig struct {
	BuiltWithBaseURL, BuiltWithAPIKey   string
	SimilarWebBaseURL, SimilarWebAPIKey string
	SimilarWebCountry                   string
	YahooBaseURL, YahooCookieURL        string
	YahooTickerMap                      string
	Timeout                             time.Duration
	MaxAttempts                         int
	BreakerFailures                     int
	BreakerRecovery                     time.Duration
	// Rates are calls per second; quotas are calls per UTC day (0: no
	// budget).
	BuiltWithRate, SimilarWebRate, YahooRate    float64
	BuiltWithQuota, SimilarWebQuota, YahooQuota int
}

// EnrichmentConfig tunes jobs.
type EnrichmentConfig struct {
	Workers         int
	Freshness       time.Duration
	JobTTL          time.Duration
	MaxPerRequester int
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
	{"CORS_EXTRA_ORIGINS", "", "comma-separated browser origins allowed besides the local dashboard's"},
	{"REDIS_URL", "", "redis:// URL of the rate limiter shared by every instance (unset: budgets in process, for one instance)"},
	{"EVENT_POLL_INTERVAL", "20ms", "how often handlers and workers poll for new events and tasks"},
	{"BUILTWITH_BASE_URL", "https://api.builtwith.com", "BuiltWith API"},
	{"BUILTWITH_API_KEY", "", "BuiltWith key (required by serve)"},
	{"SIMILARWEB_BASE_URL", "https://api.similarweb.com", "SimilarWeb API"},
	{"SIMILARWEB_API_KEY", "", "SimilarWeb key (required by serve)"},
	{"SIMILARWEB_COUNTRY", "world", "country of SimilarWeb traffic figures (ISO code or world)"},
	{"YAHOO_BASE_URL", "https://query2.finance.yahoo.com", "Yahoo Finance API; search and crumb endpoints are relative to it"},
	{"YAHOO_COOKIE_URL", "https://fc.yahoo.com", "where Yahoo's session cookie is obtained (absolute, or a path on YAHOO_BASE_URL)"},
	{"YAHOO_TICKER_MAP", "", "optional JSON or CSV file mapping domains to tickers"},
	{"PROVIDER_TIMEOUT", "10s", "timeout of one provider attempt"},
	{"PROVIDER_MAX_ATTEMPTS", "3", "attempts per provider fetch (retries with back-off and jitter)"},
	{"PROVIDER_BREAKER_FAILURES", "5", "consecutive failures that open a provider's circuit"},
	{"PROVIDER_BREAKER_RECOVERY", "30s", "how long an open circuit waits before a trial call"},
	{"BUILTWITH_RATE", "2", "BuiltWith calls per second"},
	{"SIMILARWEB_RATE", "5", "SimilarWeb calls per second"},
	{"YAHOO_RATE", "2", "Yahoo Finance calls per second"},
	{"BUILTWITH_DAILY_QUOTA", "2000", "BuiltWith calls per UTC day (0: unlimited)"},
	{"SIMILARWEB_DAILY_QUOTA", "5000", "SimilarWeb calls per UTC day (0: unlimited)"},
	{"YAHOO_DAILY_QUOTA", "20000", "Yahoo Finance calls per UTC day (0: unlimited)"},
	{"ENRICH_WORKERS", "8", "concurrent provider fetches per instance"},
	{"ENRICH_FRESHNESS", "24h", "a target enriched this recently is not fetched again unless forced"},
	{"ENRICH_JOB_TTL", "24h", "an unfinished job fails as expired after this long"},
	{"ENRICH_MAX_JOBS_PER_REQUESTER", "5", "jobs one requester may have in flight"},
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
	if c.DBMaxConns > 0 && c.DBMinConns > c.DBMaxConns {
		fail("DB_MIN_CONNS", "exceeds DB_MAX_CONNS (%d)", c.DBMaxConns)
	}
	mig, err := strconv.ParseBool(get("MIGRATE_ON_START"))
	if err != nil {
		fail("MIGRATE_ON_START", "want true or false")
	}
	c.MigrateOnStart = mig
	c.ShutdownTimeout = durationVar(get, fail, "SHUTDOWN_TIMEOUT", time.Second, 10*time.Minute)
	c.PollInterval = durationVar(get, fail, "EVENT_POLL_INTERVAL", time.Millisecond, time.Minute)

	for _, o := range strings.Split(getenvTrim(getenv, "CORS_EXTRA_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
				fail("CORS_EXTRA_ORIGINS", "origin %q: want http(s)://host[:port]", o)
			}
			c.CORSExtraOrigins = append(c.CORSExtraOrigins, strings.TrimRight(o, "/"))
		}
	}
	// The value is never echoed: a Redis URL may carry a password.
	if c.RedisURL = getenvTrim(getenv, "REDIS_URL"); c.RedisURL != "" &&
		!strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		errs = append(errs, "REDIS_URL: want a redis:// or rediss:// URL")
	}
	pc := &c.Providers
	pc.BuiltWithBaseURL = urlVar(get, fail, "BUILTWITH_BASE_URL")
	pc.BuiltWithAPIKey = getenvTrim(getenv, "BUILTWITH_API_KEY")
	pc.SimilarWebBaseURL = urlVar(get, fail, "SIMILARWEB_BASE_URL")
	pc.SimilarWebAPIKey = getenvTrim(getenv, "SIMILARWEB_API_KEY")
	pc.SimilarWebCountry = strings.ToLower(get("SIMILARWEB_COUNTRY"))
	pc.YahooBaseURL = urlVar(get, fail, "YAHOO_BASE_URL")
	pc.YahooCookieURL = get("YAHOO_COOKIE_URL")
	pc.YahooTickerMap = getenvTrim(getenv, "YAHOO_TICKER_MAP")
	pc.Timeout = durationVar(get, fail, "PROVIDER_TIMEOUT", 100*time.Millisecond, 5*time.Minute)
	pc.MaxAttempts = intVar(get, fail, "PROVIDER_MAX_ATTEMPTS", 1, 20)
	pc.BreakerFailures = intVar(get, fail, "PROVIDER_BREAKER_FAILURES", 1, 1000)
	pc.BreakerRecovery = durationVar(get, fail, "PROVIDER_BREAKER_RECOVERY", time.Second, time.Hour)
	pc.BuiltWithRate = floatVar(get, fail, "BUILTWITH_RATE")
	pc.SimilarWebRate = floatVar(get, fail, "SIMILARWEB_RATE")
	pc.YahooRate = floatVar(get, fail, "YAHOO_RATE")
	pc.BuiltWithQuota = intVar(get, fail, "BUILTWITH_DAILY_QUOTA", 0, 100_000_000)
	pc.SimilarWebQuota = intVar(get, fail, "SIMILARWEB_DAILY_QUOTA", 0, 100_000_000)
	pc.YahooQuota = intVar(get, fail, "YAHOO_DAILY_QUOTA", 0, 100_000_000)
	ec := &c.Enrichment
	ec.Workers = intVar(get, fail, "ENRICH_WORKERS", 1, 256)
	ec.Freshness = durationVar(get, fail, "ENRICH_FRESHNESS", 0, 365*24*time.Hour)
	ec.JobTTL = durationVar(get, fail, "ENRICH_JOB_TTL", time.Minute, 30*24*time.Hour)
	ec.MaxPerRequester = intVar(get, fail, "ENRICH_MAX_JOBS_PER_REQUESTER", 1, 1000)

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

func floatVar(get func(string) string, fail func(string, string, ...any), name string) float64 {
	f, err := strconv.ParseFloat(get(name), 64)
	if err != nil || f <= 0 || f > 10000 {
		fail(name, "want calls per second above 0, like 2 or 0.5")
	}
	return f
}

func urlVar(get func(string) string, fail func(string, string, ...any), name string) string {
	v := strings.TrimRight(get(name), "/")
	if !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
		fail(name, "want an http:// or https:// URL")
	}
	return v
}

// getenvTrim reads a variable that has no default.
func getenvTrim(getenv func(string) string, name string) string {
	return strings.TrimSpace(getenv(name))
}

func newLogger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}
