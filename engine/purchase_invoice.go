package engine

// PurchaseInvoices are the invoices the contract's payment-gated commits
// are paid through (a gated commit, an auto-recharge, a threshold charge):
// one per payment workflow, whose id is the workflow's invoice_id (the one
// the payment_gate webhooks carry). Each is a SCHEDULED invoice dated and
// issued when its gate was raised, with one commit_purchase line of the
// workflow's amount in its credit type (fiat when the commit names none),
// FINALIZED, or VOID once its payment failed. They are built from the
// workflows when read, so nothing new is stored and an old log reads back
// with the invoices of its gates. monthly_invoice_total_spend_threshold_reached
// counts them (purchasesIn); they are not rated. A STRIPE gate paid by
// invoice (stripe_gate.go) is sent to Stripe as an invoice of its own, and
// its Stripe invoice, once known, shows as the invoice's External: PAID once
// paid, PAYMENT_FAILED once failed, FINALIZED while pending; one paid by a
// PaymentIntent has none (the gate's own charge is what Stripe sees).
func (k *Contract) PurchaseInvoices(fiat string) []*Invoice {
	if len(k.Workflows()) == 0 {
		return nil
	}
	out := make([]*Invoice, 0, len(k.Workflows()))
	for _, wf := range k.Workflows() {
		ct := wf.CreditType
		if ct == "" {
			ct = fiat
		}
		status := InvoiceFinalized
		if wf.Status == GateFailed {
			status = InvoiceVoid
		}
		var product string
		if cm := k.purchasedCommit(wf.CommitID); cm != nil {
			product = cm.ProductID
		}
		inv := &Invoice{ID: wf.InvoiceID, ContractID: k.ID, Start: wf.CreatedAt, End: wf.CreatedAt, Status: status,
			FinalizedAt: wf.CreatedAt, CreditTypeID: ct, Total: wf.Amount, Lines: []*InvoiceLine{{
				Type: LineCommitPurchase, ProductID: product, CommitID: wf.CommitID, CreditTypeID: ct,
				Quantity: amountOne, Total: wf.Amount, Item: NewLineItem("", "", wf.Amount),
			}}}
		inv.SetExternal(wf.stripeInvoice())
		out = append(out, inv)
	}
	return out
}

// purchasedCommit finds a workflow's commit: in force (paid) or gated
// (pending or voided).
func (k *Contract) purchasedCommit(id string) *Commit {
	if cm := k.Commit(id); cm != nil {
		return cm
	}
	cm, _ := k.gated(id)
	return cm
}

// stripeInvoice is the Stripe invoice a workflow is paid through, as its
// purchase invoice's External (nil: none known).
func (wf *PaymentWorkflow) stripeInvoice() *ExternalInvoice {
	if wf.StripeInvoiceID == "" {
		return nil
	}
	status := ExternalFinalized
	switch wf.Status {
	case GatePaid:
		status = ExternalPaid
	case GateFailed:
		status = ExternalPaymentFailed
	}
	return &ExternalInvoice{Provider: ProviderStripeBilling, InvoiceID: wf.StripeInvoiceID, Status: status}
}
