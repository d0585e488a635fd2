package domain

import "strings"

// What PartnerForge knows about site-search vendors and commerce platforms,
// in one place: the tech-stack adapter detects them in a provider's
// technology names, and the ICP model scores the search vendor by its class.
// Adding a vendor is one line in SearchVendors or CommercePlatforms.

// SearchClass is what kind of site search a vendor sells, from our side of a
// deal.
type SearchClass string

const (
	// SearchOurs is Algolia itself: a target running it is excluded.
	SearchOurs SearchClass = "ours"
	// SearchCompetitor is a competing SaaS search product.
	SearchCompetitor SearchClass = "competitor"
	// SearchLegacy is a self-hosted engine or an ageing managed service.
	SearchLegacy SearchClass = "legacy"
	// SearchNative is the built-in search of a commerce platform.
	SearchNative SearchClass = "native"
	// SearchUnknown is a vendor named but not listed here.
	SearchUnknown SearchClass = "unknown"
	// SearchNone means a tech stack is known and shows no site search.
	SearchNone SearchClass = "none"
)

// AlgoliaVendor is the name of the vendor whose presence sets
// TechStack.HasAlgolia.
const AlgoliaVendor = "Algolia"

// Vendor is a product, recognised in two kinds of text: technology names as
// providers report them (by Match and Except substrings) and vendor names as
// people recorded them before enrichment existed (by Words).
type Vendor struct {
	Name  string
	Class SearchClass
	// Match lists lower-case substrings, any of which identifies the vendor
	// in a technology name. Empty: never detected in technology names,
	// because the name also means something unrelated there.
	Match []string
	// Except lists lower-case substrings that veto a match (a vendor's
	// non-search products, say).
	Except []string
	// Words lists lower-case words that identify the vendor in a recorded
	// vendor name such as "Apache Solr" or "Magento Native Search".
	Words []string
}

