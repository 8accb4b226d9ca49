package engine

// PurchaseInvoices are the invoices the contract's payment-gated commits
// are paid through (a gated commit, an auto-recharge, a threshold charge):
// one per payment workflow, whose id is the workflow's invoice_id (the one
// the payment_gate webhooks carry). Each is a SCHEDULED invoice dated and
// issued when its gate was raised, with one commit_purchase line of the
// workflow's amount in its credit type (fiat when the commit names none),
// FINALIZED, or VOID once its payment failed. They are built from the
// workflows when read, so nothing new is stored and an old log reads back
// with the invoices of its gates; they are not rated, counted by alerts or
// sent to Stripe (the gate's own charge is what Stripe sees).
func (k *Contract) PurchaseInvoices(fiat string) []*Invoice {
	if len(k.Workflows) == 0 {
		return nil
	}
	out := make([]*Invoice, 0, len(k.Workflows))
	for _, wf := range k.Workflows {
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
		out = append(out, &Invoice{ID: wf.InvoiceID, ContractID: k.ID, Start: wf.CreatedAt, End: wf.CreatedAt, Status: status,
			FinalizedAt: wf.CreatedAt, CreditTypeID: ct, Total: wf.Amount, Lines: []*InvoiceLine{{
				Type: LineCommitPurchase, ProductID: product, CommitID: wf.CommitID, CreditTypeID: ct,
				Quantity: amountOne, Total: wf.Amount, Item: NewLineItem("", "", wf.Amount),
			}}})
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
