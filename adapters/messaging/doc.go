// Package messaging wires watermill to PostgreSQL (watermill-sql): the outbox
// that publishes every stored event in the appending transaction, and the
// subscribers and router that deliver them to handlers.
//
// All events go to one topic so each consumer group sees them in the order
// they were stored. One consumer group is handled strictly sequentially (a
// watermill-sql property), and any open writing transaction holds delivery
// back for every topic, so handlers must be quick: slow work such as provider
// calls runs outside the subscriber's transaction.
package messaging
