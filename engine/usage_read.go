package engine

import (
	"context"
	"sort"

	"burndown/money"
)

// Usage reads (/v1/usage, /v1/usage/groups): a billable metric's usage over
// a window, from what rating recorded on the customer's usage statements.
// Nothing else holds usage, so the answer is the usage rated: events of a
// customer with a contract in force whose rate card prices and entitles a
// product the metric feeds (rejected events, and events no product priced,
// are not counted). A statement period holds its usage as one aggregate per
// product and group (usage lines, or Aggs for MAX, UNIQUE, LATEST and
// converting or rounding products), so a window is answered exactly when
// each period holding the metric's usage that it overlaps lies within it,
// or holds usage (from the period's start to its last rated event) only
// within it or only before it. Anything else is a UsageGap, never an
// estimate: a window boundary inside such a period, several products of
// the metric with usage in one period (their events may or may not be the
// same ones), or periods of different contracts overlapping in time.

// UsageQuery asks for one metric's usage in [StartingOn, EndingBefore).
type UsageQuery struct {
	MetricID     string
	StartingOn   Nanos
	EndingBefore Nanos
	// GroupKey splits the usage by the values of a pricing or presentation
	// group key of the product the metric feeds ("": no split).
	GroupKey string
	// CurrentPeriod replaces the window by the statement period in force
	// now (UsageAnswer.StartingOn and EndingBefore say which).
	CurrentPeriod bool
}

// Usage gap reasons.
const (
	// GapStart: a period holding usage starts before StartingOn and holds
	// usage after it (Start, End: the period).
	GapStart = "starting_on"
	// GapEnd: a period holding usage within the window ends after
	// EndingBefore and holds usage after it, or its last event is unknown.
	GapEnd = "ending_before"
	// GapProducts: several products the metric feeds have usage in one
	// period (ProductIDs).
	GapProducts = "products"
	// GapGroupKey: the product with usage has no such group key
	// (ProductIDs: that product).
	GapGroupKey = "group_key"
	// GapContracts: periods of two contracts with usage overlap in time.
	GapContracts = "contracts"
	// GapNoContract: CurrentPeriod asked and no contract is in force.
	GapNoContract = "no_contract"
)

// UsageGap says why a query cannot be answered exactly.
type UsageGap struct {
	Reason     string
	Start, End Nanos
	ProductIDs []string
}

// UsageValue is a metric's value: Known is false for a MAX or LATEST
// metric with no usage (it has no value; SUM, COUNT and UNIQUE are 0).
type UsageValue struct {
	Amount money.Amount
	Known  bool
}

// GroupUsage is the usage of one group value (Missing: events without the
// property).
type GroupUsage struct {
	Value   string
	Missing bool
	Usage   UsageValue
}

// UsageAnswer answers one UsageQuery: the window, the value, and the value
// of each group value seen (by value; missing last), or a Gap.
type UsageAnswer struct {
	StartingOn, EndingBefore Nanos
	Value                    UsageValue
	Groups                   []GroupUsage
	Gap                      *UsageGap
}

// MetricUsage answers the queries for one customer (id or alias), on its
// shard: the answers are computed from the live statements (UNIQUE sets
// included, which copies leave out) without copying them. It returns false
// for an unknown customer, and ctx's error when the shard does not get to
// the read in time.
func (e *Engine) MetricUsage(ctx context.Context, customer string, qs []UsageQuery) ([]UsageAnswer, bool, error) {
	out := make([]UsageAnswer, len(qs))
	found, err := e.read(ctx, customer, func(c *Customer, cat *Catalog, now Nanos) {
		for i, q := range qs {
			out[i] = c.metricUsage(cat, q, now)
		}
	})
	return out, found, err
}

// metricUsage answers q from the customer's statements.
func (c *Customer) metricUsage(cat *Catalog, q UsageQuery, now Nanos) UsageAnswer {
	ans := UsageAnswer{StartingOn: q.StartingOn, EndingBefore: q.EndingBefore}
	if q.CurrentPeriod {
		k := c.contractAt(now)
		if k == nil {
			ans.Gap = &UsageGap{Reason: GapNoContract}
			return ans
		}
		ans.StartingOn, ans.EndingBefore = k.currentPeriod(now)
	}
	m := cat.Metrics[q.MetricID]
	if m == nil {
		return ans
	}
	acc := newUsageAcc(m.Aggregation)
	var used []*Invoice // periods counted that hold usage of m
	for _, k := range c.Contracts {
		for _, inv := range k.Invoices {
			gap := acc.countInvoice(cat, m, inv, ans.StartingOn, ans.EndingBefore, q.GroupKey, &used)
			if gap != nil {
				ans.Gap = gap
				return ans
			}
		}
	}
	ans.Value, ans.Groups = acc.result()
	return ans
}

