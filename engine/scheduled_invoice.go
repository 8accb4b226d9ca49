package engine

import "time"

// SCHEDULED invoices (Metronome's default for scheduled charges and commit
// purchases): unless a contract sets scheduled_charges_on_usage_invoices
// ALL, each item of its scheduled charges and of its prepaid commits'
// invoice schedules (commitbilling.go) is billed on a SCHEDULED invoice
// dated at the item's timestamp, one per timestamp and credit type,
// finalized (and announced, and sent to Stripe for a contract that sends
// there) when issued, at that timestamp, without a grace period. A contract created by a command
// written before the choice existed keeps its items on the usage invoices
// of their periods (Contract.SeparateScheduledInvoices false).

// Scheduled reports whether the invoice is a SCHEDULED one: dated at an
// instant (Start == End) rather than covering a usage period.
func (inv *Invoice) Scheduled() bool { return inv.Start == inv.End }

// Type is the invoice's Metronome type: USAGE or SCHEDULED.
func (inv *Invoice) Type() string {
	if inv.Scheduled() {
		return InvoiceTypeScheduled
	}
	return InvoiceTypeUsage
}

// chargeInvoice returns the invoice a scheduled-charge item of credit type
// ct at t is billed on: the usage invoice of its period, or, for a
// contract with separate scheduled invoices, the SCHEDULED invoice of t
// and ct. nil (with closed) when that invoice is finalized, or when the
// usage period has closed without one and !allowClosed.
func (k *Contract) chargeInvoice(t Nanos, ct string, allowClosed bool, now Nanos) (inv *Invoice, closed bool) {
	if k.chargeInvoiceClosed(t, ct, allowClosed, now) {
		return nil, true
	}
	if !k.SeparateScheduledInvoices {
		if inv = k.findInvoice(t); inv == nil {
			inv, _ = k.invoiceFor(t)
		}
		return inv, false
	}
	for _, s := range k.Invoices {
		if s.Scheduled() && s.Start == t && s.CreditTypeID == ct {
			return s, false
		}
	}
	inv = &Invoice{
		ID:    DeriveID(k.ID, "scheduled_invoice", time.Unix(0, t).UTC().Format(time.RFC3339Nano), ct),
		Start: t, End: t, Status: InvoiceDraft, ContractID: k.ID, CreditTypeID: ct,
	}
	k.insertInvoice(inv)
	return inv, false
}

// chargeInvoiceClosed reports, without changing anything, whether
// chargeInvoice would refuse an item of credit type ct at t: its invoice
// is finalized, or (consolidated, !allowClosed) its usage period closed
// without one.
func (k *Contract) chargeInvoiceClosed(t Nanos, ct string, allowClosed bool, now Nanos) bool {
	if !k.SeparateScheduledInvoices {
		inv := k.findInvoice(t)
		return (inv != nil && inv.Status != InvoiceDraft) || (inv == nil && !allowClosed && k.periodClosed(t, now))
	}
	for _, s := range k.Invoices {
		if s.Scheduled() && s.Start == t && s.CreditTypeID == ct {
			return s.Status != InvoiceDraft
		}
	}
	return false
}

// dropEmptyScheduled removes a draft SCHEDULED invoice left without lines
// (its last item archived or cut by a new end date): nothing is issued.
func (k *Contract) dropEmptyScheduled(inv *Invoice) {
	if !inv.Scheduled() || inv.Status != InvoiceDraft || len(inv.Lines) > 0 {
		return
	}
	for i, x := range k.Invoices {
		if x == inv {
			k.Invoices = append(k.Invoices[:i], k.Invoices[i+1:]...)
			return
		}
	}
}
