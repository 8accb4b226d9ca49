package engine

import (
	"slices"
	"strings"

	"burndown/money"
)

// mergeViews answers the entitlement check for a customer with several
// contracts in force. Each contract answers as it would alone
// (contractView); per product, the answer is the deciding contract's, the
// first in contract order of:
//
//  1. a contract that entitles the product (it prices it, entitles it, and
//     has a balance that covers it or is not prepaid-only): entitled, with
//     that contract's balance;
//  2. else a contract that prices and entitles it but whose prepaid
//     balance is spent: not entitled, balance_depleted or payment_failed;
//  3. else a contract that prices it without entitling it: not_entitled.
//
// A product no contract prices gets the first contract's default answer
// (not_entitled in its rate card's fiat credit type). Usage filters play
// no part: a check names no event properties.
func mergeViews(c *Customer, ks []*Contract, cat *Catalog, now Nanos, balances *[]money.Amount) *EntitlementView {
	v := &EntitlementView{AsOf: now, Default: noContractEntitlement}
	at := map[string]int{}
	first := true
	for _, k := range ks {
		kv := contractView(c, k, cat, now, balances)
		if kv == emptyView {
			continue
		}
		if first {
			v.Default, first = kv.Default, false
		}
		for _, a := range kv.Products {
			i, seen := at[a.ProductID]
			if !seen {
				at[a.ProductID] = len(v.Products)
				v.Products = append(v.Products, a)
			} else if answerRank(&a.ProductEntitlement) < answerRank(&v.Products[i].ProductEntitlement) {
				v.Products[i] = a
			}
		}
	}
	if first {
		return emptyView
	}
	slices.SortFunc(v.Products, func(a, b ProductAnswer) int { return strings.Compare(a.ProductID, b.ProductID) })
	return v
}

// answerRank orders one contract's answers for mergeViews: entitled
// first, then refused for the balance, then not entitled.
func answerRank(p *ProductEntitlement) int {
	switch {
	case p.Entitled:
		return 0
	case p.Reason() != ReasonNotEntitled:
		return 1
	}
	return 2
}