// countInvoice adds the invoice's usage of m when the window holds it.
func (a *usageAcc) countInvoice(cat *Catalog, m *Metric, inv *Invoice, from, before Nanos, key string, used *[]*Invoice) *UsageGap {
	if inv.Status != InvoiceDraft && inv.Status != InvoiceFinalized {
		return nil // only statements bill usage (a voided one is replaced)
	}
	prods := productsWithUsage(cat, m, inv)
	if len(prods) == 0 {
		return nil
	}
	in, gap := windowHolds(inv, from, before)
	if gap != nil || !in {
		return gap
	}
	if len(prods) > 1 {
		gap := &UsageGap{Reason: GapProducts, Start: inv.Start, End: inv.End}
		for _, p := range prods {
			gap.ProductIDs = append(gap.ProductIDs, p.ID)
		}
		return gap
	}
	if gap := overlapsOther(*used, inv); gap != nil {
		return gap
	}
	*used = append(*used, inv)
	return a.addInvoice(inv, prods[0], m, key)
}

// currentPeriod is the statement period in force at now (its invoice's,
// or the one rating would open).
func (k *Contract) currentPeriod(now Nanos) (Nanos, Nanos) {
	if inv := k.findInvoice(now); inv != nil {
		return inv.Start, inv.End
	}
	start, end := k.periodBounds(now)
	for _, prev := range k.Invoices {
		if !prev.Scheduled() && prev.End > start && prev.End <= now {
			start = prev.End
		}
	}
	return start, end
}

// productsWithUsage lists the products the metric feeds that have usage
// recorded on the invoice.
func productsWithUsage(cat *Catalog, m *Metric, inv *Invoice) []*Product {
	var found []*Product
	for _, p := range cat.productsByMetric[m.ID] {
		if inv.holdsUsage(p, m) {
			found = append(found, p)
		}
	}
	return found
}

// holdsUsage reports whether rating recorded usage of p on the invoice.
func (inv *Invoice) holdsUsage(p *Product, m *Metric) bool {
	if p.needsAgg(m) {
		for _, ag := range inv.Aggs() {
			if ag.ProductID == p.ID {
				return true
			}
		}
		return false
	}
	for _, l := range inv.Lines {
		if l.Type == LineUsage && l.ProductID == p.ID {
			return true
		}
	}
	return false
}

// windowHolds reports whether the invoice's usage counts in [from, before):
// all of it (in true) or none of it (false); a gap when only part may.
// Its usage lies in [Start, LastUsageAt] (LastUsageAt 0: unknown, taken as
// the whole period).
func windowHolds(inv *Invoice, from, before Nanos) (bool, *UsageGap) {
	if inv.End <= from || inv.Start >= before {
		return false, nil
	}
	last := inv.LastUsageAt
	if last == 0 {
		last = inv.End - 1
	}
	switch {
	case inv.Start >= from && (inv.End <= before || last < before):
		return true, nil
	case last < from:
		return false, nil
	case inv.Start < from:
		return false, &UsageGap{Reason: GapStart, Start: inv.Start, End: inv.End}
	}
	return false, &UsageGap{Reason: GapEnd, Start: inv.Start, End: inv.End}
}

// overlapsOther is a gap when inv overlaps in time a counted period of
// another contract: both may have rated the same events.
func overlapsOther(used []*Invoice, inv *Invoice) *UsageGap {
	for _, u := range used {
		if u.ContractID != inv.ContractID && u.Start < inv.End && inv.Start < u.End {
			return &UsageGap{Reason: GapContracts, Start: max(u.Start, inv.Start), End: min(u.End, inv.End)}
		}
	}
	return nil
}

