package engine

import (
	"sort"

	"github.com/shopspring/decimal"
)

// BalanceAt is what the commit or credit can still pay at t: the remainder of
// its segments in force at t. Pending, expired and future segments count zero.
func (cm *Commit) BalanceAt(t Nanos) decimal.Decimal {
	total := decimal.Zero
	for _, s := range cm.Segments {
		if s.InForce(t) && !s.Expired {
			total = addDec(total, subDec(s.Amount, s.Drawn))
		}
	}
	return total
}

// addDec is a.Add(b) without the arithmetic (and its allocations) when
// either side is zero, the common case when balances are summed and lines
// start.
func addDec(a, b decimal.Decimal) decimal.Decimal {
	switch {
	case b.IsZero():
		return a
	case a.IsZero():
		return b
	}
	return a.Add(b)
}

// subDec is a.Sub(b), skipping the arithmetic when a side is zero.
func subDec(a, b decimal.Decimal) decimal.Decimal {
	switch {
	case b.IsZero():
		return a
	case a.IsZero():
		return b.Neg()
	}
	return a.Sub(b)
}

// LedgerEntry is one movement of a commit's or credit's balance, in
// Metronome's vocabulary.
type LedgerEntry struct {
	Type      string
	Timestamp Nanos
	Amount    decimal.Decimal
	SegmentID string
	InvoiceID string
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
// segment start when each segment begins, the usage deductions aggregated per
// invoice, and an expiration of what was left when a segment ends.
func (cm *Commit) Ledger(now Nanos) []LedgerEntry {
	prefix := cm.ledgerPrefix()
	var out []LedgerEntry
	for _, s := range cm.Segments {
		if s.StartingAt > now {
			continue
		}
		out = append(out, LedgerEntry{Type: prefix + "SEGMENT_START", Timestamp: s.StartingAt, Amount: s.Amount, SegmentID: s.ID})
		for _, d := range s.Deductions {
			out = append(out, LedgerEntry{Type: prefix + "AUTOMATED_INVOICE_DEDUCTION", Timestamp: d.Timestamp, Amount: d.Amount.Neg(), SegmentID: s.ID, InvoiceID: d.InvoiceID})
		}
		if s.Expired {
			out = append(out, LedgerEntry{Type: prefix + "EXPIRATION", Timestamp: s.EndingBefore, Amount: s.ExpiredAmount.Neg(), SegmentID: s.ID})
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
