package techstack_test

import (
	"slices"
	"testing"

	"github.com/partnerforge/partnerforge/adapters/providers/techstack"
	"github.com/partnerforge/partnerforge/domain"
)

func TestBuild(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		techs   []string
		vendor  string
		algolia bool
		partner []string
	}{
		{"nothing", []string{"jQuery", "Akamai"}, "", false, nil},
		{"algolia", []string{"Algolia", "Shopify"}, "Algolia", true, []string{"Shopify"}},
		{"dedicated beats engine", []string{"Elasticsearch", "Coveo"}, "Coveo", false, nil},
		{"algolia alongside another vendor", []string{"Coveo", "Algolia DocSearch"}, "Algolia", true, nil},
		{"engines in order", []string{"Apache Solr", "Elasticsearch"}, "Elasticsearch", false, nil},
		{"bloomreach engagement is not search", []string{"Bloomreach Engagement"}, "", false, nil},
		{"plus is not reported twice", []string{"Shopify Plus", "Shopify"}, "", false, []string{"Shopify Plus"}},
		{"platform aliases", []string{"Demandware", "Hybris", "Magento 2", "ATG Web Commerce"}, "", false,
			[]string{"Adobe Commerce (Magento)", "Salesforce Commerce Cloud", "SAP Commerce Cloud", "Oracle Commerce"}},
		{"google retail", []string{"Vertex AI Search for Retail"}, "Google Vertex AI Search", false, nil},
		{"constructor", []string{"Constructor.io"}, "Constructor", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := techstack.Build("builtwith", tt.techs)
			if got.SearchVendor != tt.vendor || got.HasAlgolia != tt.algolia || !slices.Equal(got.PartnerTech, tt.partner) {
				t.Errorf("got vendor=%q algolia=%v partner=%v", got.SearchVendor, got.HasAlgolia, got.PartnerTech)
			}
		})
	}
}

func TestBuildDeduplicatesAndSorts(t *testing.T) {
	t.Parallel()
	got := techstack.Build("similarweb", []string{"react", "Akamai", " React ", "", "akamai"})
	if !slices.Equal(got.Technologies, []string{"Akamai", "react"}) || got.Source != "similarweb" {
		t.Errorf("got %+v", got)
	}
}

// Every vendor the adapter can detect has a known class in scoring: it is
// detected under its own name, and that name scores as its class, never as an
// unclassified vendor.
func TestDetectedVendorsHaveAScoringClass(t *testing.T) {
	t.Parallel()
	for _, v := range domain.SearchVendors {
		for _, m := range v.Match {
			t.Run(v.Name+"/"+m, func(t *testing.T) {
				t.Parallel()
				got := techstack.Build("builtwith", []string{m})
				if got.SearchVendor != v.Name {
					t.Fatalf("technology %q detected as %q, want %q", m, got.SearchVendor, v.Name)
				}
				class := domain.ClassifySearchVendor(got.SearchVendor)
				if class != v.Class || class == domain.SearchUnknown {
					t.Errorf("vendor %q scores as %q, want %q", got.SearchVendor, class, v.Class)
				}
			})
		}
	}
}

// An empty list is stored as [], not null, so events stay the same shape.
func TestBuildEmptyListIsNotNil(t *testing.T) {
	t.Parallel()
	for _, names := range [][]string{nil, {" ", ""}} {
		if got := techstack.Build("builtwith", names); got.Technologies == nil {
			t.Errorf("Build(%q).Technologies is nil, want an empty list", names)
		}
	}
}
