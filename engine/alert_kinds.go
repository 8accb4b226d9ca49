package engine

import "burndown/money"

// The alert types beyond amounts of the statement period and summed
// balances (alerts.go): a balance as a percentage of what was granted, the
// days left in the segment in force, and a calendar month's invoice totals.
//
//   - low_remaining_commit_percentage_reached (commits: PREPAID and
//     POSTPAID) and low_remaining_contract_credit_percentage_reached
//     (credits): the remaining balance of the segments in force of the
//     contract in force, in the alert's credit type, as a percentage of
//     their amounts (what the segments granted), summed like the balance
//     alerts. In alarm at or below the threshold (0 to 100), compared
//     exactly (remaining × 100 ≤ threshold × granted).
//   - low_remaining_days_for_commit_segment_reached and
//     low_remaining_days_for_contract_credit_segment_reached: the days
//     (fractional) from now to the end of the segment in force that ends
//     first, over the contract in force's commits (or credits), of the
//     credit type when the alert names one (of every credit type when it
//     does not). In alarm at or below the threshold of days; the moment it
//     is reached is a transition of the customer (alertDue), so time alone
//     moves it into alarm, and the next segment (or none) takes it back out.
//   - monthly_invoice_total_spend_threshold_reached: the sum of the totals,
//     in the credit type, of the customer's invoices (every contract's,
//     draft or finalized, SCHEDULED ones included: dated at their start)
//     whose period started in the calendar month (UTC) of now, by now. In alarm at or above the threshold; the next month
//     starts again at 0 (its first instant is a transition while in alarm).
//
// Three types watch what only Metronome's legacy plans have (credit grants,
// plans): they are refused by name (RefusedAlertTypes).

// Alert types added with these kinds.
const (
	AlertLowCommitPercent    = "low_remaining_commit_percentage_reached"
	AlertLowCreditPercent    = "low_remaining_contract_credit_percentage_reached"
	AlertCommitDays          = "low_remaining_days_for_commit_segment_reached"
	AlertCreditDays          = "low_remaining_days_for_contract_credit_segment_reached"
	AlertMonthlyInvoiceTotal = "monthly_invoice_total_spend_threshold_reached"
)

// RefusedAlertTypes are the SDK's alert types this server does not
// evaluate, with why: what they watch does not exist here.
var RefusedAlertTypes = map[string]string{
	"low_credit_balance_reached": "it watches the credit grants of Metronome's legacy plans, which this server does not have; " +
		"use low_remaining_contract_credit_balance_reached for a contract's credits",
	"low_remaining_credit_percentage_reached": "it watches the credit grants of Metronome's legacy plans, which this server does not have; " +
		"use low_remaining_contract_credit_percentage_reached for a contract's credits",
	"low_remaining_days_in_plan_reached": "it watches the end of a customer's plan (Metronome's legacy plans), which this server does not have; " +
		"use low_remaining_days_for_commit_segment_reached or low_remaining_days_for_contract_credit_segment_reached",
}

// lowAlert reports whether the type is in alarm at or below its threshold.
func lowAlert(typ string) bool {
	switch typ {
	case AlertLowCommit, AlertLowCredit, AlertLowCreditAndCommit, AlertLowCommitPercent, AlertLowCreditPercent, AlertCommitDays, AlertCreditDays:
		return true
	}
	return false
}

// daysAlert reports whether the type counts days, not an amount.
func daysAlert(typ string) bool { return typ == AlertCommitDays || typ == AlertCreditDays }

// percentAlert reports whether the type's threshold is a percentage.
func percentAlert(typ string) bool {
	return typ == AlertLowCommitPercent || typ == AlertLowCreditPercent
}

// ThresholdIsAmount reports whether an alert type's threshold is an amount
// of its credit type (not a quantity, a percentage or days).
func ThresholdIsAmount(typ string) bool {
	return typ != AlertUsage && !percentAlert(typ) && !daysAlert(typ)
}

// hundred is 100, the whole of a percentage.
func hundred() money.Amount { return money.FromInt(100) }

// validateAlertThreshold bounds the thresholds of percentages and days.
func validateAlertThreshold(cmd *CreateAlert) *Error {
	switch {
	case percentAlert(cmd.Type) && (cmd.Threshold.IsNegative() || cmd.Threshold.Cmp(hundred()) > 0):
		return errorf(Invalid, "threshold: a %s alert's threshold is a percentage, from 0 to 100", cmd.Type)
	case daysAlert(cmd.Type) && cmd.Threshold.IsNegative():
		return errorf(Invalid, "threshold: a %s alert's threshold is a number of days, 0 or more", cmd.Type)
	}
	return nil
}

// segmentsInForce calls f with each segment in force at now of the
// balances the alert watches, over the contracts in force ks and the
// customer-level balances that apply to one of them, in its credit type
// (any, for a days alert without one).
func (a *Alert) segmentsInForce(c *Customer, ks []*Contract, now Nanos, f func(cm *Commit, s *Segment)) {
	each := func(cm *Commit) {
		if cm.ArchivedAt() != 0 || !a.watches(cm) || (a.CreditTypeID != "" && cm.CreditTypeID != a.CreditTypeID) {
			return
		}
		for _, s := range cm.Segments {
			if s.InForce(now) && !s.Expired {
				f(cm, s)
			}
		}
	}
	for _, k := range ks {
		for _, cm := range k.Balances {
			each(cm)
		}
	}
	for _, b := range c.Balances() {
		for _, k := range ks {
			if b.appliesTo(k) {
				each(b.Commit)
				break
			}
		}
	}
}

