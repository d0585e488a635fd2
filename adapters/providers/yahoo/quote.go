package yahoo

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/domain"
)

// modules asks for both profiles: Yahoo fills summaryProfile for some
// symbols and only assetProfile for others, so sector, industry and
// employees come from whichever answers.
const modules = "price,summaryProfile,assetProfile,financialData,defaultKeyStatistics"

// profile is the part of summaryProfile and assetProfile that is read.
type profile struct {
	Sector            string `json:"sector"`
	Industry          string `json:"industry"`
	FullTimeEmployees int64  `json:"fullTimeEmployees"`
}

// value is Yahoo's {"raw":…,"fmt":…} number; missing data comes as {}.
type value struct {
	Raw float64 `json:"raw"`
}

type yahooError struct {
	Code        string `json:"code"`
	Description string `json:"description"`
}

// summaryBody is the quoteSummary answer:
// {"quoteSummary":{"result":[{"price":{…},"summaryProfile":{…},"financialData":{…}}],"error":null}},
// or {"finance":{"error":{"code":"Unauthorized","description":"Invalid Crumb"}}} on a 401.
type summaryBody struct {
	QuoteSummary struct {
		Result []struct {
			Price struct {
				Symbol    string `json:"symbol"`
				Currency  string `json:"currency"`
				MarketCap value  `json:"marketCap"`
			} `json:"price"`
			SummaryProfile profile `json:"summaryProfile"`
			AssetProfile   profile `json:"assetProfile"`
			FinancialData  struct {
				TotalRevenue      value  `json:"totalRevenue"`
				GrossMargins      value  `json:"grossMargins"`
				RevenueGrowth     value  `json:"revenueGrowth"`
				FinancialCurrency string `json:"financialCurrency"`
			} `json:"financialData"`
		} `json:"result"`
		Error *yahooError `json:"error"`
	} `json:"quoteSummary"`
	Finance struct {
		Error *yahooError `json:"error"`
	} `json:"finance"`
}

// quoteSummary reads the ticker's financials, refreshing the crumb once if
// Yahoo rejects it.
func (c *Client) quoteSummary(ctx context.Context, ticker string) (*domain.Financials, int, error) {
	for refreshed := false; ; refreshed = true {
		fin, status, err := c.quoteSummaryOnce(ctx, ticker)
		if errors.Is(err, errInvalidCrumb) && !refreshed {
			continue
		}
		return fin, status, err
	}
}

func (c *Client) quoteSummaryOnce(ctx context.Context, ticker string) (*domain.Financials, int, error) {
	crumb, err := c.ensureCrumb(ctx)
	if err != nil {
		return nil, providers.AsError(err).HTTPStatus, err
	}
	q := url.Values{"modules": {modules}, "crumb": {crumb}}
	resp, err := providers.Get(ctx, c.http, c.summaryURL+url.PathEscape(ticker)+"?"+q.Encode(), c.header)
	if err != nil {
		return nil, 0, err
	}
	var body summaryBody
	perr := json.Unmarshal(resp.Body, &body)
	if e := body.Finance.Error; resp.Status == http.StatusUnauthorized || (e != nil && e.Code == "Unauthorized") {
		c.dropCrumb(crumb)
		return nil, resp.Status, &providers.Error{
			Code: domain.FailureUnauthorized, HTTPStatus: resp.Status,
			Message: "yahoo quoteSummary refused the session", Err: errInvalidCrumb,
		}
	}
	if !resp.OK() {
		e := providers.StatusError(resp.Status, resp.Header, "yahoo quoteSummary "+ticker)
		if ye := firstError(body); ye != nil {
			e.Message += ": " + ye.Description
			if e.Code == domain.FailureUnauthorized && strings.Contains(strings.ToLower(ye.Description), "quota") {
				e.Code = domain.FailureQuotaExhausted
			}
		}
		return nil, resp.Status, e
	}
	if perr != nil {
		return nil, resp.Status, providers.BadResponse(resp.Status, "decode yahoo quoteSummary", perr)
	}
	if len(body.QuoteSummary.Result) == 0 {
		msg := "yahoo quoteSummary has no result for " + ticker
		if ye := firstError(body); ye != nil {
			msg += ": " + ye.Description
		}
		return nil, resp.Status, &providers.Error{Code: domain.FailureNotFound, HTTPStatus: resp.Status, Message: msg}
	}
	r := body.QuoteSummary.Result[0]
	fin := &domain.Financials{
		Ticker:        ticker,
		Revenue:       r.FinancialData.TotalRevenue.Raw,
		GrossMargin:   r.FinancialData.GrossMargins.Raw,
		MarketCap:     r.Price.MarketCap.Raw,
		Employees:     firstNonZero(r.SummaryProfile.FullTimeEmployees, r.AssetProfile.FullTimeEmployees),
		Sector:        firstNonZero(r.SummaryProfile.Sector, r.AssetProfile.Sector),
		Industry:      firstNonZero(r.SummaryProfile.Industry, r.AssetProfile.Industry),
		Currency:      r.Price.Currency,
		RevenueGrowth: r.FinancialData.RevenueGrowth.Raw,
	}
	if fin.Currency == "" {
		fin.Currency = r.FinancialData.FinancialCurrency
	}
	return fin, resp.Status, nil
}

func firstError(b summaryBody) *yahooError {
	if b.QuoteSummary.Error != nil {
		return b.QuoteSummary.Error
	}
	return b.Finance.Error
}

// firstNonZero returns the first of a and b that is set.
func firstNonZero[T comparable](a, b T) T {
	var zero T
	if a != zero {
		return a
	}
	return b
}
