package engine

import (
	"bytes"
	"encoding/binary"
	"sort"
	"time"

	"burndown/money"
)

// ratingScratch holds per-shard buffers reused across events.
type ratingScratch struct {
	metrics []*Metric
	cands   []drawCandidate
	plan    []plannedUsage
	// balances is buildView's per-commit balances.
	balances []money.Amount
	// scoped lists the scoped spend alerts the event being rated counts for.
	scoped []*Alert
	// contracts lists the contracts in force for the event being rated.
	contracts []*Contract
	// counts caches the applicable-product counts of commits (burndown.go).
	counts commitCounts
}

// amountOne is the quantity of a COUNT event.
var amountOne = money.FromInt(1)

// rateEvent dedups, rates and burns down one event on its customer's shard.
func (s *shard) rateEvent(t *task, cat *Catalog, now Nanos) {
	ev := t.event
	c := s.mutableHandle(t.h, usageChange)
	out := t.out
	if c == nil {
		out.reject(RejectUnknownCustomer)
		return
	}
	if ev.Timestamp > now+MaxFutureSkew.Nanoseconds() {
		s.rejectEvent(c, out, RejectFuture)
		return
	}
	if ev.Timestamp < now-s.eng.cfg.DedupWindow.Nanoseconds() || dayOf(ev.Timestamp) < s.eng.dedupFloor.Load() {
		s.rejectEvent(c, out, RejectTooOld)
		return
	}
	ks := c.contractsAt(ev.Timestamp, s.scratch.contracts[:0])
	s.scratch.contracts = ks
	n := 0
	for _, k := range ks {
		if k.selects(ev) {
			ks[n] = k
			n++
		}
	}
	switch n {
	case 0:
		s.rejectEvent(c, out, RejectNoContract)
	case 1:
		s.rateOn(t, c, cat, ks[0], now)
	default:
		s.rateOnSeveral(t, c, cat, ks[:n], now)
	}
	clear(ks)
}