// percentInput is a percentage alert's remaining and granted amounts; false
// when no segment is in force or they granted nothing.
func (a *Alert) percentInput(c *Customer, ks []*Contract, now Nanos) (remaining, granted money.Amount, ok bool) {
	a.segmentsInForce(c, ks, now, func(_ *Commit, s *Segment) {
		remaining = remaining.Add(s.Amount.Sub(s.Drawn))
		granted = granted.Add(s.Amount)
	})
	return remaining, granted, granted.IsPositive()
}

// percentAlarmed compares exactly: remaining × 100 ≤ threshold × granted.
func (a *Alert) percentAlarmed(c *Customer, ks []*Contract, now Nanos) bool {
	rem, granted, ok := a.percentInput(c, ks, now)
	return ok && rem.Mul(hundred()).Cmp(a.Threshold.Mul(granted)) <= 0
}

// remainingPercent is the percentage left, rounded half-up to 2 places.
func (a *Alert) remainingPercent(c *Customer, ks []*Contract, now Nanos) (money.Amount, bool) {
	rem, granted, ok := a.percentInput(c, ks, now)
	if !ok {
		return money.Amount{}, false
	}
	return rem.Mul(hundred()).Quo(granted).RoundHalfUp(2), true
}

// firstEnding is the segment in force (and its commit) that ends first, or
// nil.
func (a *Alert) firstEnding(c *Customer, ks []*Contract, now Nanos) (*Commit, *Segment) {
	var cm *Commit
	var seg *Segment
	a.segmentsInForce(c, ks, now, func(c *Commit, s *Segment) {
		if s.EndingBefore != 0 && (seg == nil || s.EndingBefore < seg.EndingBefore) {
			cm, seg = c, s
		}
	})
	return cm, seg
}

// thresholdNanos is a days alert's threshold in nanoseconds (exact).
func (a *Alert) thresholdNanos() money.Amount { return a.Threshold.Mul(money.FromInt(nanosPerDay)) }

// daysAlarmed reports whether the first segment to end does so within the
// threshold: end − now ≤ threshold days.
func (a *Alert) daysAlarmed(c *Customer, ks []*Contract, now Nanos) bool {
	_, s := a.firstEnding(c, ks, now)
	return s != nil && money.FromInt(s.EndingBefore-now).Cmp(a.thresholdNanos()) <= 0
}

// remainingDays is the days left in the first segment to end, rounded
// half-up to 2 places.
func (a *Alert) remainingDays(c *Customer, ks []*Contract, now Nanos) (money.Amount, *Commit, bool) {
	cm, s := a.firstEnding(c, ks, now)
	if s == nil {
		return money.Amount{}, nil, false
	}
	return money.FromInt(s.EndingBefore-now).DivRoundHalfUp(nanosPerDay, 2), cm, true
}

// daysDue is when a days alert not in alarm will be: the first instant at
// which a segment in force is within the threshold of its end (0: none
// after now).
func (a *Alert) daysDue(c *Customer, ks []*Contract, now Nanos) Nanos {
	var due Nanos
	th := a.thresholdNanos()
	a.segmentsInForce(c, ks, now, func(_ *Commit, s *Segment) {
		if s.EndingBefore == 0 || money.FromInt(s.EndingBefore-now).Cmp(th) <= 0 {
			return // in alarm already
		}
		whole, _ := th.DivTrunc(1, 0).Int64() // < end − now: fits
		if at := s.EndingBefore - whole; at > now && (due == 0 || at < due) {
			due = at
		}
	})
	return due
}

// monthlyInvoiceTotal is the total of the customer's invoices whose period
// started in the calendar month of now, by now, in the credit type.
func (a *Alert) monthlyInvoiceTotal(c *Customer, cat *Catalog, now Nanos) money.Amount {
	from := firstOfMonth(now)
	var total money.Amount
	for _, k := range c.Contracts {
		if k.Archived {
			continue
		}
		for _, inv := range k.Invoices {
			if inv.Start < from || inv.Start > now || (inv.Status != InvoiceDraft && inv.Status != InvoiceFinalized) {
				continue
			}
			if inv.CreditTypeID == "" || inv.CreditTypeID == a.CreditTypeID {
				total = total.Add(inv.Total)
			}
		}
		total = total.Add(k.purchasesIn(cat, a.CreditTypeID, from, now))
	}
	return total
}

// purchasesIn is the total of the contract's purchase invoices
// (PurchaseInvoices: one per payment workflow, issued when its gate was
// raised) issued in [from, now] in the credit type ct (a workflow that
// names none is in its rate card's fiat type), less the voided ones (a
// failed payment).
func (k *Contract) purchasesIn(cat *Catalog, ct string, from, now Nanos) money.Amount {
	var total money.Amount
	for _, wf := range k.Workflows() {
		if wf.CreatedAt < from || wf.CreatedAt > now || wf.Status == GateFailed {
			continue
		}
		in := wf.CreditType
		if rc := cat.RateCards[k.RateCardID]; in == "" && rc != nil {
			in = rc.FiatCreditTypeID
		}
		if in == ct {
			total = total.Add(wf.Amount)
		}
	}
	return total
}

// kindDue is when the alert's status may change with time alone (0: not
// by time): the end of the period or month of an alarm of a period
// amount, the moment a days alert's threshold is reached.
func (a *Alert) kindDue(c *Customer, now Nanos) Nanos {
	if !a.Active() {
		return 0
	}
	if a.Type == AlertMonthlyInvoiceTotal {
		if a.Status == AlertInAlarm {
			return addMonths(firstOfMonth(now), 1)
		}
		return 0
	}
	if daysAlert(a.Type) && a.Status != AlertInAlarm {
		return a.daysDue(c, c.contractsAt(now, nil), now)
	}
	return 0
}
