package effects

import (
	"context"
	"errors"
	"strings"

	"github.com/stripe/stripe-go/v82"

	"burndown/engine"
)

// STRIPE payment gates paid through a Stripe invoice (stripe_config
// payment_type INVOICE, Metronome's default: engine/stripe_gate.go).
// Charge hands a payment_gate.stripe_charge of that type to
// chargeByInvoice, which, after finding the payment method as for a
// PaymentIntent, makes four requests, each with an Idempotency-Key
// derived from the notification id and the request's role as SendInvoice
// does, so a retry by any leader creates and charges nothing twice:
//
//   - POST /v1/invoices ("<id>:invoice"): a draft for the Stripe customer,
//     charge_automatically, auto_advance false (Burndown pays it now),
//     pending_invoice_items_behavior exclude, with the gate's
//     invoice_metadata and Burndown's workflow, customer and contract;
//   - POST /v1/invoiceitems ("<id>:item:0"): the purchase, in whole cents
//     rounded half-up as Charge rounds;
//   - POST /v1/invoices/{id}/finalize ("<id>:finalize");
//   - POST /v1/invoices/{id}/pay ("<id>:pay"): off-session, with that
//     payment method.
//
// The answer settles the workflow as Charge's does, naming the Stripe
// invoice (engine.ReleasePaymentGate.StripeInvoiceID, shown on the
// purchase invoice as external_invoice): paid; a card error or 402 fails
// it with Stripe's reason; Stripe's invoice_payment_intent_requires_action
// error, or an invoice whose PaymentIntent requires action, leaves it
// pending on the customer's action; anything else is settled by Stripe's
// invoice.paid or invoice.payment_failed event (transport's
// /v1/stripe/webhook).

// Idempotency-Key suffix of the pay request (the others are SendInvoice's).
const stripeKeyPay = ":pay"

// chargeByInvoice pays a STRIPE gate's purchase of cents through a Stripe
// invoice with payment method pm (see above).
func (s *Stripe) chargeByInvoice(ctx context.Context, key string, p engine.StripeCharge, cents int64, pm string) (*engine.ReleasePaymentGate, error) {
	rel := func(outcome, reason, invoice string) *engine.ReleasePaymentGate {
		return &engine.ReleasePaymentGate{WorkflowID: p.WorkflowID, Outcome: outcome, ErrorMessage: reason, Provider: engine.ProviderStripe, StripeInvoiceID: invoice}
	}
	inv, err := s.createPurchaseInvoice(ctx, key, p, cents)
	if err != nil {
		return settleError(err, func(reason string) *engine.ReleasePaymentGate { return rel(engine.GateFailed, reason, "") })
	}
	failed := func(reason string) *engine.ReleasePaymentGate { return rel(engine.GateFailed, reason, inv) }
	fp := &stripe.InvoiceFinalizeInvoiceParams{AutoAdvance: stripe.Bool(false)}
	fp.SetIdempotencyKey(key + stripeKeyFinalize)
	if _, err := s.sc.V1Invoices.FinalizeInvoice(ctx, inv, fp); err != nil {
		return settleError(err, failed)
	}
	pp := &stripe.InvoicePayParams{OffSession: stripe.Bool(true), PaymentMethod: stripe.String(pm)}
	pp.AddExpand("payments.data.payment.payment_intent")
	pp.SetIdempotencyKey(key + stripeKeyPay)
	paid, err := s.sc.V1Invoices.Pay(ctx, inv, pp)
	if err != nil {
		var se *stripe.Error
		if errors.As(err, &se) && se.Code == stripe.ErrorCodeInvoicePaymentIntentRequiresAction {
			return invoiceActionRequired(p.WorkflowID, inv, se.PaymentIntent), nil
		}
		return settleError(err, failed)
	}
	if paid.Status == stripe.InvoiceStatusPaid {
		return rel(engine.GatePaid, "", inv), nil
	}
	if pi := invoicePaymentIntent(paid); pi != nil && pi.Status == stripe.PaymentIntentStatusRequiresAction {
		return invoiceActionRequired(p.WorkflowID, inv, pi), nil
	}
	return nil, nil // open, processing: Stripe's event settles it
}

// createPurchaseInvoice creates the draft invoice and its one item and
// returns the invoice's id.
func (s *Stripe) createPurchaseInvoice(ctx context.Context, key string, p engine.StripeCharge, cents int64) (string, error) {
	currency := strings.ToLower(p.InvoiceCurrency)
	ip := &stripe.InvoiceCreateParams{
		Customer: stripe.String(p.StripeCustomerID), Currency: stripe.String(currency),
		CollectionMethod: stripe.String(string(stripe.InvoiceCollectionMethodChargeAutomatically)), AutoAdvance: stripe.Bool(false),
		PendingInvoiceItemsBehavior: stripe.String("exclude"),
		Description:                 stripe.String("Burndown " + p.WorkflowType + " " + p.CommitID),
	}
	for k, v := range p.InvoiceMetadata {
		ip.AddMetadata(k, v)
	}
	ip.AddMetadata(StripeMetaWorkflow, p.WorkflowID)
	ip.AddMetadata(StripeMetaCustomer, p.CustomerID)
	ip.AddMetadata(StripeMetaContract, p.ContractID)
	ip.SetIdempotencyKey(key + stripeKeyInvoice)
	inv, err := s.sc.V1Invoices.Create(ctx, ip)
	if err != nil {
		return "", err
	}
	if inv.ID == "" {
		return "", errors.New("stripe: create invoice: no id in the answer")
	}
	it := &stripe.InvoiceItemCreateParams{
		Customer: stripe.String(p.StripeCustomerID), Invoice: stripe.String(inv.ID), Currency: stripe.String(currency),
		Amount: stripe.Int64(cents), Description: stripe.String("Burndown " + p.WorkflowType + " " + p.CommitID),
	}
	it.AddMetadata(StripeMetaWorkflow, p.WorkflowID)
	it.SetIdempotencyKey(key + stripeKeyItem + "0")
	if _, err := s.sc.V1InvoiceItems.Create(ctx, it); err != nil {
		return "", err
	}
	return inv.ID, nil
}

// invoicePaymentIntent is the PaymentIntent of an invoice's latest payment
// (nil: none in the answer).
func invoicePaymentIntent(inv *stripe.Invoice) *stripe.PaymentIntent {
	if inv.Payments == nil {
		return nil
	}
	for i := len(inv.Payments.Data) - 1; i >= 0; i-- {
		if pay := inv.Payments.Data[i]; pay != nil && pay.Payment != nil && pay.Payment.PaymentIntent != nil {
			return pay.Payment.PaymentIntent
		}
	}
	return nil
}

// invoiceActionRequired is the release of an invoice whose payment needs
// the customer's action (pi: its PaymentIntent, when Stripe named it).
func invoiceActionRequired(workflowID, invoice string, pi *stripe.PaymentIntent) *engine.ReleasePaymentGate {
	if pi == nil {
		pi = &stripe.PaymentIntent{}
	}
	rel := ActionRequired(workflowID, pi)
	rel.StripeInvoiceID = invoice
	return rel
}
