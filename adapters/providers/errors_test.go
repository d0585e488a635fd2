package providers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/avast/retry-go/v4"

	"github.com/partnerforge/partnerforge/domain"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"1", time.Second},
		{" 120 ", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := ParseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestStatusError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status    int
		header    http.Header
		code      domain.FailureCode
		retryable bool
		after     time.Duration
	}{
		{429, http.Header{"Retry-After": {"3"}}, domain.FailureRateLimited, true, 3 * time.Second},
		{500, nil, domain.FailureUpstreamError, true, 0},
		{503, nil, domain.FailureUpstreamError, true, 0},
		{401, nil, domain.FailureUnauthorized, false, 0},
		{403, nil, domain.FailureUnauthorized, false, 0},
		{404, nil, domain.FailureNotFound, false, 0},
		{400, nil, domain.FailureBadResponse, false, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			e := StatusError(tt.status, tt.header, "call")
			if e.Code != tt.code || e.Retryable() != tt.retryable || e.RetryAfter != tt.after || e.HTTPStatus != tt.status {
				t.Errorf("got code=%s retryable=%v after=%v status=%d", e.Code, e.Retryable(), e.RetryAfter, e.HTTPStatus)
			}
		})
	}
}

func TestAsError(t *testing.T) {
	t.Parallel()
	if AsError(nil) != nil {
		t.Error("AsError(nil) != nil")
	}
	wrapped := fmt.Errorf("outer: %w", &Error{Code: domain.FailureNotFound})
	if got := AsError(wrapped).Code; got != domain.FailureNotFound {
		t.Errorf("wrapped code = %s", got)
	}
	if got := AsError(context.DeadlineExceeded).Code; got != domain.FailureTimeout {
		t.Errorf("deadline code = %s", got)
	}
	if got := AsError(errors.New("boom")).Code; got != domain.FailureUpstreamError {
		t.Errorf("plain error code = %s", got)
	}
	limiter := &Error{Code: domain.FailureRateLimited, Err: ErrRateLimitWait}
	if limiter.Retryable() || limiter.unhealthy() {
		t.Error("a failed local limiter wait must be neither retryable nor unhealthy")
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	got := RedactURL("https://user:pw@api.example.com/v1/x?api_key=SECRET&q=1#frag")
	if strings.Contains(got, "SECRET") || strings.Contains(got, "pw") || !strings.HasPrefix(got, "https://api.example.com/v1/x") {
		t.Errorf("RedactURL = %q", got)
	}
}

func TestGetTransportErrorHidesKey(t *testing.T) {
	t.Parallel()
	// A port nobody listens on: bind, note the address, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	_, err = Get(context.Background(), DefaultHTTPClient(), "http://"+addr+"/v1?api_key=SECRET", nil)
	e := AsError(err)
	if e.Code != domain.FailureUpstreamError {
		t.Errorf("code = %s, want upstream_error", e.Code)
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error leaks the key: %v", err)
	}
}

func TestHonourRetryAfterWaitsAtLeastAsAsked(t *testing.T) {
	t.Parallel()
	var cfg retry.Config
	retry.Delay(10 * time.Millisecond)(&cfg)
	delay := honourRetryAfter(retry.BackOffDelay)
	if got := delay(1, &Error{Code: domain.FailureRateLimited, RetryAfter: 2 * time.Second}, &cfg); got < 2*time.Second {
		t.Errorf("delay with Retry-After 2s = %v", got)
	}
	if got := delay(1, &Error{Code: domain.FailureUpstreamError}, &cfg); got >= 2*time.Second {
		t.Errorf("delay without Retry-After = %v", got)
	}
}
