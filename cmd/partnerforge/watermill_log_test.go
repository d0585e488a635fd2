package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
)

// watermill's info is debug to us, and its errors once work stops are the
// shutdown we asked for; before that an error stays an error.
func TestWatermillLogger(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		stopped  bool
		log      func(watermill.LoggerAdapter)
		want     string
		wantNone bool
	}{
		{"info is debug", false, func(l watermill.LoggerAdapter) { l.Info("Initializing subscriber schema", nil) }, "", true},
		{"error while working", false, func(l watermill.LoggerAdapter) {
			l.Error("Error querying for message", errors.New("boom"), nil)
		}, `level=ERROR msg="Error querying for message"`, false},
		{"error once stopping", true, func(l watermill.LoggerAdapter) {
			l.With(watermill.LogFields{"topic": "events"}).Error("Error querying for message", context.Canceled, nil)
		}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			work, stop := context.WithCancel(context.Background())
			defer stop()
			if tt.stopped {
				stop()
			}
			tt.log(newWatermillLogger(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo})), work))
			switch {
			case tt.wantNone && out.Len() > 0:
				t.Errorf("logged at info or above: %s", out.String())
			case !tt.wantNone && !strings.Contains(out.String(), tt.want):
				t.Errorf("log %q lacks %q", out.String(), tt.want)
			}
		})
	}
}
