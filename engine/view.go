package engine

import (
	"slices"
	"strings"
)

// publish rebuilds the customer's entitlement view for now and swaps it in.
func (s *shard) publish(c *Customer, cat *Catalog, now Nanos) {
	h := c.handle
	if h == nil {
		return
	}
	h.view.Store(buildView(c, cat, now))
}

// buildView computes the answer for every product the contract in force
// prices, so a check never computes anything.
func buildView(c *Customer, cat *Catalog, now Nanos) *EntitlementView {
	k := c.contractAt(now)
	if k == nil {
		return emptyView
	}
	rc := cat.RateCards[k.RateCardID]
	if rc == nil {
		return emptyView
	}
	v := &EntitlementView{
		AsOf:     now,
		Products: make([]ProductAnswer, 0, len(rc.ProductOrder)),
		Default:  cat.notEntitled(rc.FiatCreditTypeID),
	}
	// Each balance once, then per product the sum of those that apply.
	balances := make([]Amount, len(k.Balances))
	for i, cm := range k.Balances {
		if cm.drawable() {
			balances[i] = cm.BalanceAt(now)
		}
	}
	for _, pid := range rc.ProductOrder {
		pr, ok := priceAt(cat, rc, k, pid, now)
		if !ok {
			continue
		}
		var bal Amount
		for i, cm := range k.Balances {
			if cm.drawable() && cm.CreditTypeID == pr.creditTypeID && cm.appliesTo(cat, pid) {
				bal = bal.Add(balances[i])
			}
		}
		entitled, reason := true, ReasonOK
		switch {
		case !pr.entitled:
			entitled, reason = false, ReasonNotEntitled
		case k.PrepaidOnly && !bal.IsPositive():
			entitled, reason = false, ReasonBalanceDepleted
		}
		v.Products = append(v.Products, ProductAnswer{ProductID: pid, ProductEntitlement: newProductEntitlement(entitled, reason, bal.String(), pr.creditTypeID)})
	}
	if len(v.Products) > 1 {
		slices.SortFunc(v.Products, func(a, b ProductAnswer) int { return strings.Compare(a.ProductID, b.ProductID) })
	}
	return v
}
