// Package demo plays the five guides of the seed documents (prepaid credits
// behind a payment gate, seats with pooled credits, threshold billing and
// auto-recharge, spend alerts, pay-as-you-go with an upgrade) against a
// running Burndown node with a test clock, as an API client would: plain
// HTTP and JSON, a webhook receiver of its own that verifies every
// signature, and every number it shows read back from the API and checked
// against SCENARIOS.md. It imports no Burndown package, so it can only do
// what any client can. `burndown demo` runs it.
package demo
