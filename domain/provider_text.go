package domain

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaxProviderTextRunes bounds a provider's text once it is stored. Provider
// failure messages and notes live forever in events and are shown to users
// as a job's note: a sentence is enough, a whole error page is not.
const MaxProviderTextRunes = 200

// Scrubbing rules, applied in order. Providers echo our request back in
// their errors (BuiltWith puts the KEY in the URL, SimilarWeb the api_key),
// and some answer with bearer tokens or session ids in the body, so
// anything that looks like a credential or a query string is removed before
// the text reaches an event.
var (
	// A URL's query string: everything after '?' up to white space or a
	// closing quote or bracket.
	scrubURLQuery = regexp.MustCompile(`(?i)(\b[a-z][a-z0-9+.-]*://[^\s?#"'<>]*)\?[^\s"'<>)\]}]*`)
	// user:password@ in a URL.
	scrubURLUser = regexp.MustCompile(`(?i)(\b[a-z][a-z0-9+.-]*://)[^\s/@"'<>]+@`)
	// Authorization schemes followed by their credential.
	scrubBearer = regexp.MustCompile(`(?i)\b(bearer|basic|token)(\s+|=|:\s*)[a-z0-9._~+/=-]{8,}`)
	// name=value or "name": "value" pairs whose name says secret.
	scrubNamedSecret = regexp.MustCompile(`(?i)(\b(?:api[_-]?key|apikey|key|token|access[_-]?token|secret|password|passwd|pwd|auth|authorization|crumb|session|sig|signature)["']?\s*[:=]\s*["']?)[^\s"'&,;)\]}]+`)
	// A long run of key-like characters on its own (hex or base64 of 24+
	// characters, mixing letters and digits), however it is labelled.
	scrubLongToken = regexp.MustCompile(`\b[A-Za-z0-9_\-]{24,}\b`)
)

const redacted = "[redacted]"

// SafeProviderText makes a provider's failure message or note fit to store in
// an event and to show to users: credentials and URL queries are replaced by
// "[redacted]", white space is collapsed, and the result is cut to
// MaxProviderTextRunes runes (ending in "…" when cut).
func SafeProviderText(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = scrubURLUser.ReplaceAllString(s, "${1}"+redacted+"@")
	s = scrubURLQuery.ReplaceAllString(s, "${1}?"+redacted)
	s = scrubBearer.ReplaceAllString(s, "${1} "+redacted)
	s = scrubNamedSecret.ReplaceAllString(s, "${1}"+redacted)
	s = scrubLongToken.ReplaceAllStringFunc(s, func(tok string) string {
		if looksLikeKey(tok) {
			return redacted
		}
		return tok
	})
	s = strings.Join(strings.Fields(s), " ")
	return truncateRunes(s, MaxProviderTextRunes)
}

// looksLikeKey tells a credential from a long ordinary word such as a
// hyphenated host name: keys mix digits and letters.
func looksLikeKey(tok string) bool {
	var letters, digits int
	for _, r := range tok {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			letters++
		}
	}
	return digits >= 4 && letters >= 4
}

// truncateRunes cuts s to at most n runes, the last being "…" when it cut.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)
	return string(runes[:n-1]) + "…"
}
