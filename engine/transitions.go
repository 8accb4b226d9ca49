package engine

// nextTransition returns the earliest time after now at which the customer's
// state or entitlement changes without a command: a contract or segment
// starts or ends, or a draft invoice's period closes. Zero when none is pending.
func (c *Customer) nextTransition(now Nanos) Nanos {
	var next Nanos
	consider := func(t Nanos) {
		if t > now && (next == 0 || t < next) {
			next = t
		}
	}
	for _, k := range c.Contracts {
		consider(k.StartingAt)
		consider(k.EndingBefore)
		for _, cm := range k.Balances {
			for _, s := range cm.Segments {
				if !s.Expired {
					consider(s.StartingAt)
					consider(s.EndingBefore)
				}
			}
		}
		for _, inv := range k.Invoices {
			if inv.Status == InvoiceDraft {
				consider(inv.End)
			}
		}
	}
	return next
}

// applyTransitions expires the segments and finalizes the invoices whose end
// has passed at now.
func (c *Customer) applyTransitions(cat *Catalog, now Nanos) {
	for _, k := range c.Contracts {
		for _, cm := range k.Balances {
			for _, s := range cm.Segments {
				if !s.Expired && s.EndingBefore != 0 && s.EndingBefore <= now {
					s.ExpiredAmount = s.Amount.Sub(s.Drawn)
					s.Expired = true
				}
			}
		}
		for _, inv := range k.Invoices {
			if inv.Status == InvoiceDraft && inv.End <= now {
				inv.Status = InvoiceFinalized
				inv.FinalizedAt = inv.End
			}
		}
	}
}
