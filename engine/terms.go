package engine

// termsSummary is derived from a customer's terms for the rating path:
// whether any contract has auto-recharge or threshold billing, and whether
// the customer has alerts. Reading it costs no cache line beyond the
// customer's own, where the fields it summarizes lie on lines an event
// would otherwise touch only to find them empty. The gate clears it on
// every change of terms (the only way auto-recharge, threshold billing or
// alerts come or go), so it is recomputed from the terms the next time it
// is read; TestTermsSummaryIsCurrent checks it against the terms after
// every entry of random logs.
type termsSummary struct {
	known    bool
	payments bool
	alerts   bool
}

// summary returns the customer's terms summary, computing it if a change of
// terms cleared it.
func (c *Customer) summary() termsSummary {
	if !c.terms.known {
		c.terms = c.computeSummary()
	}
	return c.terms
}

func (c *Customer) computeSummary() termsSummary {
	t := termsSummary{known: true, alerts: len(c.Alerts) > 0}
	for _, k := range c.Contracts {
		t.payments = t.payments || k.paymentWatched()
	}
	return t
}
