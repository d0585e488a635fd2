// Package commands holds PartnerForge's use cases, one file each. Every
// command follows the same steps through the Repository (repository.go):
// load the aggregates it touches by folding their streams, ask the domain
// which events follow, and save them with the expected versions in one
// atomic append, retrying the whole decision when a concurrent writer got
// there first. The Repository depends only on the EventStore interface it
// declares; adapters/postgres and adapters/memstore implement it, and both
// pass one contract (adapters/eventstoretest), so the decision tests here run
// on the in-memory store with no database.
package commands
