package engine

import (
	"strconv"

	"burndown/money"
)

// Commit purchases and postpaid true-ups on usage invoices.
//
// A PREPAID commit's invoice schedule is billed like a scheduled charge: each
// item is a commit_purchase line on the SCHEDULED invoice of its timestamp
// (Metronome's default), or, for a contract that consolidates them
// (scheduled_charges_on_usage_invoices ALL, and every contract made before
// that choice existed), on the usage invoice of the period containing its
// timestamp; counted in the invoice total (unless the schedule has
// do_not_invoice, which keeps it only for the burn-down order).
//
// A POSTPAID commit (one access item, as Metronome requires) is drawn down
// like a prepaid one, but what it covers is still billed in arrears on the
// usage invoice: its applied line is shown and not subtracted. When its
// access term ends, the unused remainder is trued up: a commit_purchase line
// of that amount (the customer pays the shortfall) on the usage invoice of
// the period containing the term's last instant, and a POSTPAID_COMMIT_TRUEUP
// ledger entry of minus that amount. Fully used: no line, no entry. Usage
// beyond the commit is overage, billed as usual. Late usage (dated before the
// term's end, rated in the grace period while the true-up's invoice is a
// draft) still draws from the commit and lowers the true-up by as much, so
// the customer pays max(commit, usage) whatever the order of arrival. Its
// invoice schedule gives no purchase line (Metronome's invoice_schedule for
// a postpaid commit is the true-up's); with do_not_invoice the remainder
// expires (POSTPAID_COMMIT_EXPIRATION) instead.
//
// Commits with LegacyRules keep what the builds that made them did: no
// purchase lines, postpaid commits neither drawn nor trued up.

// maxInvoiceItems bounds the items of one commit's invoice schedule.
const maxInvoiceItems = maxChargeItems

// invoiced reports whether the commit's invoice schedule bills purchases.
func (cm *Commit) invoiced() bool {
	return cm.Type == CommitPrepaid && !cm.LegacyRules && !cm.DoNotInvoice
}

// truedUp reports whether the commit's remainder is trued up at its end.
func (cm *Commit) truedUp() bool { return cm.postpaid() && !cm.DoNotInvoice && cm.ArchivedAt() == 0 }

// trueUpEnded trues up the postpaid segments of the contract whose end has
// passed at now (a new backdated contract, or commits an edit adds).
func (k *Contract) trueUpEnded(rc *RateCard, now Nanos) {
	for _, cm := range k.Balances {
		if !cm.postpaid() {
			continue
		}
		for _, s := range cm.Segments {
			if !s.Expired && s.EndingBefore != 0 && s.EndingBefore <= now {
				k.expireSegment(cm, s, rc)
			}
		}
	}
}

