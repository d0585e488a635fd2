// Package faults holds the fault-injection suite (`make faults`): the real
// partnerforge binary against a private PostgreSQL cluster it creates and may
// restart, with the fixture providers on loopback turned bad on purpose. Each
// fault asserts what must hold — every accepted job ends, one outcome per
// provider, no event twice — and the suite prints the figures of
// docs/reliability.md. The tests carry the build tag "faults": they take
// minutes and start and stop a database server, so `make test` leaves them out.
package faults
