package engine

import (
	"sort"

	"burndown/money"
)

// BalanceAt is what the commit or credit can still pay at t: the remainder of
// its segments in force at t. Pending, expired and future segments, and
// archived balances, count zero.
func (cm *Commit) BalanceAt(t Nanos) money.Amount {
	var total money.Amount
	if cm.ArchivedAt() != 0 {
		return total
	}
	for _, s := range cm.Segments {
		if s.InForce(t) && !s.Expired {
			total = total.Add(s.left())
		}
	}
	return total
}

// LedgerEntry is one movement of a commit's or credit's balance, in
// Metronome's vocabulary.
type LedgerEntry struct {
	Type      string
	Timestamp Nanos
	Amount    money.Amount
	SegmentID string
	InvoiceID string
	// Reason is a manual entry's reason (*_MANUAL).
	Reason string
}

// ledgerPrefix returns the entry type prefix for the commit's type.
func (cm *Commit) ledgerPrefix() string {
	switch cm.Type {
	case CommitCredit:
		return "CREDIT_"
	case CommitPostpaid:
		return "POSTPAID_COMMIT_"
	}
	return "PREPAID_COMMIT_"
}

// Ledger lists the commit's balance movements up to now, oldest first: a
// segment start when each segment begins (a postpaid commit's initial
// balance), the usage deductions aggregated per invoice, and an expiration
// of what was left when a segment ends, or for a postpaid commit its
// true-up (POSTPAID_COMMIT_TRUEUP, minus the remainder billed, with the
// invoice); a fully used postpaid commit has neither. A voided invoice's
// deductions are followed by their cancellations (*_CANCELED).
func (cm *Commit) Ledger(now Nanos) []LedgerEntry {
	prefix := cm.ledgerPrefix()
	var out []LedgerEntry
	for _, s := range cm.Segments {
		if s.StartingAt > now {
			continue
		}
		sid := cm.SegmentID(s)
		initial := s.Amount
		for _, a := range s.ManualAdjustments() {
			initial = initial.Sub(a.Amount)
		}
		if cm.Type == CommitPostpaid {
			out = append(out, LedgerEntry{Type: prefix + "INITIAL_BALANCE", Timestamp: s.StartingAt, Amount: initial})
		} else {
			start := initial
			for _, a := range s.SeatAdjustments() {
				start = start.Sub(a.Amount)
			}
			out = append(out, LedgerEntry{Type: prefix + "SEGMENT_START", Timestamp: s.StartingAt, Amount: start, SegmentID: sid})
			for _, a := range s.SeatAdjustments() {
				if a.At <= now {
					out = append(out, LedgerEntry{Type: prefix + "SEAT_BASED_ADJUSTMENT", Timestamp: a.At, Amount: a.Amount, SegmentID: sid})
				}
			}
		}
		for _, a := range s.ManualAdjustments() {
			out = append(out, LedgerEntry{Type: prefix + "MANUAL", Timestamp: a.At, Amount: a.Amount, SegmentID: sid, Reason: a.Reason})
		}
		var lateExpired money.Amount
		for _, d := range s.Deductions {
			if !d.Amount.IsNegative() {
				out = append(out, LedgerEntry{Type: prefix + "AUTOMATED_INVOICE_DEDUCTION", Timestamp: d.Timestamp, Amount: d.Amount.Neg(), SegmentID: sid, InvoiceID: d.InvoiceID})
				continue
			}
			// A voided invoice's draw given back (invoice_void.go); after
			// the segment's end it expires at once.
			out = append(out, LedgerEntry{Type: prefix + "CANCELED", Timestamp: d.Timestamp, Amount: d.Amount.Neg(), SegmentID: sid, InvoiceID: d.InvoiceID})
			if s.Expired && d.Timestamp >= s.EndingBefore {
				out = append(out, LedgerEntry{Type: prefix + "EXPIRATION", Timestamp: d.Timestamp, Amount: d.Amount, SegmentID: sid})
				lateExpired = lateExpired.Add(d.Amount.Neg())
			}
		}
		expired := s.ExpiredAmount().Sub(lateExpired)
		switch {
		case !s.Expired:
		case s.TrueUpInvoiceID() != "":
			out = append(out, LedgerEntry{Type: prefix + "TRUEUP", Timestamp: s.EndingBefore, Amount: expired.Neg(), InvoiceID: s.TrueUpInvoiceID()})
		case cm.postpaid() && expired.IsZero():
			// fully used: nothing left to true up or expire
		case cm.Type == CommitPostpaid:
			out = append(out, LedgerEntry{Type: prefix + "EXPIRATION", Timestamp: s.EndingBefore, Amount: expired.Neg()})
		default:
			out = append(out, LedgerEntry{Type: prefix + "EXPIRATION", Timestamp: s.EndingBefore, Amount: expired.Neg(), SegmentID: sid})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Timestamp < out[j].Timestamp })
	return out
}

// Commit returns the contract's commit or credit with this id, or nil.
func (k *Contract) Commit(id string) *Commit {
	for _, cm := range k.Balances {
		if cm.ID == id {
			return cm
		}
	}
	return nil
}

// Invoice returns the contract's invoice with this id, or nil.
func (k *Contract) Invoice(id string) *Invoice {
	for _, inv := range k.Invoices {
		if inv.ID == id {
			return inv
		}
	}
	return nil
}
