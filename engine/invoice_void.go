package engine

import (
	"fmt"

	"burndown/money"
)

// Voiding and regenerating invoices (Metronome's invoices/void and
// invoices/regenerate).
//
// Voiding a finalized invoice sets its status to VOID; it keeps its lines
// and is no longer billed. What it drew from commits and credits goes back
// to them: each of its deductions is followed by its cancellation, a
// deduction of the same invoice with the amount negated, dated at the void,
// which the ledger shows as *_CANCELED (what a segment that has already
// ended gets back expires at once). Its usage stays recorded and is billed
// again only when the invoice is regenerated.
//
// Regenerating a voided invoice makes a new finalized invoice for the same
// period (its id derived from the voided one's, so an invoice is
// regenerated once): the voided invoice's charges as they were rated, with
// the balances available now drawn again for its usage, in burn-down order.

// Kinds of VoidInvoice and RegenerateInvoice.
const (
	KindVoidInvoice       Kind = 56
	KindRegenerateInvoice Kind = 57
)

// InvoiceVoid is the status of a voided invoice, and of a purchase invoice
// whose payment failed (with InvoiceDraft and
// InvoiceFinalized).
const InvoiceVoid = "VOID"

// VoidInvoice voids a finalized invoice of the customer.
type VoidInvoice struct {
	CustomerID string `msgpack:"CustomerID"`
	InvoiceID  string `msgpack:"InvoiceID"`
}

func (*VoidInvoice) Kind() Kind { return KindVoidInvoice }

// RegenerateInvoice makes a new invoice from a voided one of the customer.
type RegenerateInvoice struct {
	CustomerID string `msgpack:"CustomerID"`
	InvoiceID  string `msgpack:"InvoiceID"`
}

func (*RegenerateInvoice) Kind() Kind { return KindRegenerateInvoice }

func routeVoidInvoice(b *batch, _ int, cmd Command) (*CustomerHandle, *Error) {
	return routeToCustomer(b, cmd.(*VoidInvoice).CustomerID)
}

func routeRegenerateInvoice(b *batch, _ int, cmd Command) (*CustomerHandle, *Error) {
	return routeToCustomer(b, cmd.(*RegenerateInvoice).CustomerID)
}

// invoiceOf finds the customer's invoice for a void or a regenerate.
func invoiceOf(c *Customer, customerID, invoiceID string) (*Contract, *Invoice, *Error) {
	if c == nil {
		return nil, nil, errorf(NotFound, "customer_id: customer %s not found", customerID)
	}
	k, inv := c.findInvoice(invoiceID)
	if inv == nil {
		return nil, nil, errorf(NotFound, "id: invoice %s not found", invoiceID)
	}
	return k, inv, nil
}

// validateVoidInvoice allows a finalized invoice of a contract that does
// not send its invoices to Stripe, whose draws can all go back.
func validateVoidInvoice(c *Customer, command Command, cat *Catalog, _ Nanos) *Error {
	cmd := command.(*VoidInvoice)
	k, inv, err := invoiceOf(c, cmd.CustomerID, cmd.InvoiceID)
	switch {
	case err != nil:
		return err
	case inv.Status == InvoiceVoid:
		return errorf(Invalid, "id: invoice %s is already void", inv.ID)
	case inv.Status != InvoiceFinalized:
		return errorf(Invalid, "id: invoice %s is a draft; only a finalized invoice can be voided", inv.ID)
	}
	if why := unvoidable(c, k, inv, cat); why != "" {
		return errorf(Invalid, "id: %s", why)
	}
	return nil
}

// unvoidable says why the contract's finalized invoice cannot be voided
// ("" when it can): Stripe cannot void it (stripe_void.go), or it drew on
// a postpaid commit already trued up.
func unvoidable(c *Customer, k *Contract, inv *Invoice, cat *Catalog) string {
	if why := k.stripeUnvoidable(c, inv, cat); why != "" {
		return why
	}
	for _, cm := range k.Balances {
		for _, s := range cm.Segments {
			if cm.postpaid() && s.Expired && deductionOf(s, inv.ID).IsPositive() {
				return fmt.Sprintf("invoice %s drew on postpaid commit %s, whose term has ended and been trued up; voiding it is not supported by this server yet", inv.ID, cm.ID)
			}
		}
	}
	return ""
}

// deductionOf is what the segment's deductions hold for the invoice.
func deductionOf(s *Segment, invoiceID string) money.Amount {
	var sum money.Amount
	for _, d := range s.Deductions {
		if d.InvoiceID == invoiceID {
			sum = sum.Add(d.Amount)
		}
	}
	return sum
}

// applyVoidInvoice voids the invoice and gives its draws back.
func applyVoidInvoice(s *shard, t *task, c *Customer, _ *Catalog, now Nanos) {
	cmd := t.cmd.(*VoidInvoice)
	k, inv, _ := invoiceOf(c, cmd.CustomerID, cmd.InvoiceID)
	s.voidInvoice(c, k, inv, now)
	t.res.ID = inv.ID
}

// voidInvoice sets the contract's finalized invoice VOID at now, gives
// back to each segment what the invoice drew from it, and voids its Stripe
// invoice, if it has one.
func (s *shard) voidInvoice(c *Customer, k *Contract, inv *Invoice, now Nanos) {
	inv.Status = InvoiceVoid
	s.voidInStripe(c, k, inv)
	for _, cm := range k.Balances {
		giveBack(cm, inv.ID, now)
	}
	c.giveBackShared(inv.ID, now)
}

