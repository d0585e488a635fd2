package domain

import (
	"slices"
	"strings"
)

// PartnerPlatforms splits a partner_tech value ("Adobe AEM, Shopify Plus")
// into the platforms it lists, trimmed, with inner blanks collapsed and
// repeats dropped (compared without case; the first spelling wins). The
// legacy list wrote the same platform twice ("Adobe AEM, Adobe AEM") when
// two scripts each appended what they found.
func PartnerPlatforms(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, name := range strings.Split(s, ",") {
		name = strings.Join(strings.Fields(name), " ")
		if name == "" {
			continue
		}
		if key := strings.ToLower(name); !seen[key] {
			seen[key] = true
			out = append(out, name)
		}
	}
	return out
}

// JoinPlatforms writes platforms back the way the list shows them.
func JoinPlatforms(platforms []string) string { return strings.Join(platforms, ", ") }

// PlatformKey is how a partner_tech filter value is compared: without case
// and with blanks collapsed.
func PlatformKey(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// PlatformKeys are every filter value that finds a target listing these
// platforms: each platform's full name and its leading words, as keys. A
// platform family is named by its first words, so "Shopify" finds "Shopify
// Plus" and "Adobe" finds "Adobe Commerce" and "Adobe AEM", while "Shopify
// Plus" does not find plain "Shopify" and "Shop" finds neither (whole words
// only). The keys are sorted and distinct.
func PlatformKeys(platforms []string) []string {
	var keys []string
	for _, p := range platforms {
		words := strings.Fields(PlatformKey(p))
		for n := len(words); n > 0; n-- {
			keys = append(keys, strings.Join(words[:n], " "))
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}
