package domain

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/net/idna"
)

// ErrInvalidDomain is wrapped by every error ParseDomain returns, so callers
// can tell bad input from other failures with errors.Is.
var ErrInvalidDomain = errors.New("invalid domain")

// DNS limits from RFC 1035 §2.3.4, counted in octets of the ASCII form.
const (
	maxLabelLength = 63
	maxNameLength  = 253 // without the trailing root dot
)

// idnaProfile maps Unicode input the way a resolver would (UTS #46,
// non-transitional so "ß" stays distinct from "ss", as IDNA2008 and current
// browsers have it) and converts it to punycode. Hyphen checks are left off
// because real hostnames such as "r3---sn-abc.googlevideo.com" break the
// "--" in positions 3–4 rule; normalise applies the leading/trailing hyphen
// rule itself. Lengths are checked by normalise too, for clearer errors.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
	idna.CheckHyphens(false),
)

// Domain is a normalised, registrable-looking host name such as "costco.com":
// lower-case ASCII (punycode for IDNs), no scheme, port, path or leading
// "www.". The zero value means "no domain"; every other value came through
// ParseDomain, so two Domains for the same site compare equal with ==.
type Domain struct {
	name string
}

// ParseDomain normalises a host name, bare or embedded in a URL, and rejects
// anything that cannot be a public website's domain. Every error wraps
// ErrInvalidDomain. Parsing the String of a result yields the same Domain.
func ParseDomain(raw string) (Domain, error) {
	name, err := normalise(raw)
	if err != nil {
		return Domain{}, fmt.Errorf("%w %q: %w", ErrInvalidDomain, raw, err)
	}
	return Domain{name: name}, nil
}

// MustParseDomain is ParseDomain for constants and tests; it panics on
// invalid input.
func MustParseDomain(s string) Domain {
	d, err := ParseDomain(s)
	if err != nil {
		panic(err)
	}
	return d
}

// String returns the normalised name, "" for the zero Domain.
func (d Domain) String() string { return d.name }

// IsZero reports whether d is the zero Domain. It also lets encoding/json's
// omitzero option leave out unset Domain fields.
func (d Domain) IsZero() bool { return d.name == "" }

// MarshalText refuses the zero Domain: its empty text would not parse back,
// and an event that cannot be read again must not be written. Optional
// fields should be tagged omitzero.
func (d Domain) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return nil, fmt.Errorf("%w: cannot marshal the zero Domain", ErrInvalidDomain)
	}
	return []byte(d.name), nil
}

// UnmarshalText parses text with ParseDomain, so decoded values are as
// normalised and validated as constructed ones.
func (d *Domain) UnmarshalText(text []byte) error {
	parsed, err := ParseDomain(string(text))
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}

// normalise turns raw into the canonical name or explains, without the
// ErrInvalidDomain prefix, why it cannot.
func normalise(raw string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(raw))
	if s == "" {
		return "", errors.New("empty")
	}
	host, err := hostOf(s)
	if err != nil {
		return "", err
	}
	// Reject ASCII outside letters, digits, hyphen and dot before IDNA does,
	// because its error ("disallowed rune U+0020") is harder to act on.
	for _, r := range host {
		if r < 0x80 && r != '.' && !isLDH(byte(r)) {
			return "", fmt.Errorf("invalid character %q", r)
		}
	}
	host, err = idnaProfile.ToASCII(host)
	if err != nil {
		return "", err
	}
	// Stripped after IDNA mapping, which turns full-width and ideographic
	// full stops into ".".
	host = strings.TrimSuffix(host, ".")
	if _, err := netip.ParseAddr(host); err == nil {
		return "", errors.New("IP address literal, not a domain name")
	}

	labels := strings.Split(host, ".")
	// Strip "www" while the rest is still a two-label name, so "www.com" is
	// kept whole and "www.www.example.com" normalises in one pass: a second
	// pass must not strip more (idempotence).
	for len(labels) > 2 && labels[0] == "www" {
		labels = labels[1:]
	}
	tld := labels[len(labels)-1]
	if tld == "localhost" {
		return "", errors.New("localhost is not a public domain")
	}
	if len(labels) < 2 {
		return "", errors.New("single-label name; want a name like example.com")
	}
	for i, label := range labels {
		if err := checkLabel(label); err != nil {
			return "", fmt.Errorf("label %d: %w", i+1, err)
		}
	}
	if strings.Trim(tld, "0123456789") == "" {
		return "", fmt.Errorf("all-numeric top-level label %q", tld)
	}
	name := strings.Join(labels, ".")
	if len(name) > maxNameLength {
		return "", fmt.Errorf("name is %d octets long, over the limit of %d", len(name), maxNameLength)
	}
	return name, nil
}

// hostOf extracts the host from a lower-cased URL or bare host: it drops the
// scheme, userinfo, path, query, fragment and port, and rejects bracketed or
// bare IPv6 literals, which the port rule below would otherwise mangle.
func hostOf(s string) (string, error) {
	if scheme, rest, ok := strings.Cut(s, "://"); ok && isScheme(scheme) {
		s = rest
	} else {
		s = strings.TrimPrefix(s, "//") // scheme-relative URL
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if strings.HasPrefix(s, "[") {
		return "", errors.New("IP address literal, not a domain name")
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return "", errors.New("IP address literal, not a domain name")
	}
	if host, port, ok := strings.Cut(s, ":"); ok {
		if strings.Trim(port, "0123456789") != "" {
			return "", fmt.Errorf("invalid port %q", port)
		}
		s = host
	}
	if s == "" {
		return "", errors.New("no host")
	}
	return s, nil
}

// isScheme reports whether s is a URI scheme per RFC 3986 §3.1. Only then is
// "://" taken as a scheme separator, so "a b://x" is not silently accepted.
func isScheme(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isLDH(c) && c != '+' && c != '.' {
			return false
		}
	}
	return true
}

// checkLabel applies the RFC 1123 host-name rules to one ASCII label.
func checkLabel(label string) error {
	switch {
	case label == "":
		return errors.New("empty label")
	case len(label) > maxLabelLength:
		return fmt.Errorf("%d octets long, over the limit of %d", len(label), maxLabelLength)
	case label[0] == '-' || label[len(label)-1] == '-':
		return fmt.Errorf("%q starts or ends with a hyphen", label)
	}
	for i := 0; i < len(label); i++ {
		if !isLDH(label[i]) {
			return fmt.Errorf("invalid character %q in %q", label[i], label)
		}
	}
	return nil
}

// isLDH reports whether c is a lower-case letter, digit or hyphen.
func isLDH(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
}
