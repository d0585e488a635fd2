// Package techstack turns a provider's list of technology names into a
// domain.TechStack: which site search runs on the site and which of our
// partners' commerce platforms it uses. BuiltWith and the SimilarWeb fallback
// share it so both sources are read the same way.
package techstack

import (
	"slices"
	"strings"

	"github.com/partnerforge/partnerforge/domain"
)

// Vendor is a product recognised by substrings of a technology name.
type Vendor struct {
	Name string
	// Match lists lower-case substrings, any of which identifies the vendor.
	Match []string
	// Except lists lower-case substrings that veto a match (a vendor's
	// non-search products, say).
	Except []string
}

func (v Vendor) matches(lower string) bool {
	for _, x := range v.Except {
		if strings.Contains(lower, x) {
			return false
		}
	}
	for _, m := range v.Match {
		if strings.Contains(lower, m) {
			return true
		}
	}
	return false
}

// Algolia is the vendor whose presence sets TechStack.HasAlgolia.
const Algolia = "Algolia"

// SearchVendors in priority order: when a site shows several, the first one
// listed wins. Dedicated commerce-search products come before general search
// engines, because Elasticsearch or Solr on a site is often back-end
// infrastructure behind one of them.
var SearchVendors = []Vendor{
	{Name: Algolia, Match: []string{"algolia"}},
	{Name: "Coveo", Match: []string{"coveo"}},
	{Name: "Bloomreach", Match: []string{"bloomreach"}, Except: []string{"engagement", "exponea", "content"}},
	{Name: "Constructor", Match: []string{"constructor.io", "constructor search", "constructorio"}},
	{Name: "Lucidworks", Match: []string{"lucidworks"}},
	{Name: "Searchspring", Match: []string{"searchspring"}},
	{Name: "Klevu", Match: []string{"klevu"}},
	{Name: "SLI Systems", Match: []string{"sli systems", "sli learning search", "slisystems"}},
	{Name: "Yext", Match: []string{"yext search", "yext answers"}},
	{Name: "Doofinder", Match: []string{"doofinder"}},
	{Name: "Attraqt Fredhopper", Match: []string{"fredhopper", "attraqt"}},
	{Name: "Nosto Search", Match: []string{"nosto search"}},
	{Name: "Swiftype", Match: []string{"swiftype"}},
	{Name: "Google Vertex AI Search", Match: []string{"vertex ai search", "google cloud retail", "google retail search", "retail search by google", "google cloud search for retail"}},
	{Name: "Amazon CloudSearch", Match: []string{"cloudsearch"}},
	{Name: "Elasticsearch", Match: []string{"elasticsearch", "elastic site search", "elastic app search", "elastic enterprise search"}},
	{Name: "Apache Solr", Match: []string{"solr"}},
}

// PartnerPlatforms are the commerce platforms we partner with. Shopify Plus
// comes before Shopify so a Plus store is not reported twice.
var PartnerPlatforms = []Vendor{
	{Name: "Adobe Commerce (Magento)", Match: []string{"magento", "adobe commerce"}},
	{Name: "Adobe Experience Manager", Match: []string{"adobe experience manager", "adobe cq"}},
	{Name: "Salesforce Commerce Cloud", Match: []string{"salesforce commerce cloud", "demandware"}},
	{Name: "Shopify Plus", Match: []string{"shopify plus"}},
	{Name: "Shopify", Match: []string{"shopify"}, Except: []string{"shopify plus"}},
	{Name: "BigCommerce", Match: []string{"bigcommerce"}},
	{Name: "commercetools", Match: []string{"commercetools"}},
	{Name: "SAP Commerce Cloud", Match: []string{"sap commerce", "hybris"}},
	{Name: "VTEX", Match: []string{"vtex"}},
	{Name: "Oracle Commerce", Match: []string{"oracle commerce", "oracle atg", "atg web commerce"}},
}

// Build makes the stack from technology names as a provider reported them.
// Names are de-duplicated (case-insensitively) and sorted for stable events.
func Build(source string, names []string) domain.TechStack {
	seen := make(map[string]bool, len(names))
	techs := make([]string, 0, len(names))
	for _, n := range names {
		n = strings.TrimSpace(n)
		key := strings.ToLower(n)
		if n == "" || seen[key] {
			continue
		}
		seen[key] = true
		techs = append(techs, n)
	}
	slices.SortFunc(techs, func(a, b string) int {
		return strings.Compare(strings.ToLower(a), strings.ToLower(b))
	})

	stack := domain.TechStack{Technologies: techs, Source: source}
	found := detect(SearchVendors, techs)
	if len(found) > 0 {
		stack.SearchVendor = found[0]
		stack.HasAlgolia = slices.Contains(found, Algolia)
	}
	stack.PartnerTech = detect(PartnerPlatforms, techs)
	if slices.Contains(stack.PartnerTech, "Shopify Plus") {
		stack.PartnerTech = slices.DeleteFunc(stack.PartnerTech, func(s string) bool { return s == "Shopify" })
	}
	return stack
}

// detect returns the vendors found, in the vendors' order.
func detect(vendors []Vendor, techs []string) []string {
	var found []string
	for _, v := range vendors {
		for _, t := range techs {
			if v.matches(strings.ToLower(t)) {
				found = append(found, v.Name)
				break
			}
		}
	}
	return found
}
