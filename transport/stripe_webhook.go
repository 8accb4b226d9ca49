package transport

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"
	"github.com/valyala/fasthttp"

	"burndown/effects"
	"burndown/engine"
)

// Stripe's events arrive on POST /v1/stripe/webhook, verified with the
// endpoint secret; they settle what the leader's dispatcher (package
// effects) asked Stripe for: a STRIPE payment gate's PaymentIntent, a
// usage invoice sent to Stripe. The objects name Burndown's ids in the
// metadata the Stripe client (effects/stripe.go) put on them.

// StripeWebhookPath is where Stripe sends events.
const StripeWebhookPath = "/v1/stripe/webhook"

// stripeWebhook serves POST /v1/stripe/webhook. It is authenticated by the
// Stripe-Signature header (the endpoint secret), not the admin token.
// payment_intent.succeeded and payment_intent.payment_failed settle the
// workflow named in the PaymentIntent's metadata, and
// payment_intent.requires_action records that it waits for the customer's
// action (engine/payment_action.go); invoice.finalized,
// invoice.payment_failed, invoice.marked_uncollectible, invoice.paid and
// invoice.voided move the external_status of the usage invoice named in
// the invoice's metadata (forward only: engine/stripe_invoice.go), except
// that invoice.paid and invoice.payment_failed of an invoice whose
// metadata names a workflow (a STRIPE gate paid by invoice) settle that
// workflow (stripePurchaseEvent). Other
// events, and objects that are not Burndown's, are acknowledged and
// ignored.
func (s *Server) stripeWebhook(ctx *fasthttp.RequestCtx) {
	if !ctx.IsPost() {
		ctx.Response.Header.Set("Allow", fasthttp.MethodPost)
		writeError(ctx, &apiError{Status: fasthttp.StatusMethodNotAllowed, Message: "method: only POST is allowed on " + StripeWebhookPath})
		return
	}
	if s.cfg.StripeWebhookSecret == "" {
		writeError(ctx, notFound("path: %s is not configured (--stripe-webhook-secret)", StripeWebhookPath))
		return
	}
	body, err := readBody(ctx, s.cfg.MaxBodyBytes)
	if err != nil {
		writeError(ctx, err)
		return
	}
	ev, err := webhook.ConstructEventWithOptions(body, string(ctx.Request.Header.Peek("Stripe-Signature")), s.cfg.StripeWebhookSecret,
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		writeError(ctx, badRequest("Stripe-Signature: %v", err))
		return
	}
	if !s.node.IsLeader() {
		s.forward(ctx)
		return
	}
	if outcome, ok := stripePaymentOutcome(string(ev.Type)); ok {
		s.stripePaymentEvent(ctx, &ev, outcome)
		return
	}
	if status, ok := stripeInvoiceStatus(string(ev.Type)); ok {
		s.stripeInvoiceEvent(ctx, &ev, status)
		return
	}
	ackStripe(ctx, "ignored: event type "+string(ev.Type))
}

// stripePaymentOutcome is the outcome a PaymentIntent event settles a
// STRIPE gate's workflow with (false: not an event Burndown reads).
func stripePaymentOutcome(eventType string) (string, bool) {
	switch eventType {
	case "payment_intent.succeeded":
		return engine.GatePaid, true
	case "payment_intent.payment_failed":
		return engine.GateFailed, true
	case "payment_intent.requires_action":
		return engine.GateActionRequired, true
	}
	return "", false
}

// stripeInvoiceStatus is the external_status an invoice event moves a sent
// invoice to (false: not an event Burndown reads).
func stripeInvoiceStatus(eventType string) (string, bool) {
	switch eventType {
	case "invoice.finalized":
		return engine.ExternalFinalized, true
	case "invoice.payment_failed":
		return engine.ExternalPaymentFailed, true
	case "invoice.marked_uncollectible":
		return engine.ExternalUncollectible, true
	case "invoice.paid":
		return engine.ExternalPaid, true
	case "invoice.voided":
		return engine.ExternalVoid, true
	}
	return "", false
}

// ackStripe answers Stripe 200 for an event it must not retry.
func ackStripe(ctx *fasthttp.RequestCtx, note string) {
	writeJSON(ctx, map[string]any{"received": true, "note": note}) //nolint:errcheck
}

