package effects

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/stripe/stripe-go/v82"

	"burndown/engine"
)

// Finalized usage invoices sent to Stripe (engine/stripe_invoice.go). The
// engine queues invoice.stripe_send when a Stripe customer's usage invoice
// is finalized; the leader's dispatcher (provider.go) hands it to
// Stripe.SendInvoice, which makes three kinds of requests, each with an
// Idempotency-Key derived from the notification id and the request's
// role, so a re-send by any leader (the first one died before the record
// was applied) gets Stripe's first answers instead of new objects:
//
//   - POST /v1/invoices (key "<id>:invoice"): a draft for the Stripe
//     customer, in usd, collection charge_automatically, auto_advance
//     false, pending_invoice_items_behavior exclude (only Burndown's
//     items), metadata naming Burndown's customer, contract and invoice;
//   - POST /v1/invoiceitems (key "<id>:item:<n>"), one per line, on that
//     invoice: the line's description and whole cents (the engine rounds
//     them half-up and adds a rounding line, so they add up to the
//     invoice's total rounded half-up);
//   - POST /v1/invoices/{id}/finalize (key "<id>:finalize", auto_advance
//     true: Stripe collects it).
//
// Then record_external_invoice stores Stripe's invoice id on Burndown's
// invoice (GET /v1/customers/{id}/invoices shows it as external_invoice).
// Any error is retried by the dispatcher with the same keys (Stripe keeps
// them 24 hours; once the record is applied nothing is sent again); a
// request Stripe refuses for good is retried until the dispatcher gives
// it up, like a webhook, and listed with the failed deliveries.

// Metadata keys Burndown puts on a Stripe invoice and its items.
const (
	StripeMetaInvoice = "burndown_invoice_id"
	StripeMetaLine    = "burndown_line"
)

// Idempotency-Key suffixes of an invoice's requests.
const (
	stripeKeyInvoice  = ":invoice"
	stripeKeyItem     = ":item:"
	stripeKeyFinalize = ":finalize"
)

// decodeStripeInvoice reads an invoice.stripe_send payload and checks what
// the requests need: ids, a currency and lines adding up to the total.
func decodeStripeInvoice(payload []byte) (engine.StripeInvoice, error) {
	var note struct {
		Properties engine.StripeInvoice `json:"properties"`
	}
	if err := json.Unmarshal(payload, &note); err != nil {
		return note.Properties, fmt.Errorf("stripe: invoice payload: %w", err)
	}
	p := note.Properties
	switch {
	case p.StripeCustomerID == "" || p.InvoiceID == "" || p.CustomerID == "":
		return p, errors.New("stripe: invoice payload: customer_id, invoice_id and stripe_customer_id are required")
	case p.Currency == "":
		return p, errors.New("stripe: invoice payload: currency is required")
	case len(p.Lines) == 0:
		return p, errors.New("stripe: invoice payload: no lines")
	}
	var sum int64
	for i, l := range p.Lines {
		if l.Description == "" {
			return p, fmt.Errorf("stripe: invoice payload: lines[%d].description is required", i)
		}
		// Whole cents well within int64: a sum cannot wrap.
		if l.AmountCents > 1<<53 || l.AmountCents < -(1<<53) {
			return p, fmt.Errorf("stripe: invoice payload: lines[%d].amount_cents %d is out of range", i, l.AmountCents)
		}
		sum += l.AmountCents
	}
	if sum != p.TotalCents {
		return p, fmt.Errorf("stripe: invoice payload: lines add up to %d cents, total_cents is %d", sum, p.TotalCents)
	}
	return p, nil
}