// checkNewCommit applies the rules of commits made under the current rules
// to cm as built by newCommit from in: a POSTPAID commit has one access item
// and at most one invoice item of the same amount; a recurring invoice
// schedule is expanded into items.
func checkNewCommit(cm *Commit, in *CommitInput, rc *RateCard, field string, i int) *Error {
	f := field + "[" + strconv.Itoa(i) + "]"
	if cm.Type == CommitCredit {
		return nil
	}
	if in.InvoiceRecurring != nil {
		if len(in.InvoiceSchedule) > 0 {
			return errorf(Invalid, "%s.invoice_schedule.recurring_schedule: give schedule_items or recurring_schedule, not both", f)
		}
		items, err := expandRecurring(in.InvoiceRecurring, f+".invoice_schedule.recurring_schedule")
		if err != nil {
			return err
		}
		cm.SetInvoiceSchedule(make([]InvoiceItem, len(items)))
		for j, it := range items {
			cm.InvoiceSchedule()[j] = InvoiceItem{
				ID: DeriveID(cm.ID, "invoice_item", strconv.Itoa(j)), Timestamp: it.Timestamp,
				Amount: it.Amount, UnitPrice: it.UnitPrice, Quantity: it.Quantity,
			}
		}
	}
	if len(cm.InvoiceSchedule()) > maxInvoiceItems {
		return errorf(Invalid, "%s.invoice_schedule.schedule_items: at most %d items", f, maxInvoiceItems)
	}
	for j, it := range cm.InvoiceSchedule() {
		if it.Amount.IsNegative() {
			return errorf(Invalid, "%s.invoice_schedule.schedule_items[%d].amount: must not be negative", f, j)
		}
		if _, err := inputAmount(it.Amount); err != nil {
			return errorf(Invalid, "%s.invoice_schedule.schedule_items[%d].amount: %v", f, j, err)
		}
	}
	if cm.Type != CommitPostpaid {
		return nil
	}
	if cm.CreditTypeID != rc.FiatCreditTypeID {
		return errorf(Invalid, "%s.access_schedule.credit_type_id: a POSTPAID commit is in the rate card's fiat credit type %s", f, rc.FiatCreditTypeID)
	}
	if len(cm.Segments) != 1 {
		return errorf(Invalid, "%s.access_schedule.schedule_items: a POSTPAID commit has exactly one item", f)
	}
	switch {
	case len(cm.InvoiceSchedule()) > 1:
		return errorf(Invalid, "%s.invoice_schedule.schedule_items: a POSTPAID commit has at most one item (its true-up)", f)
	case len(cm.InvoiceSchedule()) == 1:
		amt, _ := inputAmount(cm.InvoiceSchedule()[0].Amount)
		if !amt.Equal(cm.Segments[0].Amount) {
			return errorf(Invalid, "%s.invoice_schedule.schedule_items[0].amount: must equal the access_schedule amount %s", f, cm.Segments[0].Amount)
		}
	}
	return nil
}

// billCommit puts the commit's invoice-schedule items on their invoices
// (chargeInvoice), like billCharge: an item whose invoice is finalized is
// refused, and one in a period closed without an invoice unless allowClosed
// (a new, backdated contract). A commit that bills nothing is a no-op.
func (k *Contract) billCommit(cm *Commit, rc *RateCard, field string, allowClosed bool, now Nanos) *Error {
	if !cm.invoiced() || len(cm.InvoiceSchedule()) == 0 {
		return nil
	}
	if cm.CreditTypeID != rc.FiatCreditTypeID {
		return errorf(Invalid, "%s.invoice_schedule: a commit in a custom pricing unit cannot be invoiced yet; set do_not_invoice", field)
	}
	for j := range cm.InvoiceSchedule() {
		it := &cm.InvoiceSchedule()[j]
		if !k.InForce(it.Timestamp) {
			return errorf(Invalid, "%s.invoice_schedule.schedule_items[%d].timestamp: %s is outside the contract's term", field, j, fmtTime(it.Timestamp))
		}
		inv, closed := k.chargeInvoice(it.Timestamp, rc.FiatCreditTypeID, allowClosed, now)
		if closed {
			what := "statement period"
			if k.SeparateScheduledInvoices {
				what = "SCHEDULED invoice"
			}
			return errorf(Invalid, "%s.invoice_schedule: the %s of the item at %s is finalized", field, what, fmtTime(it.Timestamp))
		}
		if inv.CreditTypeID == "" {
			inv.CreditTypeID = rc.FiatCreditTypeID
		}
		total, _ := inputAmount(it.Amount)
		price, qty := total, amountOne
		if !it.Quantity.IsZero() {
			price, _ = inputAmount(it.UnitPrice)
			qty, _ = inputAmount(it.Quantity)
		}
		inv.Lines = append(inv.Lines, &InvoiceLine{
			Type: LineCommitPurchase, ProductID: cm.ProductID, CommitID: cm.ID, CreditTypeID: rc.FiatCreditTypeID,
			Quantity: qty, Total: total, Item: NewLineItem("", it.ID, price),
		})
		inv.Total = inv.Total.Add(total)
		it.InvoiceID = inv.ID
	}
	return nil
}

