package engine

// Voiding an invoice sent to Stripe. Burndown voids its own invoice at
// once (invoice_void.go) and queues invoice.stripe_void for the leader's
// Stripe client (effects), which voids Stripe's invoice with an
// idempotency key derived from the notification id and records the answer
// (record_external_invoice with status VOID), so external_status follows.
//
// What cannot be voided is refused before anything changes: an invoice
// Stripe shows as paid (Stripe voids no paid invoice; refund or credit it
// there), and one still on its way to Stripe (finalized, to be sent, but
// without its Stripe invoice recorded yet): void it once external_invoice
// shows.

// NoteStripeVoid asks the leader's Stripe client to void the Stripe
// invoice of a voided invoice.
const NoteStripeVoid = "invoice.stripe_void"

// StripeVoid is the properties of an invoice.stripe_void notification.
type StripeVoid struct {
	CustomerID string `json:"customer_id"`
	ContractID string `json:"contract_id"`
	InvoiceID  string `json:"invoice_id"`
	// StripeInvoiceID is Stripe's invoice (in_...).
	StripeInvoiceID string `json:"stripe_invoice_id"`
}

// stripeUnvoidable says why a finalized invoice of a contract that sends
// to Stripe cannot be voided ("" when it can).
func (k *Contract) stripeUnvoidable(c *Customer, inv *Invoice, cat *Catalog) string {
	switch x := inv.External(); {
	case x == nil:
		if _, sent := k.stripeInvoice(c, inv, cat); sent {
			return "invoice " + inv.ID + " is being sent to stripe; void it once its external_invoice shows"
		}
	case x.Status == ExternalPaid:
		return "invoice " + inv.ID + " is paid in stripe (" + x.InvoiceID + "), and stripe voids no paid invoice; refund or credit it in stripe"
	}
	return ""
}

// voidInStripe queues the void of the invoice's Stripe invoice, if it has
// one that Stripe has not voided already.
func (s *shard) voidInStripe(c *Customer, k *Contract, inv *Invoice) {
	x := inv.External()
	if x == nil || x.Status == ExternalVoid {
		return
	}
	s.notes = append(s.notes, pendingNote{customerID: c.ID, typ: NoteStripeVoid,
		props: StripeVoid{CustomerID: c.ID, ContractID: k.ID, InvoiceID: inv.ID, StripeInvoiceID: x.InvoiceID}})
}
