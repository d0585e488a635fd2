package domain

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestParseEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"ana@example.com", "ana@example.com", true},
		{" Ana.Lopez+ops@Example.CO.uk ", "ana.lopez+ops@example.co.uk", true},
		{"", "", false},
		{"ana", "", false},
		{"ana@localhost", "", false},
		{"Ana <ana@example.com>", "", false},
		{"ana@example.com, ben@example.com", "", false},
		{"@example.com", "", false},
		{strings.Repeat("a", 250) + "@example.com", "", false},
	}
	for _, tc := range tests {
		got, err := ParseEmail(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseEmail(%q) = %q, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidEmail) {
			t.Errorf("ParseEmail(%q): error %v is not ErrInvalidEmail", tc.in, err)
		}
	}
}

func TestRawKeyNeverPrintsItself(t *testing.T) {
	t.Parallel()
	k, err := NewRawKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw := k.Reveal()
	if !LooksLikeKey(raw) || len(raw) < len(KeyPrefix)+43 {
		t.Fatalf("key %q", raw)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("issued", slog.Any("key", k))
	js, _ := json.Marshal(struct{ Key RawKey }{k})
	for name, s := range map[string]string{
		"fmt %v": fmt.Sprint(k), "fmt %+v": fmt.Sprintf("%+v", k), "fmt %#v": fmt.Sprintf("%#v", k),
		"slog": logged.String(), "json": string(js),
	} {
		if strings.Contains(s, raw) {
			t.Errorf("%s shows the key: %s", name, s)
		}
		if !strings.Contains(s, k.Prefix()) {
			t.Errorf("%s does not show the public prefix: %s", name, s)
		}
	}
}

func TestLooksLikeKey(t *testing.T) {
	t.Parallel()
	k, _ := NewRawKey(rand.Reader)
	raw := k.Reveal()
	for s, want := range map[string]bool{
		raw: true, raw[:len(raw)-1]: false, raw + "x": false, "pf_test_" + raw[8:]: false,
		raw[:20] + "!" + raw[21:]: false, "": false,
	} {
		if got := LooksLikeKey(s); got != want {
			t.Errorf("LooksLikeKey(%q) = %v", s, got)
		}
	}
}

func TestKeyHasher(t *testing.T) {
	t.Parallel()
	if _, err := NewKeyHasher("short"); !errors.Is(err, ErrWeakSalt) {
		t.Errorf("short salt: %v", err)
	}
	a, _ := NewKeyHasher("salt number one, long enough")
	b, _ := NewKeyHasher("salt number two, long enough")
	const key = "pf_live_example"
	if a.Hash(key) != a.Hash(key) || a.Hash(key) == b.Hash(key) || a.Hash(key) == a.Hash(key+"x") {
		t.Error("hash is not a keyed function of the key")
	}
	if !validKeyHash(a.Hash(key)) {
		t.Errorf("hash %q is not 64 lower-case hex digits", a.Hash(key))
	}
}
