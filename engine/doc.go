// Package engine is Burndown's deterministic rating state machine.
//
// It holds the catalog (credit types, billable metrics, products, rate cards),
// customers with their contracts, commits, credits and draft invoices, the
// transaction-id dedup index and the published entitlement views. It rates
// usage events, burns down prepaid balances in Metronome's documented order and
// applies time transitions (segment starts and expirations, period closes).
//
// The engine is pure: it never reads the clock, does no I/O and knows nothing
// of raft or the network. Every command is applied with the time the leader
// stamped on its log entry, so replaying the same log on any replica yields the
// same state, byte for byte in a snapshot.
//
// Customers are partitioned across shards, each owned by one goroutine. A log
// entry's customer-scoped commands are split by shard and applied in log order
// within each shard, shards in parallel; catalog changes and customer creation
// act as barriers between those parallel runs.
package engine