// rateOn rates an event on the one contract in force that selects it.
func (s *shard) rateOn(t *task, c *Customer, cat *Catalog, k *Contract, now Nanos) {
	ev, out := t.event, t.out
	rc := cat.RateCards[k.RateCardID]
	if rc == nil {
		s.rejectEvent(c, out, RejectNoContract)
		return
	}
	inv := k.findInvoice(ev.Timestamp)
	if (inv != nil && inv.Status != InvoiceDraft) || (inv == nil && !k.FoundationRules && k.periodClosed(ev.Timestamp, now)) {
		s.rejectEvent(c, out, RejectFinalized)
		return
	}
	// Which priced products the event adds to, in catalog order.
	plan := s.planUsage(cat, rc, k, ev)
	if inv != nil && uniqueLimitReached(inv, plan) {
		s.rejectEvent(c, out, RejectUniqueLimit)
		return
	}
	// Checked last so a rejected event is not remembered, and with one hash
	// operation: the dedup index is the largest structure an event touches.
	if !s.dedup.insertKey(ev.Timestamp, t.keyFor(c), c.ID, ev.TransactionID) {
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
	terms := c.summary()
	var scoped []*Alert
	if terms.alerts {
		scoped = c.scopedAlertsFor(ev, s.scratch.scoped)
	}
	// A product a composite covers is rated per event: its composite
	// draws on the balances right after it (rateComposites), which a run
	// would reorder. So is usage a group-scoped alert counts.
	// So is usage of a contract with auto-recharge or threshold billing:
	// they are evaluated after each event (payments.go).
	watched := terms.payments && k.paymentWatched()
	if len(plan) == 1 && plan[0].summed() && !s.eng.rateEachEvent && !cat.coveredByComposite[plan[0].product.ID] && len(scoped) == 0 && !watched {
		s.stage(c, k, inv, rc, plan[0].product, &plan[0].pr, plan[0].qty, ev.Timestamp, cat)
		return
	}
	s.flushUsage(c, cat)
	// The spend of an event a scoped spend alert watches is counted for it
	// as it is rated (such events are never staged).
	s.scratch.scoped = scoped
	for i := range plan {
		s.rateUsage(cat, c, k, inv, rc, &plan[i], ev)
	}
	s.scratch.scoped = scoped[:0]
	if watched {
		s.evaluateThresholds(c, k, cat, now)
	}
}

// planUsage lists the priced, entitled products an event adds to, in catalog
// order, into the shard's scratch plan.
func (s *shard) planUsage(cat *Catalog, rc *RateCard, k *Contract, ev *Event) []plannedUsage {
	plan := s.scratch.plan[:0]
	s.scratch.metrics = cat.metricsForEvent(ev.EventType, s.scratch.metrics)
	for _, m := range s.scratch.metrics {
		qty, ok := m.quantity(ev)
		if !ok {
			continue
		}
		for _, p := range cat.productsByMetric[m.ID] {
			var group []string
			if p.groupKeyCount() > 0 {
				group = eventGroup(p, ev)
			}
			pr, ok := priceAt(cat, rc, k, p, pricingPart(p, group), ev.Timestamp)
			if !ok || !pr.entitled {
				continue
			}
			u := plannedUsage{product: p, metric: m, pr: pr, qty: qty, group: group}
			if m.Aggregation == AggUnique {
				u.unique = uniqueHash(ev.Properties[m.AggregationKey])
			}
			plan = append(plan, u)
		}
	}
	s.scratch.plan = plan
	return plan
}

// plannedUsage is one product an event adds to.
type plannedUsage struct {
	product *Product
	metric  *Metric
	pr      pricedRate
	qty     money.Amount // the event's value: 1 (COUNT), the property (SUM, MAX, LATEST)
	group   []string     // pricing then presentation group values; nil without group keys
	unique  [16]byte     // UNIQUE: the hash of the value
}

// summed reports whether the usage's spend is its quantity times one price,
// whatever the period holds: a COUNT or SUM metric on a FLAT rate, a product
// without conversion, rounding or groups. Only such usage may join a run
// of identically rated events (aggregate.go), where it is provably rated as
// per event.
func (u *plannedUsage) summed() bool {
	return u.pr.tiers == nil && !u.product.needsAgg(u.metric) && u.group == nil
}

// needsAgg reports whether the period quantity of p on metric m needs state
// beyond the sum of its invoice lines' quantities: a MAX, UNIQUE or LATEST
// metric, or a product converting or rounding quantities.
func (p *Product) needsAgg(m *Metric) bool {
	switch m.Aggregation {
	case AggMax, AggUnique, AggLatest:
		return true
	}
	return p.QuantityConversion != nil || p.QuantityRounding != nil
}

// MaxUniqueValues bounds the distinct values a UNIQUE metric's aggregate
// holds per invoice, product and group (16 bytes each: 256 KiB at most). An
// event that would add a value past the bound is rejected as a whole with
// RejectUniqueLimit before its transaction id is remembered, so no bill is
// silently wrong and a resend is counted again once the period closes.
const MaxUniqueValues = 1 << 14

// uniqueLimitReached reports whether an event would add a new distinct value
// to a UNIQUE aggregate already holding MaxUniqueValues.
func uniqueLimitReached(inv *Invoice, plan []plannedUsage) bool {
	for i := range plan {
		u := &plan[i]
		if u.metric.Aggregation != AggUnique {
			continue
		}
		if a := inv.findAgg(u.product.ID, u.group); a != nil && len(a.Uniques)/16 >= MaxUniqueValues {
			if _, found := a.uniqueIndex(u.unique); !found {
				return true
			}
		}
	}
	return false
}

// rateUsage rates one planned usage incrementally: spend = price(period
// quantity after) − price(period quantity before), within the invoice's
// period, per product and group; the line's quantity moves by the change of
// the priced quantity.
func (s *shard) rateUsage(cat *Catalog, c *Customer, k *Contract, inv *Invoice, rc *RateCard, u *plannedUsage, ev *Event) {
	p := u.product
	if u.summed() {
		s.rate(cat, c, k, inv, rc, p, u.pr.creditTypeID, u.qty, u.qty.Mul(u.pr.price), ev.Timestamp, nil)
		return
	}
	var before, after money.Amount
	if p.needsAgg(u.metric) {
		a := inv.agg(p.ID, u.group)
		before = a.raw()
		if !a.take(u, ev) {
			return
		}
		after = a.raw()
	} else {
		before = inv.usageQuantity(p.ID, u.group)
		after = before.Add(u.qty)
	}
	qb, qa := p.pricedQuantity(before), p.pricedQuantity(after)
	spend := u.pr.total(qa).Sub(u.pr.total(qb))
	s.rate(cat, c, k, inv, rc, p, u.pr.creditTypeID, qa.Sub(qb), spend, ev.Timestamp, u.group)
}

// rate records usage of a product on the invoice and burns its spend down
// from the balances in force at t; what they do not cover is overage.
func (s *shard) rate(cat *Catalog, c *Customer, k *Contract, inv *Invoice, rc *RateCard, p *Product, creditTypeID string, qty, spend money.Amount, t Nanos, group []string) {
	inv.addUsage(p, creditTypeID, qty, spend, group)
	for _, a := range s.scratch.scoped {
		a.trackGroupSpend(k, inv, creditTypeID, spend)
	}
	remaining := s.burnDown(cat, c, k, inv, p.ID, creditTypeID, t, spend)
	inv.addOverage(rc, creditTypeID, remaining)
	if !spend.IsZero() && cat.coveredByComposite[p.ID] {
		s.rateComposites(cat, c, k, inv, rc, p, creditTypeID, spend, t)
	}
}

// rateComposites rates the COMPOSITE products covering p after p's spend
// moved by spend (in creditTypeID) at t. A composite's covered spend S is
// the period's usage spend (after overrides, before burn-down) of every
// product it covers, in that credit type, summed exactly over the invoice's
// usage lines. Its charge moves by total(S after) − total(S before), where
// total is its rate at t after the contract's overrides: fraction × S for a
// PERCENTAGE rate (Mul, the one rounding rule, past 12 fractional digits),
// so with one rate in force all period the charges sum to exactly
// fraction × S. The composite's usage line (its quantity is S, its unit
// price the fraction) is in the covered spend's credit type, and its
// charge burns down like usage, right after the covered spend's.
func (s *shard) rateComposites(cat *Catalog, c *Customer, k *Contract, inv *Invoice, rc *RateCard, p *Product, creditTypeID string, spend money.Amount, t Nanos) {
	for _, comp := range cat.composites {
		if !comp.covers(p) {
			continue
		}
		pr, ok := priceAt(cat, rc, k, comp, nil, t)
		if !ok || !pr.entitled || pr.rate.RateType != RatePercentage {
			continue
		}
		after := inv.coveredSpend(cat, comp, creditTypeID)
		before := after.Sub(spend)
		charge := pr.total(after).Sub(pr.total(before))
		inv.addUsage(comp, creditTypeID, spend, charge, nil)
		remaining := s.burnDown(cat, c, k, inv, comp.ID, creditTypeID, t, charge)
		inv.addOverage(rc, creditTypeID, remaining)
	}
}

// coveredSpend is the period's usage spend in creditTypeID of the products
// comp covers.
func (inv *Invoice) coveredSpend(cat *Catalog, comp *Product, creditTypeID string) money.Amount {
	var sum money.Amount
	for _, l := range inv.Lines {
		if l.Type == LineUsage && l.CreditTypeID == creditTypeID && comp.covers(cat.Products[l.ProductID]) {
			sum = sum.Add(l.Total)
		}
	}
	return sum
}

// eventGroup returns the event's values of the product's pricing then
// presentation group keys ("" for a missing property).
func eventGroup(p *Product, ev *Event) []string {
	g := make([]string, 0, p.groupKeyCount())
	for _, key := range p.PricingGroupKey {
		g = append(g, ev.Properties[key])
	}
	for _, key := range p.PresentationGroupKey {
		g = append(g, ev.Properties[key])
	}
	return g
}

// pricingPart is the pricing group values of a usage group.
func pricingPart(p *Product, group []string) []string {
	if group == nil {
		return nil
	}
	return group[:len(p.PricingGroupKey)]
}

func uniqueHash(v string) (h [16]byte) {
	h1, h2 := murmur3x64_128([]byte(v))
	binary.BigEndian.PutUint64(h[:8], h1)
	binary.BigEndian.PutUint64(h[8:], h2)
	return h
}

// raw is the aggregate's period quantity before conversion and rounding
// (zero before any MAX or LATEST value).
func (a *UsageAgg) raw() money.Amount { return a.Quantity }

// take folds one event's usage into the aggregate; false when it changes
// nothing (an older LATEST, a smaller MAX, a repeated UNIQUE value).
func (a *UsageAgg) take(u *plannedUsage, ev *Event) bool {
	switch u.metric.Aggregation {
	case AggMax:
		if a.Seen && !a.Quantity.LessThan(u.qty) {
			return false
		}
		a.Quantity, a.Seen = u.qty, true
	case AggLatest:
		if a.Seen && (ev.Timestamp < a.LatestAt || (ev.Timestamp == a.LatestAt && ev.TransactionID <= a.LatestTx)) {
			return false
		}
		a.Quantity, a.Seen, a.LatestAt, a.LatestTx = u.qty, true, ev.Timestamp, ev.TransactionID
	case AggUnique:
		i, found := a.uniqueIndex(u.unique)
		if found {
			return false
		}
		a.Uniques = append(a.Uniques, u.unique[:]...)
		copy(a.Uniques[(i+1)*16:], a.Uniques[i*16:])
		copy(a.Uniques[i*16:], u.unique[:])
		a.Quantity = a.Quantity.Add(amountOne)
	default: // COUNT, SUM on a converting or rounding product
		a.Quantity = a.Quantity.Add(u.qty)
	}
	return true
}

// uniqueIndex finds a hash in the sorted set: its index, or where it goes.
func (a *UsageAgg) uniqueIndex(h [16]byte) (int, bool) {
	n := len(a.Uniques) / 16
	i := sort.Search(n, func(i int) bool { return bytes.Compare(a.Uniques[i*16:i*16+16], h[:]) >= 0 })
	return i, i < n && bytes.Equal(a.Uniques[i*16:i*16+16], h[:])
}

// findAgg returns the invoice's aggregate of (product, group), or nil.
func (inv *Invoice) findAgg(productID string, group []string) *UsageAgg {
	for _, a := range inv.Aggs() {
		if a.ProductID == productID && slicesEqual(a.GroupValues, group) {
			return a
		}
	}
	return nil
}

// agg returns the invoice's aggregate of (product, group), adding it.
func (inv *Invoice) agg(productID string, group []string) *UsageAgg {
	if a := inv.findAgg(productID, group); a != nil {
		return a
	}
	a := &UsageAgg{ProductID: productID, GroupValues: group}
	inv.SetAggs(append(inv.Aggs(), a))
	return a
}

// usageQuantity is the period quantity of (product, group) so far when it
// is the sum of its usage lines (in every credit type).
func (inv *Invoice) usageQuantity(productID string, group []string) money.Amount {
	var q money.Amount
	for _, l := range inv.Lines {
		if l.Type == LineUsage && l.ProductID == productID && slicesEqual(l.GroupValues(), group) {
			q = q.Add(l.Quantity)
		}
	}
	return q
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
	c.EditExtra(func(x *CustomerExtra) {
		if x.Rejects == nil {
			x.Rejects = map[RejectReason]int64{}
		}
		x.Rejects[r]++
	})
}

// quantity is the event's contribution to the metric, false when the event
// does not match the metric's filters. A SUM property that ParseAmount
// refuses (not a number, or outside the bounds) does not count.
func (m *Metric) quantity(ev *Event) (money.Amount, bool) {
	if f := m.EventTypeFilter; f != nil {
		for _, v := range f.NotInValues {
			if v == ev.EventType {
				return money.Amount{}, false
			}
		}
	}
	for i := range m.PropertyFilters {
		if !m.PropertyFilters[i].matches(ev.Properties) {
			return money.Amount{}, false
		}
	}
	switch m.Aggregation {
	case AggCount, "":
		return amountOne, true
	case AggSum:
		v, ok := ev.Properties[m.AggregationKey]
		if !ok {
			return money.Amount{}, false
		}
		d, err := money.Parse(v)
		if err != nil {
			return money.Amount{}, false
		}
		return d, true
	case AggMax, AggLatest:
		// The aggregate (rateUsage) folds the value in; a value ParseAmount
		// refuses does not count.
		d, err := money.Parse(ev.Properties[m.AggregationKey])
		if err != nil {
			return money.Amount{}, false
		}
		return d, true
	case AggUnique:
		if _, ok := ev.Properties[m.AggregationKey]; !ok {
			return money.Amount{}, false
		}
		return amountOne, true
	}
	return money.Amount{}, false
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
		if !prev.Scheduled() && prev.End > start && prev.End <= t {
			start = prev.End
		}
	}
	inv := &Invoice{
		ID: DeriveID(k.ID, "invoice", time.Unix(0, start).UTC().Format(time.RFC3339)), ContractID: k.ID,
		Start: start, End: end, Status: InvoiceDraft,
	}
	k.insertInvoice(inv)
	return inv, true
}

