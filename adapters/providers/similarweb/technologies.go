package similarweb

import (
	"context"
	"net/url"
	"strconv"

	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/adapters/providers/techstack"
	"github.com/partnerforge/partnerforge/domain"
)

// Technologies fetches a site's installed technologies from SimilarWeb's
// technographics endpoint, as a stand-in for BuiltWith when BuiltWith refuses
// (see providers.Fallback). Its answers fill ProviderData.Tech with
// Source "similarweb".
type Technologies struct {
	c *Client
	// Limit caps the technologies requested (default 500).
	Limit int
}

var _ providers.Fetcher = (*Technologies)(nil)

// Technologies returns the technographics Fetcher sharing c's configuration.
func (c *Client) Technologies() *Technologies { return &Technologies{c: c, Limit: 500} }

// Provider is domain.ProviderSimilarWeb: quota, limiter and breaker of a
// Resilient around it are SimilarWeb's.
func (t *Technologies) Provider() domain.Provider { return domain.ProviderSimilarWeb }

// technographicsBody: {"site_name":…,"technologies":[{"technology_name","category","sub_category","free_paid","description"}]}.
type technographicsBody struct {
	SiteName     string `json:"site_name"`
	Technologies []struct {
		Name        string `json:"technology_name"`
		Category    string `json:"category"`
		SubCategory string `json:"sub_category"`
	} `json:"technologies"`
}

// Fetch reads /v4/website/{domain}/technographics/all.
func (t *Technologies) Fetch(ctx context.Context, req providers.Request) (domain.ProviderData, providers.Meta, error) {
	k := &call{c: t.c, country: World}
	limit := t.Limit
	if limit <= 0 {
		limit = 500
	}
	var body technographicsBody
	path := "v4/website/" + url.PathEscape(req.Domain) + "/technographics/all"
	if err := k.get(ctx, path, url.Values{"limit": {strconv.Itoa(limit)}}, false, &body); err != nil {
		_, status := k.result()
		return domain.ProviderData{}, providers.Meta{HTTPStatus: status, Attempts: 1}, err
	}
	names := make([]string, 0, len(body.Technologies))
	for _, tech := range body.Technologies {
		names = append(names, tech.Name)
	}
	stack := techstack.Build(string(domain.ProviderSimilarWeb), names)
	_, status := k.result()
	return domain.ProviderData{Tech: &stack}, providers.Meta{HTTPStatus: status, Attempts: 1}, nil
}
