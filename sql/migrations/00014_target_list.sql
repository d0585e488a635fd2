-- +goose Up
-- target_list is the target list's own narrow copy of displacement_targets:
-- the columns GET /api/targets shows, filters and sorts by, about 200 bytes
-- a row against the wide row's 3 KB. The targets projection writes it in the
-- same transaction as the wide row (projections/targets.go, SyncTargetList),
-- so it is exactly as fresh, and it is one of the projection's tables:
-- rebuilt, shadowed, swapped and verified with it.
--
-- Each sort key has one (key, domain) index. The list orders by the key and
-- breaks ties by the domain in the same direction, so one index serves both
-- directions (read backwards for descending), and a keyset cursor is a row
-- comparison (key, domain) > (…) that starts the index scan where the last
-- page ended. NULL keys sort last both ways: the adapter reads the non-NULL
-- keys first and the NULL ones after, each through the same index.
CREATE TABLE target_list (
    domain                text PRIMARY KEY,
    company_name          text,
    partner_tech          text,
    partner_tech_keys     text[] NOT NULL DEFAULT '{}',
    vertical              text,
    country               text,
    city                  text,
    state                 text,
    icp_score             integer,
    icp_tier              integer,
    icp_tier_name         text,
    lead_score            bigint,
    sw_monthly_visits     bigint,
    sw_search_traffic_pct double precision,
    traffic_growth        double precision,
    revenue               double precision,
    ticker                text,
    is_public             boolean,
    current_search        text,
    enrichment_level      text,
    last_enriched         timestamptz,
    excluded              boolean NOT NULL DEFAULT false,
    updated_at            timestamptz NOT NULL
);

CREATE INDEX target_list_score ON target_list (icp_score, domain);
CREATE INDEX target_list_tier_score ON target_list (icp_tier, icp_score, domain);
CREATE INDEX target_list_visits ON target_list (sw_monthly_visits, domain);
CREATE INDEX target_list_revenue ON target_list (revenue, domain);
CREATE INDEX target_list_last_enriched ON target_list (last_enriched, domain);
CREATE INDEX target_list_name ON target_list (lower(company_name), domain);
CREATE INDEX target_list_vertical ON target_list (lower(vertical));
CREATE INDEX target_list_country ON target_list (lower(country));
CREATE INDEX target_list_partner_tech_keys ON target_list USING gin (partner_tech_keys);
-- The search is an ILIKE '%term%' on name or domain, which trigram indexes
-- serve (a BitmapOr of the two).
CREATE INDEX target_list_name_trgm ON target_list USING gin (company_name gin_trgm_ops);
CREATE INDEX target_list_domain_trgm ON target_list USING gin (domain gin_trgm_ops);

INSERT INTO target_list (domain, company_name, partner_tech, partner_tech_keys, vertical, country,
    city, state, icp_score, icp_tier, icp_tier_name, lead_score, sw_monthly_visits,
    sw_search_traffic_pct, traffic_growth, revenue, ticker, is_public, current_search,
    enrichment_level, last_enriched, excluded, updated_at)
SELECT domain, company_name, partner_tech, partner_tech_keys, vertical, country,
    city, state, icp_score, icp_tier, icp_tier_name, lead_score, sw_monthly_visits,
    sw_search_traffic_pct, traffic_growth, revenue, ticker, is_public, current_search,
    enrichment_level, last_enriched, excluded, updated_at
FROM displacement_targets;

-- The wide table's list indexes served only the list, which now reads
-- target_list: dropping them makes every projection write cheaper.
DROP INDEX displacement_targets_tier_score;
DROP INDEX displacement_targets_score;
DROP INDEX displacement_targets_vertical;
DROP INDEX displacement_targets_country;
DROP INDEX displacement_targets_partner_tech_keys;
DROP INDEX displacement_targets_name;
DROP INDEX displacement_targets_last_enriched;
DROP INDEX displacement_targets_revenue;
DROP INDEX displacement_targets_visits;
DROP INDEX displacement_targets_name_trgm;
DROP INDEX displacement_targets_domain_trgm;

-- +goose Down
CREATE INDEX displacement_targets_tier_score ON displacement_targets (icp_tier, icp_score DESC);
CREATE INDEX displacement_targets_score ON displacement_targets (icp_score DESC NULLS LAST, domain);
CREATE INDEX displacement_targets_vertical ON displacement_targets (lower(vertical));
CREATE INDEX displacement_targets_country ON displacement_targets (lower(country));
CREATE INDEX displacement_targets_partner_tech_keys ON displacement_targets USING gin (partner_tech_keys);
CREATE INDEX displacement_targets_name ON displacement_targets (lower(company_name), domain);
CREATE INDEX displacement_targets_last_enriched ON displacement_targets (last_enriched DESC NULLS LAST, domain);
CREATE INDEX displacement_targets_revenue ON displacement_targets (revenue DESC NULLS LAST, domain);
CREATE INDEX displacement_targets_visits ON displacement_targets (sw_monthly_visits DESC NULLS LAST, domain);
CREATE INDEX displacement_targets_name_trgm ON displacement_targets USING gin (company_name gin_trgm_ops);
CREATE INDEX displacement_targets_domain_trgm ON displacement_targets USING gin (domain gin_trgm_ops);
DROP TABLE target_list;
