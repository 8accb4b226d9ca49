// Package cluster makes the engine a replicated, durable service: it runs
// hashicorp/raft with the stores of package persist, adapts the engine to
// raft's FSM (one log entry holds many commands; the FSM decodes them once and
// applies them as one engine batch), coalesces concurrent proposals into log
// entries (group commit, proposer.go), manages membership, and runs the
// leader-only loops: the tick loop that proposes time transitions (and the
// test clock), and the dispatcher that delivers the replicated outbox
// (webhooks and Stripe calls) and reports deliveries back through the log.
// It also keeps the cluster-layer state replicated beside the engine:
// Idempotency-Key records, webhook destinations and the outbox itself.
//
// It is not the HTTP API (package transport) and holds no billing rules
// (package engine): nothing here decides what a command means. Side effects
// never run inside Apply; the outbound delivery code in dispatch.go is due to
// move to its own package, effects.
package cluster
