// Package messaging wires watermill to PostgreSQL (watermill-sql): the
// subscribers and router that deliver stored events to handlers. The
// subscribers read the events table itself (EventsSchema), so an event is
// delivered exactly when its append commits.
//
// All events go to one topic so each consumer group sees them in the order
// they were stored. One consumer group is handled strictly sequentially (a
// watermill-sql property), and any open writing transaction holds delivery
// back for every topic, so handlers must be quick: slow work such as provider
// calls runs in the enrichment worker pool, not in a handler. Handlers write
// through their own connections, never in the subscriber's transaction
// (router.go says why). Given a Waker, a subscriber rests while there is
// nothing to read, until woken or its fallback interval passes (rest.go).
package messaging