// giveBack gives back what the commit's segments drew for the voided
// invoice, recorded as a cancelling deduction.
func giveBack(cm *Commit, invoiceID string, now Nanos) {
	for _, s := range cm.Segments {
		back := deductionOf(s, invoiceID)
		if !back.IsPositive() {
			continue
		}
		s.Drawn = s.Drawn.Sub(back)
		if s.Expired {
			s.SetExpiredAmount(s.ExpiredAmount().Add(back)) // it expires at once
		}
		s.Deductions = append(s.Deductions, Deduction{InvoiceID: invoiceID, Timestamp: max(now, s.StartingAt), Amount: back.Neg()})
	}
}

// RegeneratedID is the id of the invoice regenerated from a voided one.
func RegeneratedID(voidedID string) string { return DeriveID(voidedID, "regenerated") }

// validateRegenerateInvoice allows a voided invoice not regenerated yet, of
// a contract not archived.
func validateRegenerateInvoice(c *Customer, command Command, _ *Catalog, _ Nanos) *Error {
	cmd := command.(*RegenerateInvoice)
	k, inv, err := invoiceOf(c, cmd.CustomerID, cmd.InvoiceID)
	switch {
	case err != nil:
		return err
	case inv.Status != InvoiceVoid:
		return errorf(Invalid, "id: invoice %s is not void; only a voided invoice can be regenerated", inv.ID)
	case k.Invoice(RegeneratedID(inv.ID)) != nil:
		return errorf(Conflict, "id: invoice %s was already regenerated as %s", inv.ID, RegeneratedID(inv.ID))
	case k.Archived:
		return errorf(Invalid, "id: invoice %s is of contract %s, which is archived", inv.ID, k.ID)
	}
	return nil
}

// applyRegenerateInvoice makes the new invoice, finalized now.
func applyRegenerateInvoice(s *shard, t *task, c *Customer, cat *Catalog, now Nanos) {
	cmd := t.cmd.(*RegenerateInvoice)
	k, old, _ := invoiceOf(c, cmd.CustomerID, cmd.InvoiceID)
	inv := &Invoice{
		ID: RegeneratedID(old.ID), ContractID: k.ID, Start: old.Start, End: old.End, CreditTypeID: old.CreditTypeID,
		LastUsageAt: old.LastUsageAt, Status: InvoiceFinalized, FinalizedAt: now,
	}
	var aggs []*UsageAgg
	for _, a := range old.Aggs() {
		ac := *a
		ac.GroupValues = append([]string(nil), a.GroupValues...)
		ac.Uniques = append([]byte(nil), a.Uniques...)
		aggs = append(aggs, &ac)
	}
	inv.SetAggs(aggs)
	rc := cat.RateCards[k.RateCardID]
	inv.Total = chargesBesideUsage(k, old, rc)
	at := old.LastUsageAt
	if at == 0 {
		at = old.End - 1
	}
	for _, l := range old.Lines {
		if l.Type == LineAppliedCommit || l.Type == LineCPUConversion {
			continue
		}
		lc := *l
		lc.Group = NewLineGroup(append([]string(nil), l.GroupValues()...))
		inv.Lines = append(inv.Lines, &lc)
		if l.Type == LineUsage && rc != nil {
			inv.addOverage(rc, l.CreditTypeID, s.burnDown(cat, c, k, inv, l.ProductID, l.CreditTypeID, at, l.Total))
		}
	}
	k.moveBilledItems(old.ID, inv.ID)
	c.moveSharedBilled(old.ID, inv.ID)
	k.insertInvoice(inv)
	if k.SendsToStripe() {
		k.noteFinalized(inv)
	}
	t.res.ID = inv.ID
}

// chargesBesideUsage is the part of an invoice's total that is not usage
// less what balances paid for it: old's total without its usage overage
// (fiat usage lines less prepaid draws in fiat, and the converted custom
// pricing unit overage).
func chargesBesideUsage(k *Contract, old *Invoice, rc *RateCard) money.Amount {
	total := old.Total
	if rc == nil {
		return total
	}
	for _, l := range old.Lines {
		switch {
		case l.Type == LineCPUConversion:
			total = total.Sub(l.Total)
		case l.CreditTypeID != rc.FiatCreditTypeID:
		case l.Type == LineUsage:
			total = total.Sub(l.Total)
		case l.Type == LineAppliedCommit:
			if cm := k.Commit(l.CommitID); cm == nil || !cm.postpaid() {
				total = total.Sub(l.Total) // a draw is negative
			}
		}
	}
	return total
}

// moveBilledItems points what the voided invoice billed (scheduled-charge
// items, commit purchases and true-ups, subscription charges) at the
// invoice regenerated from it.
func (k *Contract) moveBilledItems(from, to string) {
	for _, ch := range k.ScheduledCharges() {
		for j := range ch.Items {
			if ch.Items[j].InvoiceID == from {
				ch.Items[j].InvoiceID = to
			}
		}
	}
	for _, cm := range k.Balances {
		for j := range cm.InvoiceSchedule() {
			if cm.InvoiceSchedule()[j].InvoiceID == from {
				cm.InvoiceSchedule()[j].InvoiceID = to
			}
		}
		for _, s := range cm.Segments {
			if s.TrueUpInvoiceID() == from {
				s.EditExtra(func(x *SegmentExtra) { x.TrueUpInvoiceID = to })
			}
		}
	}
	for _, sub := range k.Subscriptions() {
		for j := range sub.Charges {
			if sub.Charges[j].InvoiceID == from {
				sub.Charges[j].InvoiceID = to
			}
		}
	}
}