// SendInvoice sends an invoice.stripe_send notification's invoice to
// Stripe (see above) and returns the record of Stripe's invoice.
func (s *Stripe) SendInvoice(ctx context.Context, key string, payload []byte) (*engine.RecordExternalInvoice, error) {
	p, err := decodeStripeInvoice(payload)
	if err != nil {
		return nil, err
	}
	meta := map[string]string{StripeMetaInvoice: p.InvoiceID, StripeMetaCustomer: p.CustomerID, StripeMetaContract: p.ContractID}
	ip := &stripe.InvoiceCreateParams{
		Customer: stripe.String(p.StripeCustomerID), Currency: stripe.String(p.Currency),
		CollectionMethod: stripe.String(string(stripe.InvoiceCollectionMethodChargeAutomatically)), AutoAdvance: stripe.Bool(false),
		PendingInvoiceItemsBehavior: stripe.String("exclude"),
		Description:                 stripe.String("Burndown usage statement " + p.StartTimestamp + " to " + p.EndTimestamp),
	}
	for k, v := range meta {
		ip.AddMetadata(k, v)
	}
	ip.SetIdempotencyKey(key + stripeKeyInvoice)
	inv, err := s.sc.V1Invoices.Create(ctx, ip)
	if err != nil {
		return nil, fmt.Errorf("stripe: create invoice: %w", err)
	}
	if inv.ID == "" {
		return nil, errors.New("stripe: create invoice: no id in the answer")
	}
	for i, l := range p.Lines {
		it := &stripe.InvoiceItemCreateParams{
			Customer: stripe.String(p.StripeCustomerID), Invoice: stripe.String(inv.ID), Currency: stripe.String(p.Currency),
			Amount: stripe.Int64(l.AmountCents), Description: stripe.String(l.Description),
		}
		for k, v := range meta {
			it.AddMetadata(k, v)
		}
		it.AddMetadata(StripeMetaLine, strconv.Itoa(i))
		it.SetIdempotencyKey(key + stripeKeyItem + strconv.Itoa(i))
		if _, err := s.sc.V1InvoiceItems.Create(ctx, it); err != nil {
			return nil, fmt.Errorf("stripe: create invoice item %d: %w", i, err)
		}
	}
	fp := &stripe.InvoiceFinalizeInvoiceParams{AutoAdvance: stripe.Bool(true)}
	fp.SetIdempotencyKey(key + stripeKeyFinalize)
	fin, err := s.sc.V1Invoices.FinalizeInvoice(ctx, inv.ID, fp)
	if err != nil {
		return nil, fmt.Errorf("stripe: finalize invoice %s: %w", inv.ID, err)
	}
	rec := &engine.RecordExternalInvoice{CustomerID: p.CustomerID, InvoiceID: p.InvoiceID, Provider: engine.ProviderStripeBilling,
		ExternalID: inv.ID, Status: externalStatus(fin.Status)}
	if fin.StatusTransitions != nil && fin.StatusTransitions.FinalizedAt > 0 && fin.StatusTransitions.FinalizedAt < 1<<33 {
		rec.IssuedAt = fin.StatusTransitions.FinalizedAt * 1e9
	}
	return rec, nil
}

// externalStatus is Metronome's external_status of a finalized Stripe
// invoice's status.
func externalStatus(st stripe.InvoiceStatus) string {
	switch st {
	case stripe.InvoiceStatusPaid:
		return engine.ExternalPaid
	case stripe.InvoiceStatusVoid:
		return engine.ExternalVoid
	case stripe.InvoiceStatusUncollectible:
		return engine.ExternalUncollectible
	}
	return engine.ExternalFinalized // open (or a mock's fixture): finalized
}

// stripeKeyVoid is the Idempotency-Key suffix of an invoice's void.
const stripeKeyVoid = ":void"

// VoidInvoice voids the Stripe invoice an invoice.stripe_void notification
// names (POST /v1/invoices/{id}/void, key "<id>:void") and returns the
// record moving its external_status to VOID. When Stripe refuses because
// the invoice is no longer open (paid meanwhile, say), the record carries
// the status Stripe shows instead, so external_status says what happened;
// any other error is retried.
func (s *Stripe) VoidInvoice(ctx context.Context, key string, payload []byte) (*engine.RecordExternalInvoice, error) {
	var note struct {
		Properties engine.StripeVoid `json:"properties"`
	}
	if err := json.Unmarshal(payload, &note); err != nil {
		return nil, fmt.Errorf("stripe: void payload: %w", err)
	}
	p := note.Properties
	if p.CustomerID == "" || p.InvoiceID == "" || p.StripeInvoiceID == "" {
		return nil, errors.New("stripe: void payload: customer_id, invoice_id and stripe_invoice_id are required")
	}
	rec := &engine.RecordExternalInvoice{CustomerID: p.CustomerID, InvoiceID: p.InvoiceID, Provider: engine.ProviderStripeBilling,
		ExternalID: p.StripeInvoiceID, Status: engine.ExternalVoid}
	vp := &stripe.InvoiceVoidInvoiceParams{}
	vp.SetIdempotencyKey(key + stripeKeyVoid)
	_, err := s.sc.V1Invoices.VoidInvoice(ctx, p.StripeInvoiceID, vp)
	var se *stripe.Error
	if err == nil {
		return rec, nil
	}
	if !errors.As(err, &se) || se.Type != stripe.ErrorTypeInvalidRequest || se.HTTPStatusCode != 400 {
		return nil, fmt.Errorf("stripe: void invoice %s: %w", p.StripeInvoiceID, err)
	}
	inv, gerr := s.sc.V1Invoices.Retrieve(ctx, p.StripeInvoiceID, nil)
	if gerr != nil {
		return nil, fmt.Errorf("stripe: void invoice %s refused (%v), then reading it: %w", p.StripeInvoiceID, err, gerr)
	}
	rec.Status = externalStatus(inv.Status)
	return rec, nil
}
