package yahoo

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/domain"
)

// searchBody is the part of /v1/finance/search we read:
// {"quotes":[{"symbol":"COST","shortname":…,"longname":…,"quoteType":"EQUITY","exchange":"NMS","score":…}]}.
type searchBody struct {
	Quotes []quote `json:"quotes"`
}

type quote struct {
	Symbol    string  `json:"symbol"`
	ShortName string  `json:"shortname"`
	LongName  string  `json:"longname"`
	QuoteType string  `json:"quoteType"`
	Exchange  string  `json:"exchange"`
	Score     float64 `json:"score"`
}

// usExchanges are Yahoo's codes for US primary listings, preferred because
// our financial comparisons are in USD and foreign listings duplicate them.
var usExchanges = map[string]bool{"NMS": true, "NGM": true, "NCM": true, "NYQ": true, "ASE": true, "PCX": true, "BTS": true}

// search asks Yahoo for the company behind domainName. The query is the
// domain's first label ("costco" for costco.com), which Yahoo matches
// against company names.
func (c *Client) search(ctx context.Context, domainName string) (string, int, error) {
	label := companyLabel(domainName)
	q := url.Values{"q": {label}, "quotesCount": {"10"}, "newsCount": {"0"}, "listsCount": {"0"}}
	resp, err := providers.Get(ctx, c.http, c.searchURL+"?"+q.Encode(), c.header)
	if err != nil {
		return "", 0, err
	}
	if !resp.OK() {
		var body summaryBody // search errors share the {"finance":{"error":…}} shape
		_ = json.Unmarshal(resp.Body, &body)
		e := providers.StatusError(resp.Status, resp.Header, "yahoo search")
		if ye := body.Finance.Error; ye != nil {
			e.Message += ": " + ye.Description
			if e.Code == domain.FailureUnauthorized && strings.Contains(strings.ToLower(ye.Description), "quota") {
				e.Code = domain.FailureQuotaExhausted
			}
		}
		return "", resp.Status, e
	}
	var body searchBody
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		return "", resp.Status, providers.BadResponse(resp.Status, "decode yahoo search", err)
	}
	best, ok := pickEquity(body.Quotes, label)
	if !ok {
		return "", resp.Status, &providers.Error{
			Code: domain.FailureNoTicker, HTTPStatus: resp.Status,
			Message: fmt.Sprintf("no listed equity found for %s", domainName),
		}
	}
	return best.Symbol, resp.Status, nil
}

// companyLabel is the part of a host that names the company.
func companyLabel(host string) string {
	host = strings.TrimPrefix(strings.ToLower(host), "www.")
	label, _, _ := strings.Cut(host, ".")
	return label
}

// pickEquity chooses the listing for the company: an EQUITY whose name
// contains the label (so a fuzzy match on another company is not taken),
// preferring US primary listings, then Yahoo's relevance score.
func pickEquity(quotes []quote, label string) (quote, bool) {
	want := alnum(label)
	var candidates []quote
	for _, q := range quotes {
		if q.QuoteType != "EQUITY" || q.Symbol == "" {
			continue
		}
		if want != "" && !strings.Contains(alnum(q.ShortName+" "+q.LongName), want) {
			continue
		}
		candidates = append(candidates, q)
	}
	if len(candidates) == 0 {
		return quote{}, false
	}
	primary := func(q quote) int {
		if usExchanges[q.Exchange] && !strings.Contains(q.Symbol, ".") {
			return 0
		}
		return 1
	}
	best := slices.MinFunc(candidates, func(a, b quote) int {
		return cmp.Or(cmp.Compare(primary(a), primary(b)), cmp.Compare(b.Score, a.Score))
	})
	return best, true
}

// alnum keeps lower-case letters and digits: "Lowe's Companies" → "lowescompanies".
func alnum(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return -1
	}, s)
}
