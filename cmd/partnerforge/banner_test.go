package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The banner's dashboard link signs the browser in: the key travels in the
// fragment, which browsers keep to themselves.
func TestBannerDashboardLink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "demo-admin-key")
	if err := os.WriteFile(keyFile, []byte("pf_live_AbC-123_xyz\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := &net.TCPAddr{IP: net.IPv4zero, Port: 8080}
	tests := []struct {
		name    string
		keyFile string
		want    string
	}{
		{"with the demo key", keyFile, "  http://127.0.0.1:8080/#key=pf_live_AbC-123_xyz\n"},
		{"without a key file", "", "  http://127.0.0.1:8080/  (paste an API key in Settings)\n"},
		{"with a key file not written yet", filepath.Join(dir, "missing"), "  http://127.0.0.1:8080/  (paste an API key in Settings)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			printBanner(&b, addr, tt.keyFile)
			if !strings.Contains(b.String(), tt.want) {
				t.Errorf("banner lacks %q:\n%s", tt.want, b.String())
			}
		})
	}
}
