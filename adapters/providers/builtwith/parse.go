package builtwith

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/adapters/providers/techstack"
	"github.com/partnerforge/partnerforge/domain"
)

// apiError is an entry of BuiltWith's "Errors" array, e.g.
// {"Lookup":null,"Message":"Domain not in our system…","Code":-10}.
type apiError struct {
	Lookup  *string `json:"Lookup"`
	Message string  `json:"Message"`
	Code    int     `json:"Code"`
}

// domainResponse is the part of the Domain API answer we read:
// {"Results":[{"Result":{"Paths":[{"Technologies":[{"Name","Tag","Categories"…}]}]},"Lookup":…}],"Errors":[…]}.
type domainResponse struct {
	Results []struct {
		Lookup string `json:"Lookup"`
		Result struct {
			Paths []struct {
				Domain       string `json:"Domain"`
				SubDomain    string `json:"SubDomain"`
				Technologies []struct {
					Name       string   `json:"Name"`
					Tag        string   `json:"Tag"`
					Categories []string `json:"Categories"`
				} `json:"Technologies"`
			} `json:"Paths"`
		} `json:"Result"`
	} `json:"Results"`
	Errors []apiError `json:"Errors"`
}

// freeResponse is the Free API answer:
// {"domain":…,"first":…,"last":…,"groups":[{"name":"cdns","live":2,"dead":0,"categories":[{"name":…,"live":…}]}]}.
type freeResponse struct {
	Domain string `json:"domain"`
	Groups []struct {
		Name       string `json:"name"`
		Live       int    `json:"live"`
		Categories []struct {
			Name string `json:"name"`
			Live int    `json:"live"`
		} `json:"categories"`
	} `json:"groups"`
	Errors []apiError `json:"Errors"`
}

func parseDomain(resp *providers.Response) (domain.TechStack, error) {
	var body domainResponse
	perr := json.Unmarshal(resp.Body, &body)
	if !resp.OK() {
		return domain.TechStack{}, refusal(resp, body.Errors)
	}
	if perr != nil {
		return domain.TechStack{}, providers.BadResponse(resp.Status, "decode builtwith domain API answer", perr)
	}
	var names []string
	for _, r := range body.Results {
		for _, p := range r.Result.Paths {
			for _, t := range p.Technologies {
				names = append(names, t.Name)
			}
		}
	}
	if len(names) == 0 {
		if len(body.Errors) > 0 {
			return domain.TechStack{}, refusal(resp, body.Errors)
		}
		if len(body.Results) == 0 {
			return domain.TechStack{}, &providers.Error{Code: domain.FailureNotFound, HTTPStatus: resp.Status, Message: "builtwith returned no result for the domain"}
		}
	}
	return techstack.Build(string(domain.ProviderBuiltWith), names), nil
}

func parseFree(resp *providers.Response) (domain.TechStack, error) {
	var body freeResponse
	perr := json.Unmarshal(resp.Body, &body)
	if !resp.OK() || (perr == nil && len(body.Errors) > 0 && len(body.Groups) == 0) {
		return domain.TechStack{}, refusal(resp, body.Errors)
	}
	if perr != nil {
		return domain.TechStack{}, providers.BadResponse(resp.Status, "decode builtwith free API answer", perr)
	}
	var names []string
	for _, g := range body.Groups {
		for _, c := range g.Categories {
			if c.Live > 0 {
				names = append(names, c.Name)
			}
		}
	}
	return techstack.Build(string(domain.ProviderBuiltWith), names), nil
}

// codeNotInSystem is BuiltWith's Errors[].Code for "Domain not in our
// system": it has no data on the domain. The only code BuiltWith is known to
// keep; other failures are told apart by their message.
const codeNotInSystem = -10

// refusal classifies a failed lookup from its status and BuiltWith's
// Errors[] code and message.
func refusal(resp *providers.Response, errs []apiError) *providers.Error {
	msg, code := "", 0
	if len(errs) > 0 {
		msg, code = errs[0].Message, errs[0].Code
	}
	var e *providers.Error
	switch {
	case code == codeNotInSystem:
		e = &providers.Error{HTTPStatus: resp.Status, Code: domain.FailureNotFound}
	case resp.OK():
		e = &providers.Error{HTTPStatus: resp.Status, Code: classifyMessage(msg)}
	default:
		e = providers.StatusError(resp.Status, resp.Header, "")
		// A 403 that speaks of credits is a spent quota, not a bad key.
		if e.Code == domain.FailureUnauthorized && classifyMessage(msg) == domain.FailureQuotaExhausted {
			e.Code = domain.FailureQuotaExhausted
		}
	}
	e.Message = "builtwith lookup refused"
	if msg != "" || code != 0 {
		e.Message = fmt.Sprintf("builtwith: %s (code %d)", msg, code)
	}
	return e
}

// classifyMessage reads BuiltWith's error wording, for the failures whose
// codes are not documented.
func classifyMessage(msg string) domain.FailureCode {
	m := strings.ToLower(msg)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(m, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("credit", "quota", "no remaining", "exceeded your", "purchase more"):
		return domain.FailureQuotaExhausted
	case has("too many", "rate limit", "slow down"):
		return domain.FailureRateLimited
	case has("key", "unauthori", "not authori"):
		return domain.FailureUnauthorized
	case has("not in our system", "not found", "no result"):
		return domain.FailureNotFound
	case has("internal", "try again", "unavailable"):
		return domain.FailureUpstreamError
	default:
		return domain.FailureBadResponse
	}
}
