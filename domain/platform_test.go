package domain

import (
	"slices"
	"testing"
)

func TestPartnerPlatforms(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{"one platform", "Shopify Plus", []string{"Shopify Plus"}},
		{"two platforms", "Adobe AEM, Shopify Plus", []string{"Adobe AEM", "Shopify Plus"}},
		{"duplicate collapses", "Adobe AEM, Adobe AEM", []string{"Adobe AEM"}},
		{"duplicate in another case collapses, first spelling wins", "Adobe AEM,adobe  aem", []string{"Adobe AEM"}},
		{"blanks and empty entries dropped", " , Shopify Plus ,, ", []string{"Shopify Plus"}},
		{"inner blanks collapsed", "Salesforce   Commerce Cloud", []string{"Salesforce Commerce Cloud"}},
		{"empty", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := PartnerPlatforms(tc.in)
			if !slices.Equal(got, tc.want) {
				t.Errorf("PartnerPlatforms(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if joined := JoinPlatforms(got); !slices.Equal(PartnerPlatforms(joined), got) {
				t.Errorf("JoinPlatforms(%q) = %q does not read back", got, joined)
			}
		})
	}
}

func TestPlatformFilterMatches(t *testing.T) {
	listed := []string{"Adobe AEM", "Shopify Plus", "Salesforce Commerce Cloud"}
	keys := PlatformKeys(listed)
	cases := []struct {
		filter string
		want   bool
	}{
		{"Shopify Plus", true},
		{"shopify plus", true},
		{"SHOPIFY  PLUS", true},
		{"Shopify", true}, // the platform family
		{"Adobe", true},
		{"adobe aem", true},
		{"Salesforce Commerce", true},
		{"Shop", false}, // whole words only
		{"Plus", false}, // leading words only
		{"Adobe Commerce", false},
		{"Shopify Plus Extra", false},
		{"Commerce Cloud", false},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			if got := slices.Contains(keys, PlatformKey(tc.filter)); got != tc.want {
				t.Errorf("filter %q on %q: match %v, want %v (keys %q)", tc.filter, listed, got, tc.want, keys)
			}
		})
	}
	if !slices.IsSorted(keys) || len(slices.Compact(slices.Clone(keys))) != len(keys) {
		t.Errorf("keys not sorted and distinct: %q", keys)
	}
	if PlatformKeys(nil) != nil {
		t.Errorf("no platforms should give no keys")
	}
}
