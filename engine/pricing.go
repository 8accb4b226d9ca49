package engine

import "burndown/money"

// pricedRate is a rate after the contract's overrides.
type pricedRate struct {
	rate *Rate
	// price is the FLAT price per unit (unused when tiers is set).
	price money.Amount
	// tiers is a TIERED rate's (or TIERED overwrite's) tiers, each price to
	// be multiplied by mult when hasMult.
	tiers        []TierAmount
	mult         money.Amount
	hasMult      bool
	entitled     bool
	creditTypeID string
}

// total prices a period quantity q: q × price for a FLAT rate; for a TIERED
// rate, each tier's share of q at its price (after any multiplier), the last
// tier open. A negative quantity is priced at the first tier. Spend is
// always total(after) − total(before), so a tier crossed inside one event,
// one batch or one run is priced exactly.
func (p *pricedRate) total(q money.Amount) money.Amount {
	if p.tiers == nil {
		return q.Mul(p.price)
	}
	if !q.IsPositive() {
		return q.Mul(p.tierPrice(0))
	}
	var sum money.Amount
	rem := q
	for i := range p.tiers {
		take := rem
		if sz := p.tiers[i].Size; !sz.IsZero() && sz.LessThan(rem) {
			take = sz
		}
		sum = sum.Add(take.Mul(p.tierPrice(i)))
		rem = rem.Sub(take)
		if !rem.IsPositive() {
			break
		}
	}
	return sum
}

func (p *pricedRate) tierPrice(i int) money.Amount {
	if p.hasMult {
		return p.tiers[i].Price.Mul(p.mult)
	}
	return p.tiers[i].Price
}

// overrideApplies reports whether o targets the product at t.
func overrideApplies(cat *Catalog, o *Override, productID string, t Nanos) bool {
	if t < o.StartingAt || (o.EndingBefore != 0 && t >= o.EndingBefore) {
		return false
	}
	if o.ProductID != "" {
		return o.ProductID == productID
	}
	if len(o.ApplicableProductTags) > 0 {
		return cat.productHasAnyTag(productID, o.ApplicableProductTags)
	}
	return false
}

// priceAt returns the product's rate on the contract at t for usage of the
// pricing group group (nil: any) after overrides, and false when the rate
// card has no rate for it then.
//
// Overrides in force for the product combine by the contract's
// multiplier_override_prioritization (Metronome's rules):
//   - LOWEST_MULTIPLIER: an OVERWRITE wins (the last listed); otherwise
//     only the lowest applicable multiplier applies (the first listed on a
//     tie).
//   - EXPLICIT: an OVERWRITE wins (the lowest priority, then the first
//     listed); otherwise only the multiplier with the lowest priority
//     applies (then the first listed). An override without a priority
//     comes after every one with one.
//   - legacy ("", contracts created before prioritization existed): every
//     multiplier applies, compounded in list order, then the last OVERWRITE
//     replaces the result. Such contracts could only stack multipliers
//     where the edge let them, and replaying their log must not change.
//
// `entitled` is taken from the last listed applicable override that sets it,
// whatever its type, under every prioritization.
func priceAt(cat *Catalog, rc *RateCard, k *Contract, p *Product, group []string, t Nanos) (pricedRate, bool) {
	r := rc.rateFor(p, t, group)
	if r == nil {
		return pricedRate{}, false
	}
	pr := pricedRate{rate: r, price: r.price, entitled: r.Entitled, creditTypeID: r.CreditTypeID}
	if r.RateType == RateTiered && !r.FlatLegacy {
		pr.tiers = r.tiers
	}
	if len(k.Overrides) == 0 {
		return pr, true
	}
	var overwrite, mult *Override
	for i := range k.Overrides {
		o := &k.Overrides[i]
		if !overrideApplies(cat, o, p.ID, t) {
			continue
		}
		if o.Entitled != nil {
			pr.entitled = *o.Entitled
		}
		switch o.Type {
		case "OVERWRITE":
			if o.OverwritePrice == nil && o.OverwriteTiers == nil {
				continue
			}
			if overwrite == nil || k.MultiplierPrioritization() != PrioritizationExplicit ||
				priorityBefore(o.Priority, overwrite.Priority) {
				overwrite = o
			}
		case "MULTIPLIER":
			if o.Multiplier == nil {
				continue
			}
			switch k.MultiplierPrioritization() {
			case PrioritizationLegacy:
				pr.applyMultiplier(*o.Multiplier)
			case PrioritizationExplicit:
				if mult == nil || priorityBefore(o.Priority, mult.Priority) {
					mult = o
				}
			default: // LOWEST_MULTIPLIER
				if mult == nil || o.Multiplier.LessThan(*mult.Multiplier) {
					mult = o
				}
			}
		}
	}
	switch {
	case overwrite != nil:
		pr.hasMult, pr.mult = false, money.Amount{}
		if overwrite.OverwriteTiers != nil {
			pr.tiers = overwrite.OverwriteTiers
		} else {
			pr.tiers, pr.price = nil, *overwrite.OverwritePrice
		}
	case mult != nil:
		pr.applyMultiplier(*mult.Multiplier)
	}
	return pr, true
}

// applyMultiplier multiplies the price (FLAT) or every tier price (TIERED).
func (p *pricedRate) applyMultiplier(m money.Amount) {
	if p.tiers == nil {
		p.price = p.price.Mul(m)
		return
	}
	if p.hasMult {
		p.mult = p.mult.Mul(m)
	} else {
		p.mult, p.hasMult = m, true
	}
}

// priorityBefore reports whether priority a strictly precedes b (lower
// first; a missing priority after any present one).
func priorityBefore(a, b *money.Amount) bool {
	switch {
	case a == nil:
		return false
	case b == nil:
		return true
	}
	return a.LessThan(*b)
}
