package engine

// nextTransition returns the earliest time after now at which the customer's
// state or entitlement changes without a command: a contract, segment,
// override or rate of its rate card starts or ends, or a draft invoice's
// period and grace close. Zero when none is pending.
func (c *Customer) nextTransition(cat *Catalog, now Nanos) Nanos {
	var next Nanos
	consider := func(t Nanos) {
		if t > now && (next == 0 || t < next) {
			next = t
		}
	}
	for _, k := range c.Contracts {
		if k.Archived {
			continue // an archived contract never moves again
		}
		consider(k.StartingAt)
		consider(k.EndingBefore)
		for i := range k.Overrides {
			consider(k.Overrides[i].StartingAt)
			consider(k.Overrides[i].EndingBefore)
		}
		if rc := cat.RateCards[k.RateCardID]; rc != nil && (k.EndingBefore == 0 || k.EndingBefore > now) {
			consider(rc.nextRateChange(now))
		}
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
				consider(k.FinalizesAt(inv))
			}
		}
		consider(k.nextSeatTransition(now))
	}
	c.balanceTransitions(consider)
	if len(c.Alerts) > 0 {
		consider(c.alertDue(now))
	}
	return next
}

// applyTransitions expires the segments and finalizes the invoices whose end
// and grace period have passed at now.
func (c *Customer) applyTransitions(cat *Catalog, now Nanos) {
	for _, k := range c.Contracts {
		if k.Archived {
			continue
		}
		// Grants and charges first: a period's new grant starts as the
		// last one expires.
		k.advanceSeats(cat.RateCards[k.RateCardID], now)
		k.expireDue(cat.RateCards[k.RateCardID], now)
		k.finalizeDue(now)
	}
	c.expireBalances(now)
}

// expireDue expires the segments whose end has passed at now, truing up
// postpaid remainders (expireSegment).
func (k *Contract) expireDue(rc *RateCard, now Nanos) {
	for _, cm := range k.Balances {
		for _, s := range cm.Segments {
			if !s.Expired && s.EndingBefore != 0 && s.EndingBefore <= now {
				k.expireSegment(cm, s, rc)
			}
		}
	}
}

// nextRateChange is the earliest start or end of a rate after now, or 0.
func (rc *RateCard) nextRateChange(now Nanos) Nanos {
	var next Nanos
	for _, rates := range rc.Rates {
		for i := range rates {
			for _, t := range [2]Nanos{rates[i].StartingAt, rates[i].EndingBefore} {
				if t > now && (next == 0 || t < next) {
					next = t
				}
			}
		}
	}
	return next
}
