package legacysqlite

// Word lists and weights for the demo dataset. The names are invented
// combinations; none is meant to be a real company.

type weighted[T any] struct {
	value  T
	weight int
}

var nameFirst = []string{
	"northwind", "bluebird", "cedar", "copper", "harbor", "lumen", "maple", "meadow", "orchard", "pioneer",
	"quarry", "riverside", "saffron", "silverline", "summit", "tidewater", "timber", "velvet", "willow", "zephyr",
	"amber", "atlas", "beacon", "brightwater", "canyon", "cobalt", "driftwood", "ember", "fernhill", "foxglove",
	"granite", "hollow", "ironwood", "juniper", "kestrel", "lakeshore", "larkspur", "marigold", "moonstone", "oakridge",
	"pebble", "prairie", "redwood", "sable", "seaside", "sparrow", "stonebridge", "sunfield", "thistle", "wildrose",
}

var nameSecond = []string{
	"outfitters", "goods", "supply", "home", "living", "apparel", "threads", "market", "provisions", "gear",
	"electronics", "beauty", "botanics", "kitchen", "studio", "works", "traders", "collective", "mercantile", "depot",
	"outdoor", "sports", "wellness", "pantry", "hardware", "furnishings", "footwear", "jewelers", "optics", "pets",
}

var nameSuffix = []weighted[string]{
	{"", 70}, {"-co", 8}, {"shop", 7}, {"-store", 6}, {"hq", 4}, {"-online", 5},
}

// corporateSuffix is appended to the display name, by country.
var corporateSuffix = map[string][]string{
	"US": {"", "", "Inc.", "Co.", "LLC"}, "UK": {"", "Ltd", "plc"}, "DE": {"", "GmbH", "AG"},
	"FR": {"", "SAS", "SA"}, "NL": {"", "B.V."}, "JP": {"", "K.K."}, "BR": {"", "Ltda."},
}

type place struct{ city, state string }

type countryInfo struct {
	code   string
	tld    string
	places []place
}

var countries = []weighted[countryInfo]{
	{countryInfo{"US", ".com", []place{
		{"New York", "NY"}, {"Los Angeles", "CA"}, {"San Francisco", "CA"}, {"Seattle", "WA"}, {"Austin", "TX"},
		{"Dallas", "TX"}, {"Chicago", "IL"}, {"Boston", "MA"}, {"Atlanta", "GA"}, {"Denver", "CO"},
		{"Minneapolis", "MN"}, {"Portland", "OR"}, {"Miami", "FL"}, {"Columbus", "OH"}, {"Salt Lake City", "UT"},
	}}, 52},
	{countryInfo{"UK", ".co.uk", []place{{"London", "England"}, {"Manchester", "England"}, {"Leeds", "England"}, {"Edinburgh", "Scotland"}, {"Bristol", "England"}}}, 10},
	{countryInfo{"DE", ".de", []place{{"Berlin", "BE"}, {"Munich", "BY"}, {"Hamburg", "HH"}, {"Cologne", "NW"}}}, 7},
	{countryInfo{"FR", ".fr", []place{{"Paris", ""}, {"Lyon", ""}, {"Bordeaux", ""}}}, 5},
	{countryInfo{"CA", ".ca", []place{{"Toronto", "ON"}, {"Vancouver", "BC"}, {"Montreal", "QC"}, {"Calgary", "AB"}}}, 7},
	{countryInfo{"AU", ".com.au", []place{{"Sydney", "NSW"}, {"Melbourne", "VIC"}, {"Brisbane", "QLD"}, {"Perth", "WA"}}}, 6},
	{countryInfo{"NL", ".nl", []place{{"Amsterdam", "NH"}, {"Rotterdam", "ZH"}, {"Utrecht", "UT"}}}, 3},
	{countryInfo{"JP", ".jp", []place{{"Tokyo", ""}, {"Osaka", ""}}}, 3},
	{countryInfo{"BR", ".com.br", []place{{"São Paulo", "SP"}, {"Rio de Janeiro", "RJ"}, {"Curitiba", "PR"}}}, 3},
	{countryInfo{"SE", ".se", []place{{"Stockholm", ""}, {"Gothenburg", ""}}}, 2},
	{countryInfo{"ES", ".es", []place{{"Madrid", ""}, {"Barcelona", ""}}}, 2},
}

