package engine

// pricedRate is a rate after the contract's overrides.
type pricedRate struct {
	rate         *Rate
	price        Amount
	entitled     bool
	creditTypeID string
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

// priceAt returns the product's rate on the contract at t after overrides,
// and false when the rate card has no rate for it then.
func priceAt(cat *Catalog, rc *RateCard, k *Contract, productID string, t Nanos) (pricedRate, bool) {
	r := rc.RateAt(productID, t)
	if r == nil {
		return pricedRate{}, false
	}
	p := pricedRate{rate: r, price: r.price, entitled: r.Entitled, creditTypeID: r.CreditTypeID}
	var overwrite *Amount
	for i := range k.Overrides {
		o := &k.Overrides[i]
		if !overrideApplies(cat, o, productID, t) {
			continue
		}
		if o.Entitled != nil {
			p.entitled = *o.Entitled
		}
		switch o.Type {
		case "OVERWRITE":
			if o.OverwritePrice != nil {
				overwrite = o.OverwritePrice
			}
		case "MULTIPLIER":
			if o.Multiplier != nil {
				p.price = p.price.Mul(*o.Multiplier)
			}
		}
	}
	if overwrite != nil {
		p.price = *overwrite
	}
	return p, true
}
