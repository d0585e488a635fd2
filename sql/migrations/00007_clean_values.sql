-- +goose Up
-- The targets read model now holds clean values: countries as ISO 3166-1
-- alpha-2 codes ("United States" is US, "UK" is GB), partner_tech without
-- repeated platforms, percentages to a hundredth of a point. The events keep
-- what the imported file and the providers said; only the view changes.
--
-- The list filters compare without case, so the indexes that serve them are
-- on lower(...), and partner_tech_keys holds every value the partner_tech
-- filter finds a row by (see domain.PlatformKeys), served by a GIN index.
ALTER TABLE displacement_targets ADD COLUMN partner_tech_keys text[] NOT NULL DEFAULT '{}';

DROP INDEX displacement_targets_vertical;
DROP INDEX displacement_targets_country;
DROP INDEX displacement_targets_partner_tech;
CREATE INDEX displacement_targets_vertical ON displacement_targets (lower(vertical));
CREATE INDEX displacement_targets_country ON displacement_targets (lower(country));
CREATE INDEX displacement_targets_partner_tech_keys ON displacement_targets USING gin (partner_tech_keys);

-- GET /api/enrich/jobs filters by status, newest first.
CREATE INDEX enrichment_jobs_status ON enrichment_jobs (status, created_at DESC, job_id);

-- Rows projected before this migration hold the values as imported. Empty
-- the read model and move its checkpoint back to the start of the log, so
-- the projection replays every event into the new shape as soon as the
-- service runs. (`partnerforge projections rebuild displacement_targets`
-- reaches the same model without emptying the live one; a migration cannot
-- run it, so this one replays in place.)
TRUNCATE displacement_targets;
UPDATE projection_checkpoints SET position = 0, updated_at = now() WHERE name = 'displacement_targets';

-- +goose Down
DROP INDEX enrichment_jobs_status;
DROP INDEX displacement_targets_partner_tech_keys;
DROP INDEX displacement_targets_country;
DROP INDEX displacement_targets_vertical;
ALTER TABLE displacement_targets DROP COLUMN partner_tech_keys;
CREATE INDEX displacement_targets_vertical ON displacement_targets (vertical);
CREATE INDEX displacement_targets_country ON displacement_targets (country);
CREATE INDEX displacement_targets_partner_tech ON displacement_targets (lower(partner_tech));