// verticals carry the ICP points a vertical earns: how much a business of that
// kind depends on site search.
var verticals = []weighted[scored]{
	{scored{"Retail", 22}, 16}, {scored{"Fashion & Apparel", 25}, 17}, {scored{"Home & Garden", 22}, 10},
	{scored{"Electronics", 20}, 9}, {scored{"Health & Beauty", 20}, 9}, {scored{"Sports & Outdoors", 18}, 7},
	{scored{"Grocery", 15}, 5}, {scored{"Marketplace", 18}, 5}, {scored{"Media", 8}, 4},
	{scored{"Travel", 10}, 4}, {scored{"B2B/Industrial", 12}, 8}, {scored{"Automotive", 12}, 4},
	{scored{"Jewelry & Accessories", 21}, 2},
}

// platforms carry the ICP points of the partnership.
var platforms = []weighted[scored]{
	{scored{"Adobe Commerce", 20}, 22}, {scored{"Adobe AEM", 16}, 8}, {scored{"Salesforce Commerce Cloud", 20}, 20},
	{scored{"Shopify Plus", 14}, 25}, {scored{"BigCommerce", 14}, 10}, {scored{"commercetools", 18}, 5},
	{scored{"SAP Commerce", 16}, 6}, {scored{"VTEX", 12}, 4},
}

// searchVendors carry the ICP points of displacing them: in-house engines
// are the easiest to replace, modern SaaS search the hardest.
var searchVendors = []weighted[scored]{
	{scored{"Elasticsearch", 25}, 20}, {scored{"Solr", 25}, 10}, {scored{"native", 22}, 18}, {scored{"unknown", 12}, 12},
	{scored{"Coveo", 10}, 7}, {scored{"Bloomreach", 10}, 9}, {scored{"Constructor", 6}, 5}, {scored{"Klevu", 15}, 7},
	{scored{"Searchspring", 15}, 7}, {scored{"Lucidworks", 18}, 5},
}

type scored struct {
	name   string
	points int
}

var execTitles = []string{
	"CTO", "CIO", "Chief Digital Officer", "VP Ecommerce", "VP Digital", "Director of Ecommerce",
	"Head of Search & Merchandising", "VP Engineering", "Director of Product", "Head of Digital Experience",
}

var firstNames = []string{"Alex", "Jordan", "Priya", "Marcus", "Elena", "Sam", "Hannah", "Tomás", "Aiko", "Lena", "Omar", "Claire", "Felix", "Nadia", "Ravi"}
var lastNames = []string{"Hartley", "Okafor", "Lindqvist", "Moreau", "Castillo", "Brennan", "Nakamura", "Fischer", "Adeyemi", "Whitfield", "Rossi", "Kowalski"}

var caseStudies = []string{
	"Apparel retailer: +18% search conversion", "Home goods brand: zero-result searches down 60%",
	"Electronics marketplace: search latency under 50 ms", "Beauty brand: +11% revenue per visitor",
	"B2B distributor: part-number search", "Sporting goods: merchandising rules migrated in 3 weeks",
	"Grocery chain: synonym management at scale", "Travel site: faceted search rebuilt",
}

var triggerEvents = []string{
	"Replatforming announced", "New Chief Digital Officer hired", "Search vendor contract up for renewal",
	"Site redesign in progress", "Expanding to new markets", "Earnings call mentioned on-site search",
	"Holiday season traffic spike expected", "Acquired a competitor's storefront",
}

var quoteSources = []string{"Earnings call", "Trade press interview", "Conference keynote", "LinkedIn post", "Annual report"}

var quoteTemplates = []string{
	"Our customers can't find what they're looking for fast enough.",
	"Search is the front door of our digital store and it needs to get smarter.",
	"We want every visitor to feel like the catalogue was built for them.",
	"Personalised discovery is our top digital investment this year.",
}

var cdns = []string{"Akamai", "Cloudflare", "Fastly", "Amazon CloudFront"}
var analytics = []string{"Google Analytics 4", "Adobe Analytics", "Amplitude", "Mixpanel"}
