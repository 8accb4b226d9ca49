package engine

import "time"

// ratingScratch holds per-shard buffers reused across events.
type ratingScratch struct {
	metrics []*Metric
	cands   []drawCandidate
	plan    []plannedUsage
	// balances is buildView's per-commit balances.
	balances []Amount
}

// amountOne is the quantity of a COUNT event.
var amountOne = AmountFromInt(1)

// rateEvent dedups, rates and burns down one event on its customer's shard.
func (s *shard) rateEvent(t *task, cat *Catalog, now Nanos) {
	ev := t.event
	c := s.mutable(t.h.ID, usageChange)
	out := t.out
	if c == nil {
		out.reject(RejectUnknownCustomer)
		return
	}
	if ev.Timestamp > now+MaxFutureSkew.Nanoseconds() {
		s.rejectEvent(c, out, RejectFuture)
		return
	}
	if ev.Timestamp < now-s.eng.cfg.DedupWindow.Nanoseconds() {
		s.rejectEvent(c, out, RejectTooOld)
		return
	}
	k := c.contractAt(ev.Timestamp)
	if k == nil {
		s.rejectEvent(c, out, RejectNoContract)
		return
	}
	rc := cat.RateCards[k.RateCardID]
	if rc == nil {
		s.rejectEvent(c, out, RejectNoContract)
		return
	}
	inv := k.findInvoice(ev.Timestamp)
	if (inv != nil && inv.Status != InvoiceDraft) || (inv == nil && k.periodClosed(ev.Timestamp, now)) {
		s.rejectEvent(c, out, RejectFinalized)
		return
	}
	// Checked last so a rejected event is not remembered, and with one hash
	// operation: the dedup index is the largest structure an event touches.
	if !s.dedup.insert(ev.Timestamp, c.ID, ev.TransactionID) {
		out.Duplicates++
		return
	}
	if inv == nil {
		inv, _ = k.invoiceFor(ev.Timestamp)
		c.reschedule = true
	}
	out.Accepted++
	if ev.Timestamp > inv.LastUsageAt {
		inv.LastUsageAt = ev.Timestamp
	}
	// Which priced products the event adds to, in catalog order.
	plan := s.scratch.plan[:0]
	s.scratch.metrics = cat.metricsForEvent(ev.EventType, s.scratch.metrics)
	for _, m := range s.scratch.metrics {
		qty, ok := m.quantity(ev)
		if !ok {
			continue
		}
		for _, p := range cat.productsByMetric[m.ID] {
			pr, ok := priceAt(cat, rc, k, p.ID, ev.Timestamp)
			if !ok || !pr.entitled {
				continue
			}
			plan = append(plan, plannedUsage{product: p, pr: pr, qty: qty})
		}
	}
	s.scratch.plan = plan
	if len(plan) == 1 && !s.eng.cfg.RateEachEvent {
		s.stage(c, k, inv, rc, plan[0].product, &plan[0].pr, plan[0].qty, ev.Timestamp, cat)
		return
	}
	s.flushUsage(c, cat)
	for i := range plan {
		u := &plan[i]
		s.rate(cat, k, inv, rc, u.product, u.pr.creditTypeID, u.qty, u.qty.Mul(u.pr.price), ev.Timestamp)
	}
}

// plannedUsage is one product an event adds to.
type plannedUsage struct {
	product *Product
	pr      pricedRate
	qty     Amount
}

// rate records usage of a product on the invoice and burns its spend down
// from the balances in force at t; what they do not cover is overage.
func (s *shard) rate(cat *Catalog, k *Contract, inv *Invoice, rc *RateCard, p *Product, creditTypeID string, qty, spend Amount, t Nanos) {
	inv.addUsage(p, creditTypeID, qty, spend)
	remaining := s.burnDown(cat, k, inv, p.ID, creditTypeID, t, spend)
	inv.addOverage(rc, creditTypeID, remaining)
}

func (o *IngestOutcome) reject(r RejectReason) {
	if o.Rejected == nil {
		o.Rejected = map[RejectReason]int{}
	}
	o.Rejected[r]++
}

// rejectEvent keeps an event as a counted reject: on the customer (its
// replicated count), in the shard's totals (for /metrics) and in the
// command's outcome.
func (s *shard) rejectEvent(c *Customer, out *IngestOutcome, r RejectReason) {
	c.reject(r)
	s.countReject(r, 1)
	out.reject(r)
}

