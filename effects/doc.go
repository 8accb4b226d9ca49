// Package effects is everything that leaves the process: webhook delivery
// and signing (webhook.go, sign.go), the Stripe client (stripe.go: charges
// through PaymentIntents; stripe_purchase.go: purchases paid through a
// Stripe invoice; stripe_invoice.go: finalized invoices), and the
// dispatcher (dispatch.go) that, on the leader only, reads the replicated
// outbox of package cluster, delivers each notification with retries and
// backoff (backoff.go), makes the provider calls it asks for
// (provider.go), and proposes the outcomes back through the log: delivery
// marks and failures, release_payment_gate, record_external_invoice.
//
// Nothing here runs inside apply, and nothing here decides what a command
// means: the engine queues notifications with ids derived from the log,
// package cluster keeps them replicated, and this package only delivers
// them and reports what the receivers and providers answered. Delivery is
// at least once (a new leader resends what was not recorded, with the same
// id); provider calls carry idempotency keys derived from the notification
// id, so charging is exactly once.
//
// It imports cluster (the seam it drives is the Node interface), never the
// other way round; cmd/burndown wires a Dispatcher to the node. The inbound
// side of Stripe (POST /v1/stripe/webhook, its signature check) is HTTP
// the server receives, and lives in package transport.
package effects