// Matches reports whether a technology name names this vendor.
func (v Vendor) Matches(technology string) bool {
	lower := strings.ToLower(technology)
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

// SearchVendors in priority order: when a site shows several, the first one
// listed wins. Dedicated commerce-search products come before general search
// engines, because Elasticsearch or Solr on a site is often back-end
// infrastructure behind one of them.
var SearchVendors = []Vendor{
	{Name: AlgoliaVendor, Class: SearchOurs, Match: []string{"algolia"}, Words: []string{"algolia"}},
	{Name: "Coveo", Class: SearchCompetitor, Match: []string{"coveo"}, Words: []string{"coveo"}},
	{Name: "Bloomreach", Class: SearchCompetitor, Match: []string{"bloomreach"}, Except: []string{"engagement", "exponea", "content"}, Words: []string{"bloomreach"}},
	{Name: "Constructor", Class: SearchCompetitor, Match: []string{"constructor.io", "constructor search", "constructorio"}, Words: []string{"constructor"}},
	{Name: "Lucidworks", Class: SearchCompetitor, Match: []string{"lucidworks"}, Words: []string{"lucidworks"}},
	{Name: "Searchspring", Class: SearchCompetitor, Match: []string{"searchspring"}, Words: []string{"searchspring"}},
	{Name: "Klevu", Class: SearchCompetitor, Match: []string{"klevu"}, Words: []string{"klevu"}},
	{Name: "SLI Systems", Class: SearchCompetitor, Match: []string{"sli systems", "sli learning search", "slisystems"}, Words: []string{"sli"}},
	{Name: "Yext", Class: SearchCompetitor, Match: []string{"yext search", "yext answers"}, Words: []string{"yext"}},
	{Name: "Doofinder", Class: SearchCompetitor, Match: []string{"doofinder"}, Words: []string{"doofinder"}},
	{Name: "Attraqt Fredhopper", Class: SearchCompetitor, Match: []string{"fredhopper", "attraqt"}, Words: []string{"fredhopper", "attraqt"}},
	{Name: "Nosto Search", Class: SearchCompetitor, Match: []string{"nosto search"}, Words: []string{"nosto"}},
	{Name: "Swiftype", Class: SearchCompetitor, Match: []string{"swiftype"}, Words: []string{"swiftype"}},
	{Name: "Google Vertex AI Search", Class: SearchCompetitor, Match: []string{"vertex ai search", "google cloud retail", "google retail search", "retail search by google", "google cloud search for retail"}, Words: []string{"vertex"}},
	{Name: "Unbxd", Class: SearchCompetitor, Match: []string{"unbxd"}, Words: []string{"unbxd"}},
	{Name: "Hawksearch", Class: SearchCompetitor, Match: []string{"hawksearch"}, Words: []string{"hawksearch"}},
	{Name: "Searchanise", Class: SearchCompetitor, Match: []string{"searchanise"}, Words: []string{"searchanise"}},
	{Name: "Findify", Class: SearchCompetitor, Match: []string{"findify"}, Words: []string{"findify"}},
	{Name: "Reflektion", Class: SearchCompetitor, Match: []string{"reflektion"}, Words: []string{"reflektion"}},
	{Name: "Loop54", Class: SearchCompetitor, Match: []string{"loop54"}, Words: []string{"loop54"}},
	{Name: "Amazon CloudSearch", Class: SearchLegacy, Match: []string{"cloudsearch"}, Words: []string{"cloudsearch"}},
	{Name: "Oracle Endeca", Class: SearchLegacy, Match: []string{"endeca"}, Words: []string{"endeca"}},
	{Name: "Elasticsearch", Class: SearchLegacy, Match: []string{"elasticsearch", "elastic site search", "elastic app search", "elastic enterprise search"}, Words: []string{"elasticsearch", "elastic"}},
	{Name: "Apache Solr", Class: SearchLegacy, Match: []string{"solr"}, Words: []string{"solr"}},
	// Recognised in recorded names only: in technology names "OpenSearch" is
	// also the search-description format, Sphinx a documentation generator.
	{Name: "OpenSearch", Class: SearchLegacy, Words: []string{"opensearch"}},
	{Name: "Apache Lucene", Class: SearchLegacy, Words: []string{"lucene"}},
	{Name: "Sphinx", Class: SearchLegacy, Words: []string{"sphinx"}},
	// A platform's own search, recorded by name; partner platforms named as
	// the search vendor count as native too (CommercePlatforms' Words).
	{Name: "Native platform search", Class: SearchNative, Words: []string{"native", "woocommerce"}},
}

// CommercePlatforms are the commerce platforms we partner with. Shopify Plus
// comes before Shopify so a Plus store is not reported twice. A platform named
// as a site's search vendor means its built-in search (SearchNative).
var CommercePlatforms = []Vendor{
	{Name: "Adobe Commerce (Magento)", Match: []string{"magento", "adobe commerce"}, Words: []string{"magento", "adobe"}},
	{Name: "Adobe Experience Manager", Match: []string{"adobe experience manager", "adobe cq"}},
	{Name: "Salesforce Commerce Cloud", Match: []string{"salesforce commerce cloud", "demandware"}, Words: []string{"salesforce", "demandware", "sfcc"}},
	{Name: "Shopify Plus", Match: []string{"shopify plus"}},
	{Name: "Shopify", Match: []string{"shopify"}, Except: []string{"shopify plus"}, Words: []string{"shopify"}},
	{Name: "BigCommerce", Match: []string{"bigcommerce"}, Words: []string{"bigcommerce"}},
	{Name: "commercetools", Match: []string{"commercetools"}, Words: []string{"commercetools"}},
	{Name: "SAP Commerce Cloud", Match: []string{"sap commerce", "hybris"}, Words: []string{"sap", "hybris"}},
	{Name: "VTEX", Match: []string{"vtex"}, Words: []string{"vtex"}},
	{Name: "Oracle Commerce", Match: []string{"oracle commerce", "oracle atg", "atg web commerce"}},
}

// searchClassByWord maps every word in SearchVendors and CommercePlatforms to
// its class.
var searchClassByWord = func() map[string]SearchClass {
	m := make(map[string]SearchClass)
	for _, v := range SearchVendors {
		for _, w := range v.Words {
			m[w] = v.Class
		}
	}
	for _, p := range CommercePlatforms {
		for _, w := range p.Words {
			m[w] = SearchNative
		}
	}
	return m
}()

// ClassifySearchVendor classifies a search vendor's name, whether a name from
// SearchVendors or one recorded by hand: the first of its lower-case words
// listed in Words decides ("Apache Solr" → solr, "Constructor.io" →
// constructor). A blank name is SearchNone; an unlisted one SearchUnknown.
func ClassifySearchVendor(name string) SearchClass {
	if strings.TrimSpace(name) == "" {
		return SearchNone
	}
	for _, w := range words(name) {
		if c, ok := searchClassByWord[w]; ok {
			return c
		}
	}
	return SearchUnknown
}
