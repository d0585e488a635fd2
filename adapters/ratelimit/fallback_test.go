package ratelimit_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/partnerforge/partnerforge/adapters/ratelimit"
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// closedRedisURL is a redis:// URL on a loopback port nothing listens on.
func closedRedisURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return "redis://" + addr + "/0"
}

// With Redis down, budgets are still kept (in process), every request is
// counted as a fallback, and the outage is logged once, not per request.
func TestFallbackWhenRedisIsDown(t *testing.T) {
	t.Parallel()
	client, err := ratelimit.NewRedisClient(closedRedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	var logs syncBuffer
	reg := prometheus.NewRegistry()
	l := ratelimit.NewFallback(ratelimit.NewRedis(client, "x:"), ratelimit.NewMemory(), slog.New(slog.NewJSONHandler(&logs, nil)), reg)

	const budget = 5
	allowed := 0
	for range budget + 3 {
		res, err := l.Allow(context.Background(), "k", budget)
		if err != nil {
			t.Fatalf("allow with redis down: %v; want the in-process answer", err)
		}
		if res.Allowed {
			allowed++
		}
		if res.Limit != budget {
			t.Fatalf("limit %d, want %d", res.Limit, budget)
		}
	}
	if allowed != budget {
		t.Errorf("%d requests allowed, want the budget %d kept in process", allowed, budget)
	}
	if got := l.Fallbacks(); got != budget+3 {
		t.Errorf("fallback counter %v, want %d", got, budget+3)
	}
	if n := strings.Count(logs.String(), `"level":"WARN"`); n != 1 {
		t.Errorf("%d warnings logged, want 1:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "password") {
		t.Errorf("log names a password: %s", logs.String())
	}
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 1 || mfs[0].GetName() != "partnerforge_ratelimit_fallback_total" {
		t.Errorf("registered metrics %v, %v; want partnerforge_ratelimit_fallback_total", mfs, err)
	}
}

func TestNewRedisClientKeepsThePasswordOutOfErrors(t *testing.T) {
	t.Parallel()
	_, err := ratelimit.NewRedisClient("http://user:s3cr3t@host:6379")
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("error %v; want a refusal without the password", err)
	}
}