// insertInvoice adds an invoice, keeping invoices ordered by start.
func (k *Contract) insertInvoice(inv *Invoice) {
	i := len(k.Invoices)
	for i > 0 && k.Invoices[i-1].Start > inv.Start {
		i--
	}
	k.Invoices = append(k.Invoices, nil)
	copy(k.Invoices[i+1:], k.Invoices[i:])
	k.Invoices[i] = inv
}

func (inv *Invoice) line(typ, productID, commitID, creditTypeID string) *InvoiceLine {
	return inv.groupLine(typ, productID, commitID, creditTypeID, nil)
}

// groupLine finds or adds the line; usage lines are split by group.
func (inv *Invoice) groupLine(typ, productID, commitID, creditTypeID string, group []string) *InvoiceLine {
	for _, l := range inv.Lines {
		if l.Type == typ && l.ProductID == productID && l.CommitID == commitID && l.CreditTypeID == creditTypeID && slicesEqual(l.GroupValues(), group) {
			return l
		}
	}
	l := &InvoiceLine{Type: typ, ProductID: productID, CommitID: commitID, CreditTypeID: creditTypeID, Group: NewLineGroup(group)}
	inv.Lines = append(inv.Lines, l)
	return l
}

func (inv *Invoice) addUsage(p *Product, creditTypeID string, qty, spend money.Amount, group []string) {
	l := inv.groupLine(LineUsage, p.ID, "", creditTypeID, group)
	l.Quantity = l.Quantity.Add(qty)
	l.Total = l.Total.Add(spend)
}

// addOverage adds what no balance covered to the invoice total, converting a
// custom pricing unit to the rate card's fiat.
func (inv *Invoice) addOverage(rc *RateCard, creditTypeID string, amount money.Amount) {
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
