// Package engine is Burndown's deterministic rating state machine.
//
// It holds the catalog (credit types, billable metrics, products, rate cards),
// customers with their contracts (commits, credits, overrides, subscriptions,
// recurring grants, scheduled charges, alerts) and usage invoices, the
// transaction-id dedup index and the published entitlement views. It rates
// usage events incrementally per usage statement period (spend delta =
// price(period quantity after) − price(before)), burns down balances in
// Metronome's documented order, evaluates alerts on the apply that changes
// their input, and applies time transitions (segment starts and expirations,
// grants, period closes and finalization).
//
// The engine is pure: it never reads the clock, does no I/O and knows nothing
// of raft or the network. Every command is applied with the time the leader
// stamped on its log entry, so replaying the same log on any replica yields the
// same state, byte for byte in a snapshot. Side effects (webhooks, and the
// leader's requests to Stripe: payment_gate.stripe_charge for STRIPE payment
// gates, invoice.stripe_send for finalized invoices of contracts whose
// billing_provider_configuration selects Stripe,
// payments.go and stripe_invoice.go) leave as notifications with ids derived
// from the log, for the cluster's outbox; their outcomes come back as
// commands (release_payment_gate, record_external_invoice).
//
// Extension is structural: a command is one registration in the command table
// (registry.go: kind, version, constructor, scope, apply), and a shard hands
// out a customer to change only through one gate (gate.go), which preserves
// the copy-on-write snapshot image, marks the customer dirty and reschedules.
//
// Money is money.Amount (the money package): exact, bounded fixed point, no
// float, carried by commands from the HTTP edge to the log. The only rounding
// is half-up, in one function (Amount.RoundHalfUp and the 12-digit rounding
// of Mul past the precision); the engine asserts the input bound again when
// it applies a command (inputAmount).
//
// Proration: every prorated amount (a subscription charge for part of a
// billing period, a seat added mid-period, a recurring grant for a period cut
// short by its term) is amount × remaining time of the period ÷ the period's
// length, computed exactly in nanoseconds of UTC calendar periods, then
// rounded half-up to 2 decimal places of the unit (hundredths of a cent for
// USD). By hand: an ANNUAL seat at 10000 cents added on 2026-04-16 of the term
// 2026-04-01 to 2027-04-01 is 10000 × 350/365 = 9589.0410… → 9589.04; 100
// credits per seat for the rest of April from that instant are 100 × 15/30 =
// 50. A whole period is never prorated. The rule lives in proration.go.
//
// Customers are partitioned across shards, each owned by one goroutine. A log
// entry's customer-scoped commands are split by shard and applied in log order
// within each shard, shards in parallel; catalog changes and customer creation
// act as barriers between those parallel runs.
//
// Rating is bound by cache misses on customers it has not touched lately, so
// the hot path touches few lines: a task reaches its customer through its
// handle, the fields rating reads lead their structs (TestRatingFieldsAreCompact),
// and a per-customer summary of the terms (terms.go) says whether payments or
// alerts need looking at. TestTermsSummaryIsCurrent and
// TestGatingChangesNothing prove these shortcuts change no state; bench/enginecmp.sh measures them on a noisy machine.
package engine
