// Package messaging wires watermill to PostgreSQL (watermill-sql): the
// subscribers and router that deliver stored events to handlers. The events
// reach watermill through the outbox the event store writes in the appending
// statement (see adapters/postgres).
//
// All events go to one topic so each consumer group sees them in the order
// they were stored. One consumer group is handled strictly sequentially (a
// watermill-sql property), and any open writing transaction holds delivery
// back for every topic, so handlers must be quick: slow work such as provider
// calls runs outside the subscriber's transaction.
package messaging