// stripePaymentEvent settles the workflow of a PaymentIntent event.
func (s *Server) stripePaymentEvent(ctx *fasthttp.RequestCtx, ev *stripe.Event, outcome string) {
	var pi stripe.PaymentIntent
	if ev.Data == nil || json.Unmarshal(ev.Data.Raw, &pi) != nil {
		writeError(ctx, badRequest("data.object: not a payment_intent"))
		return
	}
	wf := pi.Metadata[effects.StripeMetaWorkflow]
	if wf == "" {
		ackStripe(ctx, "ignored: not a Burndown payment")
		return
	}
	cmd := &engine.ReleasePaymentGate{WorkflowID: wf, Outcome: outcome, Provider: engine.ProviderStripe}
	if outcome == engine.GateActionRequired {
		cmd = effects.ActionRequired(wf, &pi)
	}
	if outcome == engine.GateFailed {
		cmd.ErrorMessage = "payment failed"
		if pi.LastPaymentError != nil {
			cmd.ErrorMessage = effects.StripeErrorReason(pi.LastPaymentError)
		}
	}
	res, ok := s.proposeStripeEvent(ctx, cmd)
	if !ok {
		return
	}
	status := ""
	if res.Gate != nil {
		status = res.Gate.Status
	}
	writeJSON(ctx, map[string]any{"received": true, "workflow_id": wf, "payment_gate_status": status}) //nolint:errcheck
}

// stripeInvoiceEvent records the status of an invoice event on the usage
// invoice Burndown sent (or records the invoice, when the event comes
// before the dispatcher's own record).
func (s *Server) stripeInvoiceEvent(ctx *fasthttp.RequestCtx, ev *stripe.Event, status string) {
	var inv stripe.Invoice
	if ev.Data == nil || json.Unmarshal(ev.Data.Raw, &inv) != nil || inv.ID == "" {
		writeError(ctx, badRequest("data.object: not an invoice"))
		return
	}
	if wf := inv.Metadata[effects.StripeMetaWorkflow]; wf != "" {
		s.stripePurchaseEvent(ctx, &inv, wf, status)
		return
	}
	ours, customer := inv.Metadata[effects.StripeMetaInvoice], inv.Metadata[effects.StripeMetaCustomer]
	if ours == "" || customer == "" {
		ackStripe(ctx, "ignored: not a Burndown invoice")
		return
	}
	cmd := &engine.RecordExternalInvoice{CustomerID: customer, InvoiceID: ours, Provider: engine.ProviderStripeBilling, ExternalID: inv.ID, Status: status}
	if inv.StatusTransitions != nil && inv.StatusTransitions.FinalizedAt > 0 && inv.StatusTransitions.FinalizedAt < 1<<33 {
		cmd.IssuedAt = inv.StatusTransitions.FinalizedAt * 1e9
	}
	if _, ok := s.proposeStripeEvent(ctx, cmd); !ok {
		return
	}
	writeJSON(ctx, map[string]any{"received": true, "invoice_id": ours, "external_invoice_id": inv.ID}) //nolint:errcheck
}

// stripePurchaseEvent settles the workflow of a STRIPE gate paid through a
// Stripe invoice (engine/stripe_gate.go; the invoice's metadata names the
// workflow): invoice.paid pays it, invoice.payment_failed fails it, each
// naming the Stripe invoice; the other invoice events are acknowledged and
// ignored (the payment settles the gate).
func (s *Server) stripePurchaseEvent(ctx *fasthttp.RequestCtx, inv *stripe.Invoice, wf, status string) {
	cmd := &engine.ReleasePaymentGate{WorkflowID: wf, Provider: engine.ProviderStripe, StripeInvoiceID: inv.ID}
	switch status {
	case engine.ExternalPaid:
		cmd.Outcome = engine.GatePaid
	case engine.ExternalPaymentFailed:
		cmd.Outcome, cmd.ErrorMessage = engine.GateFailed, "the Stripe invoice "+inv.ID+"'s payment failed"
	default:
		ackStripe(ctx, "ignored: the payment settles a purchase invoice")
		return
	}
	res, ok := s.proposeStripeEvent(ctx, cmd)
	if !ok {
		return
	}
	st := ""
	if res.Gate != nil {
		st = res.Gate.Status
	}
	writeJSON(ctx, map[string]any{"received": true, "workflow_id": wf, "payment_gate_status": st, "external_invoice_id": inv.ID}) //nolint:errcheck
}

// proposeStripeEvent proposes the command a Stripe event asks for. It
// answers Stripe itself unless the command was applied: a 5xx (or a
// forward to the leader) so Stripe retries, or a 200 "ignored" when the
// engine refused the command (not ours: unknown, another gate type,
// another invoice), which Stripe must not retry.
func (s *Server) proposeStripeEvent(ctx *fasthttp.RequestCtx, cmd engine.Command) (engine.Result, bool) {
	pctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	res, err := s.node.Propose(pctx, cmd)
	cancel()
	if err != nil {
		if perr := proposeError(err); errors.Is(perr, errNotLeaderForward) {
			s.forward(ctx)
		} else {
			writeError(ctx, perr) // 5xx: Stripe retries
		}
		return engine.Result{}, false
	}
	if res.Err != nil {
		ackStripe(ctx, "ignored: "+res.Err.Message)
		return engine.Result{}, false
	}
	return res, true
}
