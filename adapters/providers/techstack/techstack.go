// Package techstack turns a provider's list of technology names into a
// domain.TechStack: which site search runs on the site and which of our
// partners' commerce platforms it uses. BuiltWith and the SimilarWeb fallback
// share it so both sources are read the same way. The vendors and platforms
// themselves are listed in domain (domain.SearchVendors,
// domain.CommercePlatforms), where scoring classifies them too.
package techstack

import (
	"slices"

	"github.com/partnerforge/partnerforge/domain"
)

// Build makes the stack from technology names as a provider reported them.
// Names are de-duplicated (case-insensitively) and sorted for stable events.
func Build(source string, names []string) domain.TechStack {
	techs := domain.DistinctNames(names)
	if techs == nil {
		techs = []string{} // stored as [], never null
	}
	stack := domain.TechStack{Technologies: techs, Source: source}
	found := detect(domain.SearchVendors, techs)
	if len(found) > 0 {
		stack.SearchVendor = found[0]
		stack.HasAlgolia = slices.Contains(found, domain.AlgoliaVendor)
	}
	stack.PartnerTech = detect(domain.CommercePlatforms, techs)
	if slices.Contains(stack.PartnerTech, "Shopify Plus") {
		stack.PartnerTech = slices.DeleteFunc(stack.PartnerTech, func(s string) bool { return s == "Shopify" })
	}
	return stack
}

// detect returns the vendors found, in the vendors' order.
func detect(vendors []domain.Vendor, techs []string) []string {
	var found []string
	for _, v := range vendors {
		for _, t := range techs {
			if v.Matches(t) {
				found = append(found, v.Name)
				break
			}
		}
	}
	return found
}