// usageAcc combines a metric's aggregates across periods and groups as
// the metric aggregates events: sums add, MAX keeps the largest, LATEST the
// latest event's value, UNIQUE the union of the distinct values.
type usageAcc struct {
	agg    string
	total  aggValue
	groups map[string]*aggValue // by group value; missingGroup for none
}

type aggValue struct {
	sum      money.Amount
	seen     bool
	latestAt Nanos
	latestTx string
	uniques  map[[16]byte]struct{}
}

const missingGroup = "\x00"

func newUsageAcc(agg string) *usageAcc { return &usageAcc{agg: agg} }

// addInvoice adds p's usage on the invoice, split by key when given.
func (a *usageAcc) addInvoice(inv *Invoice, p *Product, m *Metric, key string) *UsageGap {
	idx := -1
	if key != "" {
		if idx = p.groupKeyIndex(key); idx < 0 {
			return &UsageGap{Reason: GapGroupKey, Start: inv.Start, End: inv.End, ProductIDs: []string{p.ID}}
		}
	}
	if !p.needsAgg(m) {
		for _, l := range inv.Lines {
			if l.Type == LineUsage && l.ProductID == p.ID {
				a.take(idx, l.GroupValues(), func(v *aggValue) { v.sum = v.sum.Add(l.Quantity); v.seen = true })
			}
		}
		return nil
	}
	for _, ag := range inv.Aggs() {
		if ag.ProductID == p.ID {
			a.take(idx, ag.GroupValues, func(v *aggValue) { v.addAgg(a.agg, ag) })
		}
	}
	return nil
}

// take applies add to the total and to the group of values[idx].
func (a *usageAcc) take(idx int, values []string, add func(*aggValue)) {
	add(&a.total)
	if idx < 0 {
		return
	}
	g := missingGroup
	if idx < len(values) && values[idx] != "" {
		g = values[idx]
	}
	if a.groups == nil {
		a.groups = map[string]*aggValue{}
	}
	v := a.groups[g]
	if v == nil {
		v = &aggValue{}
		a.groups[g] = v
	}
	add(v)
}

func (v *aggValue) addAgg(agg string, ag *UsageAgg) {
	switch agg {
	case AggMax:
		if ag.Seen && (!v.seen || ag.Quantity.Cmp(v.sum) > 0) {
			v.sum, v.seen = ag.Quantity, true
		}
	case AggLatest:
		if ag.Seen && (!v.seen || ag.LatestAt > v.latestAt || (ag.LatestAt == v.latestAt && ag.LatestTx > v.latestTx)) {
			v.sum, v.seen, v.latestAt, v.latestTx = ag.Quantity, true, ag.LatestAt, ag.LatestTx
		}
	case AggUnique:
		if v.uniques == nil {
			v.uniques = map[[16]byte]struct{}{}
		}
		for i := 0; i+16 <= len(ag.Uniques); i += 16 {
			v.uniques[[16]byte(ag.Uniques[i:i+16])] = struct{}{}
		}
		v.seen = true
	default:
		v.sum, v.seen = v.sum.Add(ag.Quantity), true
	}
}

func (a *usageAcc) value(v *aggValue) UsageValue {
	switch a.agg {
	case AggMax, AggLatest:
		return UsageValue{Amount: v.sum, Known: v.seen}
	case AggUnique:
		return UsageValue{Amount: money.FromInt(int64(len(v.uniques))), Known: true}
	}
	return UsageValue{Amount: v.sum, Known: true}
}

// result is the total and the groups, by value with missing last.
func (a *usageAcc) result() (UsageValue, []GroupUsage) {
	var groups []GroupUsage
	for g, v := range a.groups {
		groups = append(groups, GroupUsage{Value: g, Missing: g == missingGroup, Usage: a.value(v)})
	}
	sort.Slice(groups, func(i, j int) bool {
		if groups[i].Missing != groups[j].Missing {
			return !groups[i].Missing
		}
		return groups[i].Value < groups[j].Value
	})
	for i := range groups {
		if groups[i].Missing {
			groups[i].Value = ""
		}
	}
	return a.value(&a.total), groups
}

// MetricGroupKey reports whether key is a pricing or presentation group
// key of a product the metric feeds: the keys usage is split by.
func (c *Catalog) MetricGroupKey(metricID, key string) bool { return metricGroupKey(c, metricID, key) }
