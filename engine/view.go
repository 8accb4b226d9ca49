package engine

import (
	"slices"
	"strings"

	"burndown/money"
)

// publish rebuilds the customer's entitlement view for now and swaps it in.
func (s *shard) publish(c *Customer, cat *Catalog, now Nanos) {
	h := c.handle
	if h == nil {
		return
	}
	v := buildView(c, cat, now, &s.scratch.balances)
	if c.summary().alerts {
		v = c.blocks(v)
	}
	h.view.Store(v)
}

// viewOfOne is a view and its one product answer in a single allocation:
// most contracts in force price one product, and a view is rebuilt for
// every customer an apply touches.
type viewOfOne struct {
	view    EntitlementView
	answers [1]ProductAnswer
}

// buildView computes the answer for every product a contract in force
// prices, so a check never computes anything (several contracts:
// mergeViews). balances is scratch space
// reused between calls.
func buildView(c *Customer, cat *Catalog, now Nanos, balances *[]money.Amount) *EntitlementView {
	var one [1]*Contract
	ks := c.contractsAt(now, one[:0])
	switch len(ks) {
	case 0:
		return emptyView
	case 1:
		return contractView(c, ks[0], cat, now, balances)
	}
	return mergeViews(c, ks, cat, now, balances)
}

// contractView computes the answers of one contract in force.
func contractView(c *Customer, k *Contract, cat *Catalog, now Nanos, balances *[]money.Amount) *EntitlementView {
	rc := cat.RateCards[k.RateCardID]
	if rc == nil {
		return emptyView
	}
	var v *EntitlementView
	if len(rc.ProductOrder) == 1 {
		one := &viewOfOne{}
		v = &one.view
		v.Products = one.answers[:0]
	} else {
		v = &EntitlementView{Products: make([]ProductAnswer, 0, len(rc.ProductOrder))}
	}
	v.AsOf = now
	v.Default = cat.notEntitled(rc.FiatCreditTypeID)
	// Each balance once, then per product the sum of those that apply.
	bals := (*balances)[:0]
	for _, cm := range k.Balances {
		var b money.Amount
		if cm.drawable() && !cm.postpaid() { // a postpaid commit is no prepaid balance
			b = cm.BalanceAt(now)
		}
		bals = append(bals, b)
	}
	*balances = bals
	for _, pid := range rc.ProductOrder {
		pr, ok := priceAt(cat, rc, k, cat.Products[pid], nil, now)
		if !ok {
			continue
		}
		var bal money.Amount
		for i, cm := range k.Balances {
			if cm.drawable() && !cm.postpaid() && cm.CreditTypeID == pr.creditTypeID && cm.appliesTo(cat, pid) {
				bal = bal.Add(bals[i])
			}
		}
		if len(c.Balances()) > 0 {
			bal = bal.Add(c.sharedBalanceFor(k, cat, pid, pr.creditTypeID, now))
		}
		entitled, reason := true, ReasonOK
		switch {
		case !pr.entitled:
			entitled, reason = false, ReasonNotEntitled
		case k.prepaidOnly() && !bal.IsPositive() && !subscriptionProduct(cat, pid):
			entitled, reason = false, k.depletedReason()
		}
		v.Products = append(v.Products, ProductAnswer{ProductID: pid, ProductEntitlement: ProductEntitlement{
			Entitled: entitled, reason: codeOf(reason), Balance: bal, CreditTypeID: pr.creditTypeID}})
	}
	if len(v.Products) > 1 {
		slices.SortFunc(v.Products, func(a, b ProductAnswer) int { return strings.Compare(a.ProductID, b.ProductID) })
	}
	return v
}
