// Package redistest gives tests a Redis server: the one at
// PARTNERFORGE_TEST_REDIS_URL, or else the one on 127.0.0.1:6379.
package redistest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// EnvURL names the variable that points tests at a Redis server. When it is
// set, a server that does not answer fails the test; when it is not, tests
// that need Redis skip if none answers on the default address.
const EnvURL = "PARTNERFORGE_TEST_REDIS_URL"

// DefaultURL is where tests look for Redis when EnvURL is unset.
const DefaultURL = "redis://127.0.0.1:6379/0"

// Client returns a client of the test Redis server, closed when t ends,
// with its URL.
func Client(t testing.TB) (*redis.Client, string) {
	t.Helper()
	url, required := os.Getenv(EnvURL), true
	if url == "" {
		url, required = DefaultURL, false
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("%s: %v", EnvURL, err)
	}
	client := redis.NewClient(opts)
	t.Cleanup(func() { _ = client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		if required {
			t.Fatalf("redis at %s=%s does not answer: %v", EnvURL, url, err)
		}
		t.Skipf("no redis answers at %s (%v): start one (scripts/redis.sh) or set %s", url, err, EnvURL)
	}
	return client, url
}

// Prefix is a key prefix no other test uses, so tests can share one server
// and run in parallel. The keys it names expire with their budgets.
func Prefix() string { return "pftest:" + uuid.NewString() + ":" }
