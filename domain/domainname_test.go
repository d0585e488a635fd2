package domain

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// validDomainCases map raw input to the normalised name.
var validDomainCases = []struct {
	name, raw, want string
}{
	{"url with scheme, www, port, path and query", "  HTTPS://WWW.Costco.com:443/path?q=1 ", "costco.com"},
	{"trailing root dot", "www.costco.com.", "costco.com"},
	{"unicode to punycode", "bücher.de", "xn--bcher-kva.de"},
	{"punycode kept", "XN--BCHER-KVA.DE", "xn--bcher-kva.de"},
	{"userinfo and path", "http://user:pw@shop.example.co.uk/x", "shop.example.co.uk"},
	{"bare host", "example.com", "example.com"},
	{"any scheme", "ftp://example.com", "example.com"},
	{"scheme-relative url", "//example.com/x", "example.com"},
	{"fragment", "example.com#top", "example.com"},
	{"empty port", "example.com:", "example.com"},
	{"www is the whole registrable name", "www.com", "www.com"},
	{"repeated www", "www.www.example.com", "example.com"},
	{"www-like label kept", "www2.example.com", "www2.example.com"},
	{"www only as first label", "shop.www.example.com", "shop.www.example.com"},
	{"full-width characters mapped", "ｅｘａｍｐｌｅ．ｃｏｍ", "example.com"},
	{"ideographic full stops", "example。com。", "example.com"},
	{"non-transitional sharp s", "faß.de", "xn--fa-hia.de"},
	{"double hyphen inside label", "r3---sn-abc.googlevideo.com", "r3---sn-abc.googlevideo.com"},
	{"digits in labels", "7-eleven.com", "7-eleven.com"},
	{"63-octet label", strings.Repeat("a", 63) + ".com", strings.Repeat("a", 63) + ".com"},
	{"253-octet name", name253(), name253()},
}

// invalidDomainCases must be rejected with ErrInvalidDomain.
var invalidDomainCases = []struct {
	name, raw string
}{
	{"empty", ""},
	{"blank", "   "},
	{"localhost", "localhost"},
	{"localhost subdomain", "app.localhost"},
	{"ipv4", "192.168.0.1"},
	{"ipv4 with port", "http://192.168.0.1:8080/"},
	{"bracketed ipv6", "[::1]"},
	{"bare ipv6", "2001:db8::1"},
	{"full-width ipv4", "１９２．１６８．０．１"},
	{"single label", "com"},
	{"empty label", "a..com"},
	{"two trailing dots", "example.com.."},
	{"leading hyphen", "-a.com"},
	{"trailing hyphen", "a-.com"},
	{"64-octet label", strings.Repeat("a", 64) + ".com"},
	{"254-octet name", "a" + name253()},
	{"space", "exa mple.com"},
	{"underscore", "_dmarc.example.com"},
	{"all-numeric tld", "example.123"},
	{"non-numeric port", "example.com:http"},
	{"no host", "http://"},
	{"userinfo only", "user@"},
	{"invalid punycode", "xn--a.com"},
	{"no-break space", "exa\u00a0mple.com"},
	{"zero-width joiner out of context", "a\u200db.com"},
	{"mixed-direction label", "ab\u05d0.com"},
	{"invalid utf-8", "\xff.com"},
}

// name253 is a valid name of exactly 253 octets: three 63-octet labels and
// one 61-octet label joined by dots.
func name253() string {
	l63 := strings.Repeat("a", 63)
	return l63 + "." + l63 + "." + l63 + "." + strings.Repeat("b", 61)
}

func TestParseDomain(t *testing.T) {
	t.Parallel()
	for _, tc := range validDomainCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := ParseDomain(tc.raw)
			if err != nil {
				t.Fatalf("ParseDomain(%q): %v", tc.raw, err)
			}
			if got := d.String(); got != tc.want {
				t.Fatalf("ParseDomain(%q) = %q, want %q", tc.raw, got, tc.want)
			}
			if d.IsZero() {
				t.Fatalf("ParseDomain(%q) returned the zero Domain", tc.raw)
			}
		})
	}
}

func TestParseDomainRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range invalidDomainCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := ParseDomain(tc.raw)
			if !errors.Is(err, ErrInvalidDomain) {
				t.Fatalf("ParseDomain(%q) = %q, %v; want ErrInvalidDomain", tc.raw, d, err)
			}
			if !d.IsZero() {
				t.Fatalf("ParseDomain(%q) returned %q alongside an error", tc.raw, d)
			}
		})
	}
}

func TestDomainJSON(t *testing.T) {
	t.Parallel()
	type record struct {
		Domain   Domain `json:"domain"`
		Previous Domain `json:"previous,omitzero"`
	}

	b, err := json.Marshal(record{Domain: MustParseDomain("costco.com")})
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if got, want := string(b), `{"domain":"costco.com"}`; got != want {
		t.Fatalf("marshal = %s, want %s", got, want)
	}

	var r record
	if err := json.Unmarshal([]byte(`{"domain":"https://www.Costco.com/"}`), &r); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if r.Domain != MustParseDomain("costco.com") {
		t.Fatalf("unmarshal normalised to %q, want costco.com", r.Domain)
	}

	if err := json.Unmarshal([]byte(`{"domain":"localhost"}`), &r); !errors.Is(err, ErrInvalidDomain) {
		t.Fatalf("unmarshal of an invalid domain: err = %v, want ErrInvalidDomain", err)
	}
	if _, err := json.Marshal(record{}); !errors.Is(err, ErrInvalidDomain) {
		t.Fatalf("marshal of the zero Domain: err = %v, want ErrInvalidDomain", err)
	}
}

func TestMustParseDomainPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Fatal("MustParseDomain(\"localhost\") did not panic")
		}
	}()
	MustParseDomain("localhost")
}

// FuzzParseDomain checks the invariants every accepted name must keep. Run it
// with: go test -fuzz=FuzzParseDomain ./domain
func FuzzParseDomain(f *testing.F) {
	for _, tc := range validDomainCases {
		f.Add(tc.raw)
	}
	for _, tc := range invalidDomainCases {
		f.Add(tc.raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		d, err := ParseDomain(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidDomain) {
				t.Fatalf("ParseDomain(%q) error %v does not wrap ErrInvalidDomain", raw, err)
			}
			return
		}
		name := d.String()
		again, err := ParseDomain(name)
		if err != nil {
			t.Fatalf("ParseDomain(%q) = %q, which does not parse again: %v", raw, name, err)
		}
		if again != d {
			t.Fatalf("ParseDomain(%q) = %q, but that parses to %q", raw, name, again)
		}
		if len(name) > maxNameLength {
			t.Fatalf("ParseDomain(%q) = %q, %d octets long", raw, name, len(name))
		}
		for i := 0; i < len(name); i++ {
			if c := name[i]; c != '.' && !isLDH(c) {
				t.Fatalf("ParseDomain(%q) = %q, which contains %q", raw, name, c)
			}
		}
		if strings.Count(name, ".") < 1 {
			t.Fatalf("ParseDomain(%q) = %q, a single label", raw, name)
		}
	})
}
