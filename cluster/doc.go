// Package cluster makes the engine a replicated, durable service: it runs
// hashicorp/raft with the stores of package persist, adapts the engine to
// raft's FSM (one log entry holds many commands; the FSM decodes them once and
// applies them as one engine batch), coalesces concurrent proposals into log
// entries (group commit, proposer.go), manages membership, and runs the
// leader-only tick loop that proposes time transitions (and the test clock).
// It also keeps the cluster-layer state replicated beside the engine:
// Idempotency-Key records, webhook destinations and the outbox itself.
//
// It is not the HTTP API (package transport), holds no billing rules
// (package engine) and makes no outbound calls: nothing here decides what a
// command means, and side effects never run inside Apply. Package effects
// delivers the outbox on the leader through a small seam: AwaitLeadership
// (a term, once the outbox is caught up), Outbox and OutboxChanged (copies
// of what waits, outbox_view.go), and Propose with the outbox commands
// (NewDeliveryMarks, NewDeliveryFailures, NewWebhookDisable).
package cluster
