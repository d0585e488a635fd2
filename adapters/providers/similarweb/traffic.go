package similarweb

import (
	"context"
	"errors"
	"fmt"
	"golang.org/x/sync/errgroup"
	"math"
	"net/url"

	"github.com/partnerforge/partnerforge/adapters/providers"
	"github.com/partnerforge/partnerforge/domain"
)

// SimilarWeb names each series' value after the metric
// ({"date":"2024-01-01","visits":123.4}), hence one body type per endpoint.
type (
	visitsBody struct {
		Visits []struct {
			Date   string  `json:"date"`
			Visits float64 `json:"visits"`
		} `json:"visits"`
	}
	bounceBody struct {
		BounceRate []struct {
			Date       string  `json:"date"`
			BounceRate float64 `json:"bounce_rate"`
		} `json:"bounce_rate"`
	}
	pagesBody struct {
		PagesPerVisit []struct {
			Date          string  `json:"date"`
			PagesPerVisit float64 `json:"pages_per_visit"`
		} `json:"pages_per_visit"`
	}
	durationBody struct {
		AverageVisitDuration []struct {
			Date                 string  `json:"date"`
			AverageVisitDuration float64 `json:"average_visit_duration"`
		} `json:"average_visit_duration"`
	}
	// sourcesBody: {"visits":{"costco.com":[{"source_type":"Search","visits":[{"date","organic","paid"}]}]}}
	sourcesBody struct {
		Visits map[string][]struct {
			SourceType string `json:"source_type"`
			Visits     []struct {
				Date    string  `json:"date"`
				Organic float64 `json:"organic"`
				Paid    float64 `json:"paid"`
			} `json:"visits"`
		} `json:"visits"`
	}
	rankBody struct {
		GlobalRank []struct {
			Date       string `json:"date"`
			GlobalRank int64  `json:"global_rank"`
		} `json:"global_rank"`
	}
	similarBody struct {
		SimilarSites []struct {
			URL   string  `json:"url"`
			Score float64 `json:"score"`
		} `json:"similar_sites"`
	}
)

// Fetch reads visits, engagement, traffic sources, rank and similar sites.
// Visits and engagement are required; the others are extras that a plan may
// not include, so a 403 or 404 on them is noted rather than failing the fetch
// (transient failures still fail it, so Resilient retries).
func (c *Client) Fetch(ctx context.Context, req providers.Request) (domain.ProviderData, providers.Meta, error) {
	k := &call{c: c, country: c.country}
	start, end := c.window()
	series := url.Values{
		"start_date": {start}, "end_date": {end},
		"granularity": {"monthly"}, "main_domain_only": {"false"},
	}
	site := "v1/website/" + url.PathEscape(req.Domain)
	var t domain.Traffic
	fail := func(err error) (domain.ProviderData, providers.Meta, error) {
		note, status := k.result()
		return domain.ProviderData{}, providers.Meta{HTTPStatus: status, Attempts: 1, Note: note}, err
	}

	var visits visitsBody
	if err := k.get(ctx, site+"/total-traffic-and-engagement/visits", series, true, &visits); err != nil {
		return fail(err)
	}
	if len(visits.Visits) == 0 {
		return fail(&providers.Error{Code: domain.FailureNotFound, HTTPStatus: k.status, Message: "similarweb has no visits for the window"})
	}
	first, last := visits.Visits[0].Visits, visits.Visits[len(visits.Visits)-1].Visits
	t.MonthlyVisits = int64(math.Round(last))
	if first > 0 {
		t.TrafficGrowth = (last - first) / first
	}

	// The visits call settled the country; the other six endpoints are
	// independent, so they are asked at once: a fetch then takes about two
	// round trips to SimilarWeb instead of seven.
	var (
		bounce   bounceBody
		pages    pagesBody
		duration durationBody
		sources  sourcesBody
		rank     rankBody
		similar  similarBody
	)
	global := url.Values{"start_date": {start}, "end_date": {end}, "main_domain_only": {"false"}}
	g, gctx := errgroup.WithContext(ctx)
	for _, m := range []struct {
		metric string
		into   any
	}{{"bounce-rate", &bounce}, {"pages-per-visit", &pages}, {"average-visit-duration", &duration}} {
		g.Go(func() error { return k.get(gctx, site+"/total-traffic-and-engagement/"+m.metric, series, true, m.into) })
	}
	g.Go(func() error {
		return k.optional(k.get(gctx, site+"/traffic-sources/overview-share", series, true, &sources), "traffic sources")
	})
	g.Go(func() error {
		return k.optional(k.get(gctx, site+"/global-rank/global-rank", global, false, &rank), "global rank")
	})
	g.Go(func() error {
		return k.optional(k.get(gctx, site+"/similar-sites/similarsites", nil, false, &similar), "similar sites")
	})
	if err := g.Wait(); err != nil {
		return fail(err)
	}

	if n := len(bounce.BounceRate); n > 0 {
		t.BounceRate = bounce.BounceRate[n-1].BounceRate
	}
	if n := len(pages.PagesPerVisit); n > 0 {
		t.PagesPerVisit = pages.PagesPerVisit[n-1].PagesPerVisit
	}
	if n := len(duration.AverageVisitDuration); n > 0 {
		t.AvgDurationSeconds = duration.AverageVisitDuration[n-1].AverageVisitDuration
	}
	t.SearchTrafficShare = searchShare(sources)
	if n := len(rank.GlobalRank); n > 0 {
		t.GlobalRank = rank.GlobalRank[n-1].GlobalRank
	}
	for _, s := range similar.SimilarSites {
		if len(t.SimilarSites) == c.similar {
			break
		}
		t.SimilarSites = append(t.SimilarSites, s.URL)
	}

	note, status := k.result()
	return domain.ProviderData{Traffic: &t}, providers.Meta{HTTPStatus: status, Attempts: 1, Note: note}, nil
}

// optional swallows a lasting refusal of an extra endpoint, noting it.
func (k *call) optional(err error, what string) error {
	var e *providers.Error
	if err == nil || !errors.As(err, &e) {
		return err
	}
	switch e.Code {
	case domain.FailureNotFound, domain.FailureUnauthorized:
		k.addNote(fmt.Sprintf("similarweb %s unavailable (%s)", what, e.Code))
		return nil
	}
	return err
}

// searchShare is the share of the latest month's visits that came from search
// (organic and paid), across every domain key of the answer.
func searchShare(b sourcesBody) float64 {
	latest := ""
	for _, sources := range b.Visits {
		for _, s := range sources {
			for _, v := range s.Visits {
				latest = max(latest, v.Date) // ISO dates sort as strings
			}
		}
	}
	var search, total float64
	for _, sources := range b.Visits {
		for _, s := range sources {
			for _, v := range s.Visits {
				if v.Date != latest {
					continue
				}
				total += v.Organic + v.Paid
				if s.SourceType == "Search" {
					search += v.Organic + v.Paid
				}
			}
		}
	}
	if total <= 0 {
		return 0
	}
	return search / total
}
