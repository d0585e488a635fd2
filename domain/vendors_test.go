package domain

import "testing"

func TestClassifySearchVendor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want SearchClass
	}{
		{"", SearchNone},
		{"  ", SearchNone},
		{"Acme Find", SearchUnknown},
		{"Algolia", SearchOurs},
		{"Apache Solr", SearchLegacy},
		{"Elastic", SearchLegacy},
		{"Amazon CloudSearch", SearchLegacy},
		{"Constructor.io", SearchCompetitor},
		{"Nosto Search", SearchCompetitor},
		{"Google Vertex AI Search", SearchCompetitor},
		{"Magento Native Search", SearchNative},
		{"SFCC native", SearchNative},
		{"WooCommerce", SearchNative},
		// The first listed word decides.
		{"Coveo on Elasticsearch", SearchCompetitor},
		{"Elasticsearch behind Coveo", SearchLegacy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := ClassifySearchVendor(tc.name); got != tc.want {
				t.Errorf("ClassifySearchVendor(%q) = %q, want %q", tc.name, got, tc.want)
			}
		})
	}
}

// Every listed vendor is known to scoring under its own name, so a vendor the
// tech-stack adapter reports never scores as unclassified.
func TestSearchVendorsClassifyByTheirNames(t *testing.T) {
	t.Parallel()
	for _, v := range SearchVendors {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			if v.Class == "" || v.Class == SearchUnknown || v.Class == SearchNone {
				t.Fatalf("class %q is not a vendor's class", v.Class)
			}
			if got := ClassifySearchVendor(v.Name); got != v.Class {
				t.Errorf("ClassifySearchVendor(%q) = %q, want %q", v.Name, got, v.Class)
			}
		})
	}
	for _, p := range CommercePlatforms {
		if len(p.Words) == 0 {
			continue
		}
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			if got := ClassifySearchVendor(p.Name); got != SearchNative {
				t.Errorf("ClassifySearchVendor(%q) = %q, want %q", p.Name, got, SearchNative)
			}
		})
	}
}

// A word names one vendor: a repeated word would take the class of whichever
// entry came last.
func TestVendorWordsAreUnique(t *testing.T) {
	t.Parallel()
	owner := make(map[string]string)
	for _, v := range append(append([]Vendor(nil), SearchVendors...), CommercePlatforms...) {
		for _, w := range v.Words {
			if prev, ok := owner[w]; ok {
				t.Errorf("word %q is listed for both %s and %s", w, prev, v.Name)
			}
			owner[w] = v.Name
			if got := words(w); len(got) != 1 || got[0] != w {
				t.Errorf("%s: %q is not one lower-case word", v.Name, w)
			}
		}
	}
}
