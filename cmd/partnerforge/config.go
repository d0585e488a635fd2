package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/partnerforge/partnerforge/domain"
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
	// Wakeups wakes handlers, workers and projections with PostgreSQL
	// LISTEN/NOTIFY; they then poll only every FallbackPoll. Off, they
	// poll every PollInterval.
	Wakeups      bool
	FallbackPoll time.Duration
	// CORSExtraOrigins are browser origins allowed besides the defaults.
	CORSExtraOrigins []string
	// APIKeySalt keys the hash API keys are stored under (see keyHasher).
	APIKeySalt string
	Providers  ProviderConfig
	Enrichment EnrichmentConfig
	// RedisURL, when set, keeps the API keys' per-minute budgets and the
	// provider call rates in Redis, shared by every instance; unset, each
	// instance keeps its own API key budgets, and PostgreSQL the call rates.
	RedisURL string
	// ReadCache answers the target read routes from a cache per read-model
	// version. Off only to measure the queries themselves (make load's
	// "list at scale" stage); production keeps it on.
	ReadCache bool
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
	Workers int
	// Lease is how long a worker owns a fetch task before another instance
	// may take it over; running fetches renew it.
	Lease           time.Duration
	Freshness       time.Duration
	JobTTL          time.Duration
	MaxPerRequester int
}

// idlePoll is how often idle background work looks for something to do:
// with wake-ups, only as a fallback.
func (c Config) idlePoll() time.Duration {
	if c.Wakeups {
		return c.FallbackPoll
	}
	return c.PollInterval
}

type envDoc struct{ name, def, what string }

var envDocs = []envDoc{
	{"DATABASE_URL", "postgres://postgres@127.0.0.1:5432/partnerforge?sslmode=disable", "PostgreSQL connection URL"},
	{"HTTP_ADDR", "127.0.0.1:8080", "address the HTTP API listens on (:8080 for every interface, as in a container)"},
	{"LOG_LEVEL", "info", "debug, info, warn or error"},
	{"ENVIRONMENT", "development", "development, test or production (production: https provider URLs only, no localhost CORS origins)"},
	{"DB_MIN_CONNS", "5", "connections the pool keeps open"},
	{"DB_MAX_CONNS", "20", "most connections the pool opens"},
	{"MIGRATE_ON_START", "true", "serve applies pending migrations at start-up"},
	{"SHUTDOWN_TIMEOUT", "15s", "how long a graceful shutdown may take"},
	{"CORS_EXTRA_ORIGINS", "", "comma-separated browser origins allowed besides the local dashboard's (the only ones in production)"},
	{"API_KEY_SALT", "", "secret (16+ bytes) API keys are hashed with; required in production, and changing it invalidates every key"},
	{"REDIS_URL", "", "redis:// URL of the rate limits shared by every instance, API keys' budgets and provider call rates (unset: API key budgets in process, per instance; provider call rates in PostgreSQL)"},
	{"READ_CACHE", "true", "answer the target read routes from a cache per read-model version (false only to benchmark the queries)"},
	{"EVENT_NOTIFY", "true", "wake handlers, workers and projections with PostgreSQL LISTEN/NOTIFY (false: they poll every EVENT_POLL_INTERVAL)"},
	{"EVENT_POLL_INTERVAL", "20ms", "with EVENT_NOTIFY=false, how often handlers and workers poll for new events and tasks; with it, the shortest gap between two polls of one handler"},
	{"EVENT_FALLBACK_POLL", "2s", "with EVENT_NOTIFY, how often idle handlers, workers and projections poll anyway, in case a notification was lost"},
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
	{"ENRICH_LEASE", "30s", "how long a worker owns a fetch task; a running fetch renews it every third of it, and a task whose worker stopped renewing is taken over by another after this"},
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
		errs = append(errs, fmt.Sprintf("%s=%q: %s", name, shownValue(name, get(name)), fmt.Sprintf(format, args...)))
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
	cache, err := strconv.ParseBool(get("READ_CACHE"))
	if err != nil {
		fail("READ_CACHE", "want true or false")
	}
	c.ReadCache = cache
	c.ShutdownTimeout = durationVar(get, fail, "SHUTDOWN_TIMEOUT", time.Second, 10*time.Minute)
	c.PollInterval = durationVar(get, fail, "EVENT_POLL_INTERVAL", time.Millisecond, time.Minute)
	wake, err := strconv.ParseBool(get("EVENT_NOTIFY"))
	if err != nil {
		fail("EVENT_NOTIFY", "want true or false")
	}
	c.Wakeups = wake
	c.FallbackPoll = durationVar(get, fail, "EVENT_FALLBACK_POLL", 100*time.Millisecond, 10*time.Minute)

	for _, o := range strings.Split(getenvTrim(getenv, "CORS_EXTRA_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
				fail("CORS_EXTRA_ORIGINS", "origin %q: want http(s)://host[:port]", o)
			}
			c.CORSExtraOrigins = append(c.CORSExtraOrigins, strings.TrimRight(o, "/"))
		}
	}
	// The salt is a secret: errors name it but never show it.
	switch c.APIKeySalt = getenvTrim(getenv, "API_KEY_SALT"); {
	case c.APIKeySalt == "" && c.Environment == "production":
		errs = append(errs, "API_KEY_SALT: required when ENVIRONMENT=production")
	case c.APIKeySalt != "" && len(c.APIKeySalt) < domain.MinSaltBytes:
		errs = append(errs, fmt.Sprintf("API_KEY_SALT: want at least %d bytes", domain.MinSaltBytes))
	}
	// The value is never echoed: a Redis URL may carry a password.
	if c.RedisURL = getenvTrim(getenv, "REDIS_URL"); c.RedisURL != "" &&
		!strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		errs = append(errs, "REDIS_URL: want a redis:// or rediss:// URL")
	}
	pc := &c.Providers
	// In production a provider is reached over TLS only: its API key
	// travels in every request.
	httpsOnly := c.Environment == "production"
	urlVar := func(name string) string { return providerURLVar(get, fail, name, httpsOnly) }
	pc.BuiltWithBaseURL = urlVar("BUILTWITH_BASE_URL")
	pc.BuiltWithAPIKey = getenvTrim(getenv, "BUILTWITH_API_KEY")
	pc.SimilarWebBaseURL = urlVar("SIMILARWEB_BASE_URL")
	pc.SimilarWebAPIKey = getenvTrim(getenv, "SIMILARWEB_API_KEY")
	pc.SimilarWebCountry = strings.ToLower(get("SIMILARWEB_COUNTRY"))
	pc.YahooBaseURL = urlVar("YAHOO_BASE_URL")
	pc.YahooCookieURL = get("YAHOO_COOKIE_URL")
	if httpsOnly && strings.HasPrefix(strings.ToLower(pc.YahooCookieURL), "http://") {
		fail("YAHOO_COOKIE_URL", "want an https:// URL (or a path on YAHOO_BASE_URL) when ENVIRONMENT=production")
	}
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
	ec.Lease = durationVar(get, fail, "ENRICH_LEASE", time.Second, time.Hour)
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

