// Package commands holds PartnerForge's use cases, one file each: load the
// aggregates a command touches from their streams, ask the domain which
// events follow, and append them with the expected versions, retrying when a
// concurrent writer got there first. It depends only on the small interfaces
// it declares; adapters implement them.
package commands
