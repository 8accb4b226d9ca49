package engine

// contractUsage is what an event adds to one of several contracts in
// force: the products the contract's rate card prices for it.
type contractUsage struct {
	k    *Contract
	rc   *RateCard
	inv  *Invoice
	plan []plannedUsage
}

// rateOnSeveral rates an event that several contracts in force select: on
// every one whose rate card prices one of its products, each on its own
// invoice and balances. The event is one: it is rejected as a whole when
// the period of any contract pricing it is finalized (or a UNIQUE bound is
// reached there), and remembered once. An event none of them prices is
// taken as on a single contract (the first with a rate card), as before.
// Such events are never staged into a run (aggregate.go) unless a single
// contract prices them.
func (s *shard) rateOnSeveral(t *task, c *Customer, cat *Catalog, ks []*Contract, now Nanos) {
	ev, out := t.event, t.out
	var us []contractUsage
	var first *Contract
	for _, k := range ks {
		rc := cat.RateCards[k.RateCardID]
		if rc == nil {
			continue
		}
		if first == nil {
			first = k
		}
		if plan := s.planUsage(cat, rc, k, ev); len(plan) > 0 {
			us = append(us, contractUsage{k: k, rc: rc, plan: append([]plannedUsage(nil), plan...)})
		}
	}
	switch {
	case first == nil:
		s.rejectEvent(c, out, RejectNoContract)
		return
	case len(us) == 0:
		s.rateOn(t, c, cat, first, now)
		return
	case len(us) == 1:
		s.rateOn(t, c, cat, us[0].k, now)
		return
	}
	for i := range us {
		u := &us[i]
		u.inv = u.k.findInvoice(ev.Timestamp)
		if (u.inv != nil && u.inv.Status != InvoiceDraft) || (u.inv == nil && !u.k.FoundationRules && u.k.periodClosed(ev.Timestamp, now)) {
			s.rejectEvent(c, out, RejectFinalized)
			return
		}
		if u.inv != nil && uniqueLimitReached(u.inv, u.plan) {
			s.rejectEvent(c, out, RejectUniqueLimit)
			return
		}
	}
	if !s.dedup.insertKey(ev.Timestamp, t.keyFor(c), c.ID, ev.TransactionID) {
		out.Duplicates++
		return
	}
	out.Accepted++
	for i := range us {
		u := &us[i]
		if u.inv == nil {
			u.inv, _ = u.k.invoiceFor(ev.Timestamp)
			c.reschedule = true
		}
		if ev.Timestamp > u.inv.LastUsageAt {
			u.inv.LastUsageAt = ev.Timestamp
		}
	}
	s.rateEach(c, cat, us, ev, now)
}

// rateEach rates an accepted event's usage on each contract, after the
// customer's pending run, then evaluates each contract's threshold
// billing and auto-recharge.
func (s *shard) rateEach(c *Customer, cat *Catalog, us []contractUsage, ev *Event, now Nanos) {
	terms := c.summary()
	var scoped []*Alert
	if terms.alerts {
		scoped = c.scopedAlertsFor(ev, s.scratch.scoped)
	}
	s.flushUsage(c, cat)
	s.scratch.scoped = scoped
	for i := range us {
		u := &us[i]
		for j := range u.plan {
			s.rateUsage(cat, c, u.k, u.inv, u.rc, &u.plan[j], ev)
		}
	}
	s.scratch.scoped = scoped[:0]
	for i := range us {
		if terms.payments && us[i].k.paymentWatched() {
			s.evaluateThresholds(c, us[i].k, cat, now)
		}
	}
}