// unbillCommit takes the commit's purchase lines off draft invoices (an
// archived commit, or items after a shortened end when keep says so);
// billed items on finalized invoices stay.
func (k *Contract) unbillCommit(cm *Commit, drop func(it *InvoiceItem) bool) {
	for j := range cm.InvoiceSchedule() {
		it := &cm.InvoiceSchedule()[j]
		if it.InvoiceID == "" || !drop(it) {
			continue
		}
		inv := k.Invoice(it.InvoiceID)
		if inv != nil && inv.Status != InvoiceDraft {
			continue
		}
		if inv != nil {
			inv.removeLine(LineCommitPurchase, cm.ID, it.ID)
			k.dropEmptyScheduled(inv)
		}
		it.InvoiceID = ""
	}
}

// removeLine drops the invoice's line of that type, commit and item.
func (inv *Invoice) removeLine(typ, commitID, itemID string) {
	for i, l := range inv.Lines {
		if l.Type == typ && l.CommitID == commitID && l.ItemID() == itemID {
			inv.Lines = append(inv.Lines[:i], inv.Lines[i+1:]...)
			inv.Total = inv.Total.Sub(l.Total)
			return
		}
	}
}

// expireSegment ends a segment whose end has passed: what is left expires,
// or, for a postpaid commit, is trued up on the usage invoice of the period
// containing the term's last instant (when that invoice can still change).
func (k *Contract) expireSegment(cm *Commit, s *Segment, rc *RateCard) {
	s.SetExpiredAmount(s.left())
	s.Expired = true
	if !cm.truedUp() || !s.ExpiredAmount().IsPositive() || rc == nil || cm.CreditTypeID != rc.FiatCreditTypeID {
		return
	}
	at := s.EndingBefore - 1
	if !k.InForce(at) {
		return
	}
	inv := k.findInvoice(at)
	if inv != nil && inv.Status != InvoiceDraft {
		return
	}
	if inv == nil {
		inv, _ = k.invoiceFor(at)
	}
	if inv.CreditTypeID == "" {
		inv.CreditTypeID = rc.FiatCreditTypeID
	}
	inv.Lines = append(inv.Lines, &InvoiceLine{
		Type: LineCommitPurchase, ProductID: cm.ProductID, CommitID: cm.ID, CreditTypeID: rc.FiatCreditTypeID,
		Quantity: amountOne, Total: s.ExpiredAmount(), Item: NewLineItem("", cm.SegmentID(s), s.ExpiredAmount()),
	})
	inv.Total = inv.Total.Add(s.ExpiredAmount())
	s.EditExtra(func(x *SegmentExtra) { x.TrueUpInvoiceID = inv.ID })
}

// lateDrawable reports whether an expired segment may still be drawn by an
// event dated before its end: a trued-up postpaid remainder whose true-up
// invoice is still a draft.
func (k *Contract) lateDrawable(cm *Commit, s *Segment) bool {
	if s.TrueUpInvoiceID() == "" || !s.ExpiredAmount().IsPositive() {
		return false
	}
	inv := k.Invoice(s.TrueUpInvoiceID())
	return inv != nil && inv.Status == InvoiceDraft
}

// reduceTrueUp moves a late draw of a trued-up segment out of its true-up.
func (k *Contract) reduceTrueUp(cm *Commit, s *Segment, draw money.Amount) {
	s.SetExpiredAmount(s.ExpiredAmount().Sub(draw))
	inv := k.Invoice(s.TrueUpInvoiceID())
	for i, l := range inv.Lines {
		if l.Type == LineCommitPurchase && l.CommitID == cm.ID && l.ItemID() == cm.SegmentID(s) {
			l.Total = l.Total.Sub(draw)
			l.Item = NewLineItem(l.ChargeID(), l.ItemID(), l.Total)
			inv.Total = inv.Total.Sub(draw)
			if l.Total.IsZero() {
				inv.Lines = append(inv.Lines[:i], inv.Lines[i+1:]...)
				s.EditExtra(func(x *SegmentExtra) { x.TrueUpInvoiceID = "" })
			}
			return
		}
	}
}
