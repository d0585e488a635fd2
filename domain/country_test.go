package domain

import (
	"strings"
	"testing"
)

func TestNormalizeCountry(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"alpha-2 kept", "US", "US"},
		{"alpha-2 in lower case", "us", "US"},
		{"alpha-2 in mixed case with blanks", "  gB ", "GB"},
		{"UK is the United Kingdom", "UK", "GB"},
		{"uk in lower case", "uk", "GB"},
		{"English name", "United States", "US"},
		{"name in any case", "UNITED KINGDOM", "GB"},
		{"name with a leading the", "The Netherlands", "NL"},
		{"name with extra blanks", "united   states  of america", "US"},
		{"dotted abbreviation", "U.S.A.", "US"},
		{"dotted UK", "U.K.", "GB"},
		{"alpha-3 code", "DEU", "DE"},
		{"alpha-3 code in lower case", "usa", "US"},
		{"nation of the United Kingdom", "England", "GB"},
		{"own name", "Deutschland", "DE"},
		{"accented own name", "España", "ES"},
		{"unknown name kept as given, trimmed", "  Atlantis ", "Atlantis"},
		{"unassigned two letters kept", "XX", "XX"},
		{"unassigned two letters kept in their case", "zz", "zz"},
		{"empty", "", ""},
		{"blank", "   ", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := NormalizeCountry(tc.in); got != tc.want {
				t.Errorf("NormalizeCountry(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCountryTables(t *testing.T) {
	if n := len(strings.Fields(alpha2Codes)); n != 249 || len(alpha2) != 249 {
		t.Errorf("alpha-2 table holds %d codes (%d distinct), ISO 3166-1 assigns 249", n, len(alpha2))
	}
	for alias, code := range countryAliases {
		if !isAlpha2(code) {
			t.Errorf("alias %q maps to %q, which is not an assigned alpha-2 code", alias, code)
		}
		if countryKey(alias) != alias {
			t.Errorf("alias %q is not written as countryKey folds input (%q): it can never match", alias, countryKey(alias))
		}
		if got := NormalizeCountry(alias); got != code {
			t.Errorf("NormalizeCountry(%q) = %q, want %q", alias, got, code)
		}
	}
	// Normalising is idempotent: a code maps to itself.
	for c := range alpha2 {
		if got := NormalizeCountry(c); got != c {
			t.Errorf("NormalizeCountry(%q) = %q", c, got)
		}
	}
}