// providerURLVar reads a provider's base URL: http(s), or https only when
// httpsOnly (production).
func providerURLVar(get func(string) string, fail func(string, string, ...any), name string, httpsOnly bool) string {
	v := strings.TrimRight(get(name), "/")
	switch {
	case httpsOnly && !strings.HasPrefix(v, "https://"):
		fail(name, "want an https:// URL when ENVIRONMENT=production")
	case !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://"):
		fail(name, "want an http:// or https:// URL")
	}
	return v
}

// shownValue is how a refused value appears in a configuration error. A
// URL may carry a secret: DATABASE_URL a password, in its user info or as a
// password query parameter (libpq accepts both), a provider URL a key in
// its query. Error messages end up in terminals, CI logs and crash reports,
// so a URL is shown redacted, or not at all when it cannot be parsed.
func shownValue(name, v string) string {
	if !strings.HasSuffix(name, "_URL") {
		return v
	}
	return redactURL(v)
}

// redactURL masks a URL's password, in user info or as a password query
// parameter; any other query is dropped, since provider keys travel there.
func redactURL(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" {
		if strings.ContainsAny(v, "@=") {
			return "(not shown: it may hold a password)"
		}
		return v
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	} else if u.RawQuery != "" {
		u.RawQuery = "xxxxx"
	}
	return u.Redacted()
}

// getenvTrim reads a variable that has no default.
func getenvTrim(getenv func(string) string, name string) string {
	return strings.TrimSpace(getenv(name))
}

// developmentSalt hashes API keys outside production when API_KEY_SALT is
// not set. It is public, so keys hashed with it protect nothing beyond a
// developer's machine; `make run` sets a generated salt instead.
const developmentSalt = "partnerforge development salt; not for production"

// keyHasher is the hasher of API keys under the configured salt.
func (c Config) keyHasher() (domain.KeyHasher, error) {
	salt := c.APIKeySalt
	if salt == "" && c.Environment != "production" {
		salt = developmentSalt
	}
	h, err := domain.NewKeyHasher(salt)
	if err != nil {
		return domain.KeyHasher{}, fmt.Errorf("API_KEY_SALT: %w", err)
	}
	return h, nil
}

// newLogger writes to w: text a person reads in development, JSON lines a
// log pipeline parses elsewhere. Durations print as durations in both.
func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel, ReplaceAttr: readableDuration}
	if cfg.Environment == "development" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// readableDuration writes a duration as "27.3ms" rather than the
// nanoseconds JSON would otherwise carry, to three significant digits.
func readableDuration(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindDuration {
		return a
	}
	return slog.String(a.Key, roundDuration(a.Value.Duration()).String())
}

func roundDuration(d time.Duration) time.Duration {
	abs, unit := max(d, -d), time.Duration(1)
	for abs >= 1000*unit {
		unit *= 10
	}
	return d.Round(unit)
}
