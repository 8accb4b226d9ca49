package engine

import "burndown/money"

// What rating, the entitlement view, voids, archives and the tick do with
// the customer-level commits and credits (customer_balance.go).

// moveSharedBilled points the customer-level commits' items billed on the
// voided invoice at the invoice regenerated from it (moveBilledItems).
func (c *Customer) moveSharedBilled(from, to string) {
	for _, b := range c.Balances() {
		for j := range b.Commit.InvoiceSchedule() {
			if b.Commit.InvoiceSchedule()[j].InvoiceID == from {
				b.Commit.InvoiceSchedule()[j].InvoiceID = to
			}
		}
	}
}

// archiveContract archives k (Contract.archive) and settles the
// customer-level balances with its canceled drafts: what those drew goes
// back (nothing was billed on them), and items billed on them are
// forgotten (unbillArchived).
func (c *Customer) archiveContract(k *Contract, now Nanos) {
	var drafts []string
	if !k.Archived && len(c.Balances()) > 0 {
		for _, inv := range k.Invoices {
			if inv.Status == InvoiceDraft {
				drafts = append(drafts, inv.ID)
			}
		}
	}
	k.archive(now)
	for _, id := range drafts {
		c.giveBackShared(id, now)
	}
	c.unbillArchived(k)
}

// unbillArchived forgets the customer-level commits' items billed on
// drafts of an archived contract, which archiving removed: they are no
// longer billed anywhere.
func (c *Customer) unbillArchived(k *Contract) {
	for _, b := range c.Balances() {
		if b.InvoiceContractID != k.ID {
			continue
		}
		for j := range b.Commit.InvoiceSchedule() {
			if it := &b.Commit.InvoiceSchedule()[j]; it.InvoiceID != "" && k.Invoice(it.InvoiceID) == nil {
				it.InvoiceID = ""
			}
		}
	}
}

// expireBalances expires the customer-level segments whose end has passed
// at now; what was left in them is their expiration (no true-up: they are
// all prepaid).
func (c *Customer) expireBalances(now Nanos) {
	for _, b := range c.Balances() {
		for _, s := range b.Commit.Segments {
			if !s.Expired && s.EndingBefore != 0 && s.EndingBefore <= now {
				s.SetExpiredAmount(s.left())
				s.Expired = true
			}
		}
	}
}

// balanceTransitions considers the starts and ends of the customer-level
// segments not yet expired (nextTransition).
func (c *Customer) balanceTransitions(consider func(Nanos)) {
	for _, b := range c.Balances() {
		for _, s := range b.Commit.Segments {
			if !s.Expired {
				consider(s.StartingAt)
				consider(s.EndingBefore)
			}
		}
	}
}

// sharedBalanceFor is what the customer-level balances that apply to k
// hold at now for the product in creditTypeID (an entitlement answer's
// balance adds it to k's own).
func (c *Customer) sharedBalanceFor(k *Contract, cat *Catalog, productID, creditTypeID string, now Nanos) money.Amount {
	var total money.Amount
	for _, b := range c.Balances() {
		cm := b.Commit
		if b.appliesTo(k) && cm.drawable() && cm.CreditTypeID == creditTypeID && cm.appliesTo(cat, productID) {
			total = total.Add(cm.BalanceAt(now))
		}
	}
	return total
}

// giveBackShared gives back what the customer-level balances drew for the
// voided invoice, as giveBack does for the contract's own.
func (c *Customer) giveBackShared(invoiceID string, now Nanos) {
	for _, b := range c.Balances() {
		giveBack(b.Commit, invoiceID, now)
	}
}
