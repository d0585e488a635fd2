package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// Development logs are for a person, the others for a log pipeline; in both,
// a duration reads as one.
func TestLoggerFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		environment string
		took        time.Duration
		want        string
	}{
		{"development", 27296316 * time.Nanosecond, `level=INFO msg="migration applied" took=27.3ms`},
		{"development", 1500 * time.Millisecond, `took=1.5s`},
		{"development", 835 * time.Microsecond, `took=835µs`},
		{"production", 27296316 * time.Nanosecond, `"msg":"migration applied","took":"27.3ms"`},
		{"test", 2*time.Minute + 3456*time.Millisecond, `"took":"2m3s"`},
	}
	for _, tt := range tests {
		t.Run(tt.environment+" "+tt.took.String(), func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			newLogger(Config{Environment: tt.environment, LogLevel: slog.LevelInfo}, &out).
				Info("migration applied", slog.Duration("took", tt.took))
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("log line %q lacks %q", out.String(), tt.want)
			}
		})
	}
}
