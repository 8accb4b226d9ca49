package effects

import (
	"context"
	"encoding/json"
	"time"

	"burndown/cluster"
	"burndown/engine"
)

// Provider calls: a payment_gate.stripe_charge or invoice.stripe_send
// notification goes to the payment provider alone (never to a webhook
// destination), and "delivering" it is charging it through
// Config.Payments and proposing the release its result settles, or sending
// the invoice and proposing the record of Stripe's invoice.

// StripeDestinationID names the payment provider in marks.
const StripeDestinationID = "stripe"

// forStripe reports whether a notification is the payment provider's.
func forStripe(typ string) bool {
	return typ == engine.NoteStripeCharge || typ == engine.NoteStripeInvoice || typ == engine.NoteStripeVoid
}

// chargeTimeout bounds one charge (the provider's answer).
const chargeTimeout = 30 * time.Second

// PaymentCharger charges payment gates for the leader's dispatcher (Stripe
// is one). It runs on the leader only, never in apply.
type PaymentCharger interface {
	// Charge makes the charge a payment_gate.stripe_charge notification
	// (its payload) asks for, with the idempotency key (the notification's
	// id, stable across leaders and replays, so a retry never charges
	// twice). It returns the release that settles the workflow now, or
	// nil when the outcome comes later (from the provider's events); an
	// error means "retry later".
	Charge(ctx context.Context, idempotencyKey string, payload []byte) (*engine.ReleasePaymentGate, error)
	// SendInvoice sends the finalized invoice an invoice.stripe_send
	// notification (its payload) carries: a provider invoice with its
	// items, finalized. Every request it makes carries an idempotency key
	// derived from idempotencyKey (the notification's id) and the
	// request's role, so a re-send by any leader creates nothing twice. It
	// returns the record of the provider's invoice to propose; an error
	// means "retry later".
	SendInvoice(ctx context.Context, idempotencyKey string, payload []byte) (*engine.RecordExternalInvoice, error)
	// VoidInvoice voids the provider invoice of a voided invoice (an
	// invoice.stripe_void notification's payload), with an idempotency
	// key derived from idempotencyKey, and returns the record of its new
	// status to propose; an error means "retry later".
	VoidInvoice(ctx context.Context, idempotencyKey string, payload []byte) (*engine.RecordExternalInvoice, error)
}

// providerSend makes a request to the payment provider for an outbox
// notification with its idempotency key and returns the command recording
// the provider's answer (nil: nothing to record now, e.g. a payment whose
// outcome comes by event).
type providerSend func(ctx context.Context, p PaymentCharger, key string, payload []byte) (engine.Command, error)

// chargeGate charges a STRIPE gate; its answer is the release that settles
// the workflow (if it settles now).
func chargeGate(ctx context.Context, p PaymentCharger, key string, payload []byte) (engine.Command, error) {
	rel, err := p.Charge(ctx, key, payload)
	if err != nil || rel == nil {
		return nil, err
	}
	rel.Provider = engine.ProviderStripe
	return rel, nil
}

// sendFinalizedInvoice sends a finalized invoice to Stripe; its answer is
// the record of Stripe's invoice.
func sendFinalizedInvoice(ctx context.Context, p PaymentCharger, key string, payload []byte) (engine.Command, error) {
	rec, err := p.SendInvoice(ctx, key, payload)
	if err != nil || rec == nil {
		return nil, err
	}
	return rec, nil
}

// voidSentInvoice voids a voided invoice's Stripe invoice; its answer is
// the record of the Stripe invoice's new status.
func voidSentInvoice(ctx context.Context, p PaymentCharger, key string, payload []byte) (engine.Command, error) {
	rec, err := p.VoidInvoice(ctx, key, payload)
	if err != nil || rec == nil {
		return nil, err
	}
	return rec, nil
}

