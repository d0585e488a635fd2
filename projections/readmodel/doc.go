// Package readmodel holds the shapes of PartnerForge's read models as their
// readers see them — targets, enrichment jobs, stats — plus the fold that
// turns a job's events into its view. It is plain data and pure code: the
// projections write these views, the PostgreSQL adapter reads them back, and
// the HTTP layer shows them, without any of them depending on another.
package readmodel