func (c *Customer) reject(r RejectReason) {
	if c.Rejects == nil {
		c.Rejects = map[RejectReason]int64{}
	}
	c.Rejects[r]++
}

// quantity is the event's contribution to the metric, false when the event
// does not match the metric's filters. A SUM property that ParseAmount
// refuses (not a number, or outside the bounds) does not count.
func (m *Metric) quantity(ev *Event) (Amount, bool) {
	if f := m.EventTypeFilter; f != nil {
		for _, v := range f.NotInValues {
			if v == ev.EventType {
				return Amount{}, false
			}
		}
	}
	for i := range m.PropertyFilters {
		if !m.PropertyFilters[i].matches(ev.Properties) {
			return Amount{}, false
		}
	}
	switch m.Aggregation {
	case AggCount, "":
		return amountOne, true
	case AggSum:
		v, ok := ev.Properties[m.AggregationKey]
		if !ok {
			return Amount{}, false
		}
		d, err := ParseAmount(v)
		if err != nil {
			return Amount{}, false
		}
		return d, true
	}
	// MAX, UNIQUE and LATEST need per-period state; not rated yet.
	return Amount{}, false
}

func (f *PropertyFilter) matches(props map[string]string) bool {
	v, ok := props[f.Name]
	if f.Exists != nil && *f.Exists != ok {
		return false
	}
	if len(f.InValues) > 0 {
		if !ok || !contains(f.InValues, v) {
			return false
		}
	}
	if len(f.NotInValues) > 0 && ok && contains(f.NotInValues, v) {
		return false
	}
	return true
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// findInvoice returns the usage invoice of the period containing t, or nil.
func (k *Contract) findInvoice(t Nanos) *Invoice {
	for i := len(k.Invoices) - 1; i >= 0; i-- {
		inv := k.Invoices[i]
		if t >= inv.Start && t < inv.End {
			return inv
		}
	}
	return nil
}

// invoiceFor returns the usage invoice of the period containing t, creating
// the draft when it does not exist yet.
func (k *Contract) invoiceFor(t Nanos) (*Invoice, bool) {
	if inv := k.findInvoice(t); inv != nil {
		return inv, false
	}
	start, end := k.periodBounds(t)
	// After an end date moved, an earlier statement may already cover the
	// start of this period: start where it ends.
	for _, prev := range k.Invoices {
		if prev.End > start && prev.End <= t {
			start = prev.End
		}
	}
	inv := &Invoice{
		ID: DeriveID(k.ID, "invoice", time.Unix(0, start).UTC().Format(time.RFC3339)), ContractID: k.ID,
		Start: start, End: end, Status: InvoiceDraft,
	}
	// Keep invoices ordered by start.
	i := len(k.Invoices)
	for i > 0 && k.Invoices[i-1].Start > start {
		i--
	}
	k.Invoices = append(k.Invoices, nil)
	copy(k.Invoices[i+1:], k.Invoices[i:])
	k.Invoices[i] = inv
	return inv, true
}

func (inv *Invoice) line(typ, productID, commitID, creditTypeID string) *InvoiceLine {
	for _, l := range inv.Lines {
		if l.Type == typ && l.ProductID == productID && l.CommitID == commitID && l.CreditTypeID == creditTypeID {
			return l
		}
	}
	l := &InvoiceLine{Type: typ, ProductID: productID, CommitID: commitID, CreditTypeID: creditTypeID}
	inv.Lines = append(inv.Lines, l)
	return l
}

func (inv *Invoice) addUsage(p *Product, creditTypeID string, qty, spend Amount) {
	l := inv.line(LineUsage, p.ID, "", creditTypeID)
	l.Quantity = l.Quantity.Add(qty)
	l.Total = l.Total.Add(spend)
}

// addOverage adds what no balance covered to the invoice total, converting a
// custom pricing unit to the rate card's fiat.
func (inv *Invoice) addOverage(rc *RateCard, creditTypeID string, amount Amount) {
	if inv.CreditTypeID == "" {
		inv.CreditTypeID = rc.FiatCreditTypeID
	}
	if amount.IsZero() {
		return
	}
	if creditTypeID != rc.FiatCreditTypeID {
		rate, ok := rc.FiatPerCustom(creditTypeID)
		if !ok {
			return
		}
		amount = amount.Mul(rate)
		l := inv.line(LineCPUConversion, "", "", rc.FiatCreditTypeID)
		l.Total = l.Total.Add(amount)
	}
	inv.Total = inv.Total.Add(amount)
}