// callProvider makes a provider call for a notification, unless settled
// says its business is already recorded here (a settled workflow, a
// recorded invoice: nothing to send, even once the provider has forgotten
// the idempotency key), and proposes the command recording its answer. The
// call is done once that command is applied; if this leader dies before,
// the next one calls again with the same idempotency keys (the provider
// answers with the first call's results) and proposes the record again
// (releases and invoice records are idempotent).
func (t *termState) callProvider(ctx context.Context, k deliveryKey, r cluster.OutboxRecord, what string, settled func(context.Context, []byte) bool, send providerSend) {
	defer t.wg.Done()
	res := deliveryResult{key: k}
	defer func() { t.report(ctx, res) }()
	p := t.cfg.Payments
	if p == nil {
		t.log.Warn(what+" waits: no Stripe client is configured (--stripe-api-key)", "notification", r.ID)
		return
	}
	if settled(ctx, r.Payload) {
		res.ok = true
		return
	}
	key := r.ID
	if r.NotificationID != "" {
		key = r.NotificationID // a replay calls as the original did
	}
	cctx, cancel := context.WithTimeout(ctx, chargeTimeout)
	cmd, err := send(cctx, p, key, r.Payload)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			t.log.Warn(what+" failed; retrying", "notification", r.ID, "err", err)
		}
		return
	}
	if cmd != nil {
		out, err := t.node.Propose(ctx, cmd)
		if err != nil {
			if ctx.Err() == nil {
				t.log.Warn("recording the answer to "+what+" failed; retrying", "notification", r.ID, "err", err)
			}
			return
		}
		if out.Err != nil {
			t.log.Warn("the answer to "+what+" was refused", "notification", r.ID, "err", out.Err.Message)
		}
	}
	res.ok = true
}

// invoiceRecorded reports whether the invoice a stripe_send names already
// has its provider invoice recorded (false when that cannot be read).
func (t *termState) invoiceRecorded(ctx context.Context, payload []byte) bool {
	var note struct {
		Properties engine.StripeInvoice `json:"properties"`
	}
	if json.Unmarshal(payload, &note) != nil {
		return false
	}
	p := note.Properties
	inv := t.readInvoice(ctx, p.CustomerID, p.ContractID, p.InvoiceID)
	return inv != nil && inv.External() != nil
}

// voidRecorded reports whether the Stripe invoice a stripe_void names is
// recorded as void here, or as paid (Stripe refused the void; nothing to
// send again). False when that cannot be read.
func (t *termState) voidRecorded(ctx context.Context, payload []byte) bool {
	var note struct {
		Properties engine.StripeVoid `json:"properties"`
	}
	if json.Unmarshal(payload, &note) != nil {
		return false
	}
	p := note.Properties
	inv := t.readInvoice(ctx, p.CustomerID, p.ContractID, p.InvoiceID)
	return inv != nil && inv.External() != nil && (inv.External().Status == engine.ExternalVoid || inv.External().Status == engine.ExternalPaid)
}

// readInvoice is a copy of the contract's invoice as this node holds it
// (nil when there is none, or it cannot be read).
func (t *termState) readInvoice(ctx context.Context, customerID, contractID, invoiceID string) *engine.Invoice {
	rd, ok, _ := t.node.Engine().ReadCustomer(ctx, customerID)
	if !ok {
		return nil
	}
	if k := rd.Customer.Contract(contractID); k != nil {
		return k.Invoice(invoiceID)
	}
	return nil
}

// workflowSettled reports whether the workflow a stripe_charge names is
// settled here, or waits for the customer's action on the charge already
// made (false when that cannot be read). A workflow settled by
// Stripe's event is not charged again, even once Stripe has forgotten the
// idempotency key (after 24 hours).
func (t *termState) workflowSettled(ctx context.Context, payload []byte) bool {
	var note struct {
		Properties engine.StripeCharge `json:"properties"`
	}
	if json.Unmarshal(payload, &note) != nil {
		return false
	}
	rd, ok, _ := t.node.Engine().ReadCustomer(ctx, note.Properties.CustomerID)
	if !ok {
		return false
	}
	if _, wf := rd.Customer.Workflow(note.Properties.WorkflowID); wf != nil {
		return wf.Status != engine.GatePending || wf.AwaitsAction() // charged: the customer acts
	}
	return false
}
