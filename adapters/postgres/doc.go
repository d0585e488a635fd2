// Package postgres is PartnerForge's PostgreSQL adapter: connection pool,
// schema migrations, the event store and the read-model queries. Queries live
// in sql/queries and are compiled by sqlc into the gen package; this package
// wraps them and converts to domain types.
package postgres
