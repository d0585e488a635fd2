// Package domain holds PartnerForge's business rules as pure Go: the events
// that are the system's source of truth, the aggregates that decide which
// events a command produces, domain-name normalisation and ICP scoring.
//
// Nothing here performs I/O or imports another PartnerForge package; adapters
// and commands depend on this package, never the other way round.
package domain
