package engine

import (
	"fmt"
	"sort"

	"burndown/money"
)

// CreditType is a currency or a custom pricing unit.
type CreditType struct {
	ID         string `msgpack:"ID"`
	Name       string `msgpack:"Name"`
	IsCurrency bool   `msgpack:"IsCurrency"`
}

// Metric is a billable metric: which events count and how they aggregate.
type Metric struct {
	CreateMetric
	CreatedAt Nanos `msgpack:"CreatedAt"`
}

// Product is an item of the contract-pricing catalog.
type Product struct {
	CreateProduct
	CreatedAt Nanos `msgpack:"CreatedAt"`

	// convFactor is QuantityConversion's factor as a money.Amount, derived when
	// the product is created or a restored catalog is prepared; not part of
	// a snapshot.
	convFactor money.Amount
}

// Rate is one price of a product on a rate card over [StartingAt, EndingBefore).
type Rate struct {
	RateInput
	Seq uint64 `msgpack:"Seq"` // insertion order: among overlapping rates the latest added wins

	// price is Price as a money.Amount, derived when the rate is added and when
	// a restored catalog is prepared (Catalog.derive); not part of a snapshot.
	price money.Amount
	// tiers is Tiers as Amounts (TIERED rates), derived like price.
	tiers []TierAmount
}

// RateAt returns the rate of product in force at t for usage of the pricing
// group whose values are group (aligned with the product's
// PricingGroupKey; nil: any group), or nil. A rate naming
// pricing_group_values that all match wins over a rate naming none; within
// each kind the latest started (then latest added) wins. With group nil, a
// rate naming none is preferred, else the last group-specific one.
func (rc *RateCard) rateFor(p *Product, t Nanos, group []string) *Rate {
	rates := rc.Rates[p.ID]
	var generic, specific *Rate
	for i := range rates {
		r := &rates[i]
		if r.StartingAt > t {
			break
		}
		if r.EndingBefore != 0 && t >= r.EndingBefore {
			continue
		}
		if len(r.PricingGroupValues) == 0 {
			generic = r
		} else if group == nil || r.matchesGroup(p, group) {
			specific = r
		}
	}
	if group == nil && generic != nil {
		return generic
	}
	if specific != nil {
		return specific
	}
	return generic
}

// matchesGroup reports whether every pricing group value of the rate equals
// the usage's value for that key.
func (r *Rate) matchesGroup(p *Product, group []string) bool {
	for k, v := range r.PricingGroupValues {
		i := indexOfString(p.PricingGroupKey, k)
		if i < 0 || i >= len(group) || group[i] != v {
			return false
		}
	}
	return true
}

func indexOfString(list []string, v string) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}

// tiersFromDecimals converts a TIERED rate's tiers, refusing amounts out of
// bounds and a shape other than sized tiers then one open tier. field names
// the tiers in the error.
func tiersFromDecimals(in []Tier, field string) ([]TierAmount, *Error) {
	if len(in) == 0 {
		return nil, errorf(Invalid, "%s: a TIERED rate needs at least one tier", field)
	}
	out := make([]TierAmount, len(in))
	for i, t := range in {
		p, err := inputAmount(t.Price)
		if err != nil {
			return nil, errorf(Invalid, "%s[%d].price: %v", field, i, err)
		}
		out[i].Price = p
		last := i == len(in)-1
		switch {
		case t.Size == nil && !last:
			return nil, errorf(Invalid, "%s[%d].size: is required on every tier but the last", field, i)
		case t.Size != nil && last:
			return nil, errorf(Invalid, "%s[%d].size: the last tier is open and has no size", field, i)
		case t.Size != nil:
			sz, err := inputAmount(*t.Size)
			if err != nil {
				return nil, errorf(Invalid, "%s[%d].size: %v", field, i, err)
			}
			if !sz.IsPositive() {
				return nil, errorf(Invalid, "%s[%d].size: must be greater than zero", field, i)
			}
			out[i].Size = sz
		}
	}
	return out, nil
}

// deriveProduct fills a product's derived amounts, refusing a conversion
// factor out of bounds or not positive.
func (p *Product) derive(field string) *Error {
	p.convFactor = money.Amount{}
	if qc := p.QuantityConversion; qc != nil {
		f, err := inputAmount(qc.ConversionFactor)
		if err != nil {
			return errorf(Invalid, "%squantity_conversion.conversion_factor: %v", field, err)
		}
		if !f.IsPositive() {
			return errorf(Invalid, "%squantity_conversion.conversion_factor: must be greater than zero", field)
		}
		if qc.Operation != ConvertMultiply && qc.Operation != ConvertDivide {
			return errorf(Invalid, "%squantity_conversion.operation: must be MULTIPLY or DIVIDE", field)
		}
		p.convFactor = f
	}
	if qr := p.QuantityRounding; qr != nil {
		if qr.DecimalPlaces < 0 || qr.DecimalPlaces > money.MaxFractionDigits {
			return errorf(Invalid, "%squantity_rounding.decimal_places: must be between 0 and %d", field, money.MaxFractionDigits)
		}
		switch qr.RoundingMethod {
		case RoundUp, RoundDown, RoundHalfUpMode:
		default:
			return errorf(Invalid, "%squantity_rounding.rounding_method: must be ROUND_UP, ROUND_DOWN or HALF_UP", field)
		}
	}
	return nil
}

// pricedQuantity turns a period's raw aggregate into the quantity priced:
// converted, then rounded, as the product says.
func (p *Product) pricedQuantity(raw money.Amount) money.Amount {
	if qc := p.QuantityConversion; qc != nil {
		if qc.Operation == ConvertDivide {
			raw = raw.Quo(p.convFactor)
		} else {
			raw = raw.Mul(p.convFactor)
		}
	}
	if qr := p.QuantityRounding; qr != nil {
		mode := money.HalfUp
		switch qr.RoundingMethod {
		case RoundUp:
			mode = money.Ceiling
		case RoundDown:
			mode = money.Floor
		}
		raw = raw.Round(int64(qr.DecimalPlaces), mode)
	}
	return raw
}

// groupKeys is the product's pricing then presentation group keys.
func (p *Product) groupKeyCount() int { return len(p.PricingGroupKey) + len(p.PresentationGroupKey) }

// RateCard maps products to their rates over time.
type RateCard struct {
	ID                    string                 `msgpack:"ID"`
	Name                  string                 `msgpack:"Name"`
	Description           string                 `msgpack:"Description"`
	FiatCreditTypeID      string                 `msgpack:"FiatCreditTypeID"`
	CreditTypeConversions []CreditTypeConversion `msgpack:"CreditTypeConversions"`
	CustomFields          map[string]string      `msgpack:"CustomFields"`
	CreatedAt             Nanos                  `msgpack:"CreatedAt"`
	// Rates per product id, ordered by StartingAt then Seq.
	Rates map[string][]Rate `msgpack:"Rates"`
	// ProductOrder lists the products that have rates, in first-added order.
	ProductOrder []string `msgpack:"ProductOrder"`
	// Aliases name the rate card for contracts' rate_card_alias.
	Aliases []RateCardAlias `msgpack:"Aliases,omitempty"`

	// fiatPerCustom holds CreditTypeConversions' rates as Amounts, in the
	// same order; derived like Rate.price.
	fiatPerCustom []money.Amount
}

// RateAt returns the rate of product in force at t, or nil (ignoring
// pricing groups: the last rate in force wins).
func (rc *RateCard) RateAt(productID string, t Nanos) *Rate {
	rates := rc.Rates[productID]
	var found *Rate
	for i := range rates {
		r := &rates[i]
		if r.StartingAt > t {
			break
		}
		if r.EndingBefore != 0 && t >= r.EndingBefore {
			continue
		}
		found = r // ordered by StartingAt then Seq: the last in force wins
	}
	return found
}

// FiatPerCustom returns how many fiat units one unit of the custom credit type
// is worth on this rate card.
func (rc *RateCard) FiatPerCustom(creditTypeID string) (money.Amount, bool) {
	for i, c := range rc.CreditTypeConversions {
		if c.CustomCreditTypeID == creditTypeID {
			return rc.fiatPerCustom[i], true
		}
	}
	return money.Amount{}, false
}

// deriveConversions fills fiatPerCustom from CreditTypeConversions,
// refusing a rate out of bounds. It writes to rc, so it runs only on a rate
// card no published catalog holds yet. field prefixes the error's field.
func (rc *RateCard) deriveConversions(field string) *Error {
	rc.fiatPerCustom = make([]money.Amount, len(rc.CreditTypeConversions))
	for i, c := range rc.CreditTypeConversions {
		a, err := inputAmount(c.FiatPerCustomCredit)
		if err != nil {
			return errorf(Invalid, "%scredit_type_conversions[%d].fiat_per_custom_credit: %v", field, i, err)
		}
		rc.fiatPerCustom[i] = a
	}
	return nil
}

// derive fills the derived Amounts of a catalog decoded from a snapshot
// (rate prices and conversion rates); Engine.Restore calls it before the
// catalog is published. A value out of bounds fails the restore. What is
// already derived (a catalog taken from a live engine) is not written again.
func (c *Catalog) derive() error {
	if err := c.checkConsistent(); err != nil {
		return err
	}
	for _, id := range c.ProductOrder {
		p := c.Products[id]
		if p.QuantityConversion != nil && p.convFactor.IsZero() {
			if err := p.derive(""); err != nil {
				return fmt.Errorf("product %s: %v", id, err)
			}
		}
	}
	for _, id := range c.RateCardOrder {
		rc := c.RateCards[id]
		if rc == nil {
			continue
		}
		if len(rc.fiatPerCustom) != len(rc.CreditTypeConversions) {
			if err := rc.deriveConversions(""); err != nil {
				return fmt.Errorf("rate card %s: %v", id, err)
			}
		}
		for pid, rates := range rc.Rates {
			for i := range rates {
				if len(rates[i].Tiers) > 0 && rates[i].tiers == nil && !rates[i].FlatLegacy {
					tiers, err := tiersFromDecimals(rates[i].Tiers, "tiers")
					if err != nil {
						return fmt.Errorf("rate card %s: product %s rate %d: %v", id, pid, rates[i].Seq, err)
					}
					rates[i].tiers = tiers
				}
				if rates[i].Price.IsZero() || !rates[i].price.IsZero() {
					continue
				}
				a, err := inputAmount(rates[i].Price)
				if err != nil {
					return fmt.Errorf("rate card %s: product %s rate %d price: %v", id, pid, rates[i].Seq, err)
				}
				rates[i].price = a
			}
		}
	}
	return nil
}

// Catalog is the shared, copy-on-write catalog. A published Catalog is never
// modified: a change builds a new one and swaps it in between batches, so
// readers (HTTP handlers, shards) use it without locks.
type Catalog struct {
	CreditTypes     map[string]*CreditType `msgpack:"CreditTypes"`
	CreditTypeOrder []string               `msgpack:"CreditTypeOrder"`
	Metrics         map[string]*Metric     `msgpack:"Metrics"`
	MetricOrder     []string               `msgpack:"MetricOrder"`
	Products        map[string]*Product    `msgpack:"Products"`
	ProductOrder    []string               `msgpack:"ProductOrder"`
	RateCards       map[string]*RateCard   `msgpack:"RateCards"`
	RateCardOrder   []string               `msgpack:"RateCardOrder"`
	RateSeq         uint64                 `msgpack:"RateSeq"`

	// Derived indexes, rebuilt by index(); not part of a snapshot.
	metricsByEventType map[string][]*Metric
	metricsAnyEvent    []*Metric
	productsByMetric   map[string][]*Product
	// composites lists the COMPOSITE products that cover some product, in
	// catalog order; coveredByComposite marks every product one covers.
	composites         []*Product
	coveredByComposite map[string]bool
	// notEntitledByCredit holds the shared "not priced here" answer per fiat
	// credit type, so views do not each render their own.
	notEntitledByCredit map[string]*ProductEntitlement
}

// NewCatalog returns the catalog every engine starts with: USD (cents) only.
func NewCatalog() *Catalog {
	c := &Catalog{
		CreditTypes: map[string]*CreditType{USDCreditTypeID: {ID: USDCreditTypeID, Name: USDCreditTypeName, IsCurrency: true}},
		Metrics:     map[string]*Metric{},
		Products:    map[string]*Product{},
		RateCards:   map[string]*RateCard{},
	}
	c.CreditTypeOrder = []string{USDCreditTypeID}
	c.index()
	return c
}

// clone returns a shallow copy whose maps and order slices may be changed.
func (c *Catalog) clone() *Catalog {
	n := &Catalog{
		CreditTypes:     make(map[string]*CreditType, len(c.CreditTypes)+1),
		CreditTypeOrder: append([]string(nil), c.CreditTypeOrder...),
		Metrics:         make(map[string]*Metric, len(c.Metrics)+1),
		MetricOrder:     append([]string(nil), c.MetricOrder...),
		Products:        make(map[string]*Product, len(c.Products)+1),
		ProductOrder:    append([]string(nil), c.ProductOrder...),
		RateCards:       make(map[string]*RateCard, len(c.RateCards)+1),
		RateCardOrder:   append([]string(nil), c.RateCardOrder...),
		RateSeq:         c.RateSeq,
	}
	for k, v := range c.CreditTypes {
		n.CreditTypes[k] = v
	}
	for k, v := range c.Metrics {
		n.Metrics[k] = v
	}
	for k, v := range c.Products {
		n.Products[k] = v
	}
	for k, v := range c.RateCards {
		n.RateCards[k] = v
	}
	return n
}

// index rebuilds the lookup tables used by rating.
func (c *Catalog) index() {
	c.metricsByEventType = map[string][]*Metric{}
	c.metricsAnyEvent = nil
	for _, id := range c.MetricOrder {
		m := c.Metrics[id]
		if m.Unrated {
			continue // kept, never rated (see CreateMetric.Unrated)
		}
		if m.EventTypeFilter == nil || len(m.EventTypeFilter.InValues) == 0 {
			c.metricsAnyEvent = append(c.metricsAnyEvent, m)
			continue
		}
		for _, et := range m.EventTypeFilter.InValues {
			c.metricsByEventType[et] = append(c.metricsByEventType[et], m)
		}
	}
	c.notEntitledByCredit = map[string]*ProductEntitlement{}
	for _, id := range c.CreditTypeOrder {
		c.notEntitledByCredit[id] = newProductEntitlement(false, ReasonNotEntitled, money.Amount{}, id)
	}
	c.productsByMetric = map[string][]*Product{}
	c.composites, c.coveredByComposite = nil, nil
	for _, id := range c.ProductOrder {
		p := c.Products[id]
		if p.BillableMetricID != "" {
			c.productsByMetric[p.BillableMetricID] = append(c.productsByMetric[p.BillableMetricID], p)
		}
		if p.Type == ProductComposite && (len(p.CompositeProductIDs) > 0 || len(p.CompositeTags) > 0) {
			c.composites = append(c.composites, p)
		}
	}
	for _, comp := range c.composites {
		for _, id := range c.ProductOrder {
			if comp.covers(c.Products[id]) {
				if c.coveredByComposite == nil {
					c.coveredByComposite = map[string]bool{}
				}
				c.coveredByComposite[id] = true
			}
		}
	}
}

// covers reports whether the COMPOSITE product comp covers p: p is a USAGE
// product listed in its composite_product_ids or carrying one of its
// composite_tags. A composite never covers a composite (Metronome's
// include_composite_spend, default false, is not served).
func (comp *Product) covers(p *Product) bool {
	if p == nil || p.Type != ProductUsage {
		return false
	}
	for _, id := range comp.CompositeProductIDs {
		if id == p.ID {
			return true
		}
	}
	for _, t := range comp.CompositeTags {
		for _, pt := range p.Tags {
			if pt == t {
				return true
			}
		}
	}
	return false
}

// RateCardByAlias returns the rate card whose alias name is in force at t;
// when several rate cards carry it then, the most recently assigned (the
// last created) wins, as in Metronome.
func (c *Catalog) RateCardByAlias(name string, t Nanos) *RateCard {
	for i := len(c.RateCardOrder) - 1; i >= 0; i-- {
		rc := c.RateCards[c.RateCardOrder[i]]
		for _, a := range rc.Aliases {
			if a.Name == name && a.inForce(t) {
				return rc
			}
		}
	}
	return nil
}

// contractRateCard resolves a new contract's rate card: by id, or by the
// alias in force at the contract's start.
func (c *Catalog) contractRateCard(cmd *CreateContract) (*RateCard, *Error) {
	switch {
	case cmd.RateCardID != "" && cmd.RateCardAlias != "":
		return nil, errorf(Invalid, "rate_card_alias: give rate_card_id or rate_card_alias, not both")
	case cmd.RateCardID == "" && cmd.RateCardAlias != "":
		rc := c.RateCardByAlias(cmd.RateCardAlias, cmd.StartingAt)
		if rc == nil {
			return nil, errorf(Invalid, "rate_card_alias: no rate card has the alias %q in force at starting_at", cmd.RateCardAlias)
		}
		return rc, nil
	}
	rc := c.RateCards[cmd.RateCardID]
	if rc == nil {
		return nil, errorf(NotFound, "rate_card_id: rate card %s not found", cmd.RateCardID)
	}
	return rc, nil
}

func (a *RateCardAlias) inForce(t Nanos) bool {
	return (a.StartingAt == 0 || t >= a.StartingAt) && (a.EndingBefore == 0 || t < a.EndingBefore)
}

// MetricsForEvent returns the metrics that may match an event of this type,
// in creation order.
func (c *Catalog) metricsForEvent(eventType string, buf []*Metric) []*Metric {
	buf = buf[:0]
	buf = append(buf, c.metricsByEventType[eventType]...)
	buf = append(buf, c.metricsAnyEvent...)
	if len(c.metricsAnyEvent) > 0 && len(buf) > len(c.metricsAnyEvent) {
		sort.SliceStable(buf, func(i, j int) bool { return buf[i].CreatedAt < buf[j].CreatedAt })
	}
	return buf
}

// ProductHasTag reports whether product id carries tag.
func (c *Catalog) productHasAnyTag(productID string, tags []string) bool {
	p := c.Products[productID]
	if p == nil {
		return false
	}
	for _, t := range tags {
		for _, pt := range p.Tags {
			if pt == t {
				return true
			}
		}
	}
	return false
}

func (c *Catalog) applyCreateCreditType(cmd *CreateCreditType, id string) (*Catalog, *Result) {
	for _, ctid := range c.CreditTypeOrder {
		if c.CreditTypes[ctid].Name == cmd.Name {
			return nil, &Result{Err: errorf(Conflict, "name: a credit type named %q already exists", cmd.Name)}
		}
	}
	n := c.clone()
	n.CreditTypes[id] = &CreditType{ID: id, Name: cmd.Name, IsCurrency: cmd.IsCurrency}
	n.CreditTypeOrder = append(n.CreditTypeOrder, id)
	n.index()
	return n, &Result{ID: id}
}

func (c *Catalog) applyCreateMetric(cmd *CreateMetric, id string, now Nanos) (*Catalog, *Result) {
	m := &Metric{CreateMetric: *cmd, CreatedAt: now}
	m.ID = id
	n := c.clone()
	n.Metrics[id] = m
	n.MetricOrder = append(n.MetricOrder, id)
	n.index()
	return n, &Result{ID: id}
}

func (c *Catalog) applyCreateProduct(cmd *CreateProduct, id string, now Nanos) (*Catalog, *Result) {
	if cmd.BillableMetricID != "" && c.Metrics[cmd.BillableMetricID] == nil {
		return nil, &Result{Err: errorf(NotFound, "billable_metric_id: billable metric %s not found", cmd.BillableMetricID)}
	}
	p := &Product{CreateProduct: *cmd, CreatedAt: now}
	p.ID = id
	if err := p.derive(""); err != nil {
		return nil, &Result{Err: err}
	}
	if err := c.checkGroupKeys(p); err != nil {
		return nil, &Result{Err: err}
	}
	if err := c.checkComposite(p); err != nil {
		return nil, &Result{Err: err}
	}
	n := c.clone()
	n.Products[id] = p
	n.ProductOrder = append(n.ProductOrder, id)
	n.index()
	return n, &Result{ID: id}
}

func (c *Catalog) applyCreateRateCard(cmd *CreateRateCard, id string, now Nanos) (*Catalog, *Result) {
	fiat := cmd.FiatCreditTypeID
	if fiat == "" {
		fiat = USDCreditTypeID
	}
	if c.CreditTypes[fiat] == nil {
		return nil, &Result{Err: errorf(NotFound, "fiat_credit_type_id: credit type %s not found", fiat)}
	}
	for i, conv := range cmd.CreditTypeConversions {
		if c.CreditTypes[conv.CustomCreditTypeID] == nil {
			return nil, &Result{Err: errorf(NotFound, "credit_type_conversions[%d].custom_credit_type_id: credit type %s not found", i, conv.CustomCreditTypeID)}
		}
	}
	for i, a := range cmd.Aliases {
		if a.Name == "" {
			return nil, &Result{Err: errorf(Invalid, "aliases[%d].name: must not be empty", i)}
		}
		if a.EndingBefore != 0 && a.EndingBefore <= a.StartingAt {
			return nil, &Result{Err: errorf(Invalid, "aliases[%d].ending_before: must be after starting_at", i)}
		}
		for j := 0; j < i; j++ {
			b := cmd.Aliases[j]
			if b.Name == a.Name && (a.EndingBefore == 0 || b.StartingAt == 0 || b.StartingAt < a.EndingBefore) &&
				(b.EndingBefore == 0 || a.StartingAt == 0 || a.StartingAt < b.EndingBefore) {
				return nil, &Result{Err: errorf(Invalid, "aliases[%d]: overlaps aliases[%d] of the same name", i, j)}
			}
		}
	}
	rc := &RateCard{
		ID: id, Name: cmd.Name, Description: cmd.Description, FiatCreditTypeID: fiat,
		CreditTypeConversions: cmd.CreditTypeConversions, CustomFields: cmd.CustomFields,
		CreatedAt: now, Rates: map[string][]Rate{}, Aliases: cmd.Aliases,
	}
	if err := rc.deriveConversions(""); err != nil {
		return nil, &Result{Err: err}
	}
	n := c.clone()
	n.RateCards[id] = rc
	n.RateCardOrder = append(n.RateCardOrder, id)
	n.index()
	return n, &Result{ID: id}
}

func (c *Catalog) applyAddRates(cmd *AddRates) (*Catalog, *Result) {
	old := c.RateCards[cmd.RateCardID]
	if old == nil {
		return nil, &Result{Err: errorf(NotFound, "rate_card_id: rate card %s not found", cmd.RateCardID)}
	}
	prices := make([]money.Amount, len(cmd.Rates))
	tiers := make([][]TierAmount, len(cmd.Rates))
	for i, r := range cmd.Rates {
		p, err := inputAmount(r.Price)
		if err != nil {
			return nil, &Result{Err: errorf(Invalid, "rates[%d].price: %v", i, err)}
		}
		prices[i] = p
		prod := c.Products[r.ProductID]
		if prod == nil {
			return nil, &Result{Err: errorf(NotFound, "rates[%d].product_id: product %s not found", i, r.ProductID)}
		}
		if r.RateType == RateTiered && !r.FlatLegacy {
			t, terr := tiersFromDecimals(r.Tiers, fmt.Sprintf("rates[%d].tiers", i))
			if terr != nil {
				return nil, &Result{Err: terr}
			}
			tiers[i] = t
		} else if len(r.Tiers) > 0 && !r.FlatLegacy {
			return nil, &Result{Err: errorf(Invalid, "rates[%d].tiers: only a TIERED rate has tiers", i)}
		}
		switch {
		case r.RateType == RateFlat && r.BillingFrequency != "" && prod.Type != ProductSubscription:
			// No earlier build wrote this pairing (billing_frequency was
			// read on SUBSCRIPTION rates only), so no log replays into it.
			return nil, &Result{Err: errorf(Invalid, "rates[%d].billing_frequency: only a SUBSCRIPTION product's FLAT rate has a billing_frequency (product %s is %s)", i, prod.ID, prod.Type)}
		case r.RateType == RatePercentage && prod.Type != ProductComposite:
			return nil, &Result{Err: errorf(Invalid, "rates[%d].rate_type: a PERCENTAGE rate prices only a COMPOSITE product", i)}
		case r.RateType == RatePercentage && (p.Sign() < 0 || p.Cmp(amountOne) > 0):
			return nil, &Result{Err: errorf(Invalid, "rates[%d].price: a PERCENTAGE rate's price is a fraction between 0 and 1 (0.1 = 10%%)", i)}
		case r.RateType != RatePercentage && (len(prod.CompositeProductIDs) > 0 || len(prod.CompositeTags) > 0):
			// Only composites with covered products: a composite created
			// before they existed covers nothing and kept any rate type.
			return nil, &Result{Err: errorf(Invalid, "rates[%d].rate_type: a COMPOSITE product takes a PERCENTAGE rate", i)}
		}
		for _, k := range sortedKeys(r.PricingGroupValues) {
			if indexOfString(prod.PricingGroupKey, k) < 0 {
				return nil, &Result{Err: errorf(Invalid, "rates[%d].pricing_group_values.%s: not a pricing_group_key of product %s", i, k, prod.ID)}
			}
		}
		ct := r.CreditTypeID
		if ct == "" {
			ct = old.FiatCreditTypeID
		}
		if c.CreditTypes[ct] == nil {
			return nil, &Result{Err: errorf(NotFound, "rates[%d].credit_type_id: credit type %s not found", i, ct)}
		}
		if ct != old.FiatCreditTypeID {
			if _, ok := old.FiatPerCustom(ct); !ok {
				return nil, &Result{Err: errorf(Invalid, "rates[%d].credit_type_id: rate card has no credit_type_conversions entry for %s", i, ct)}
			}
		}
	}
	n := c.clone()
	rc := *old
	rc.Rates = make(map[string][]Rate, len(old.Rates)+1)
	for k, v := range old.Rates {
		rc.Rates[k] = v
	}
	rc.ProductOrder = append([]string(nil), old.ProductOrder...)
	for i, in := range cmd.Rates {
		if in.CreditTypeID == "" {
			in.CreditTypeID = old.FiatCreditTypeID
		}
		n.RateSeq++
		list := rc.Rates[in.ProductID]
		if len(list) == 0 {
			rc.ProductOrder = append(rc.ProductOrder, in.ProductID)
		}
		list = append(append([]Rate(nil), list...), Rate{RateInput: in, Seq: n.RateSeq, price: prices[i], tiers: tiers[i]})
		sort.SliceStable(list, func(i, j int) bool {
			if list[i].StartingAt != list[j].StartingAt {
				return list[i].StartingAt < list[j].StartingAt
			}
			return list[i].Seq < list[j].Seq
		})
		rc.Rates[in.ProductID] = list
	}
	n.RateCards[rc.ID] = &rc
	n.index()
	return n, &Result{ID: rc.ID}
}

// checkComposite asserts that only a COMPOSITE product covers products, and
// only existing USAGE products by id.
func (c *Catalog) checkComposite(p *Product) *Error {
	if p.Type != ProductComposite {
		switch {
		case len(p.CompositeProductIDs) > 0:
			return errorf(Invalid, "composite_product_ids: only a COMPOSITE product covers products")
		case len(p.CompositeTags) > 0:
			return errorf(Invalid, "composite_tags: only a COMPOSITE product covers products")
		}
		return nil
	}
	for i, id := range p.CompositeProductIDs {
		q := c.Products[id]
		if q == nil {
			return errorf(NotFound, "composite_product_ids[%d]: product %s not found", i, id)
		}
		if q.Type != ProductUsage {
			return errorf(Invalid, "composite_product_ids[%d]: product %s is %s; a composite covers USAGE products", i, id, q.Type)
		}
	}
	return nil
}

// checkGroupKeys asserts Metronome's rule: a product's pricing and
// presentation group keys together are one compound group_keys entry of its
// metric.
func (c *Catalog) checkGroupKeys(p *Product) *Error {
	if p.groupKeyCount() == 0 {
		return nil
	}
	m := c.Metrics[p.BillableMetricID]
	if m == nil {
		return errorf(Invalid, "pricing_group_key: only a USAGE product with a billable metric has group keys")
	}
	union := append(append([]string(nil), p.PricingGroupKey...), p.PresentationGroupKey...)
	sort.Strings(union)
	for i := 1; i < len(union); i++ {
		if union[i] == union[i-1] {
			return errorf(Invalid, "presentation_group_key: %q is also a pricing_group_key", union[i])
		}
	}
	for _, gk := range m.GroupKeys {
		keys := append([]string(nil), gk...)
		sort.Strings(keys)
		if slicesEqual(keys, union) {
			return nil
		}
	}
	return errorf(Invalid, "pricing_group_key: with presentation_group_key it must equal one group_keys entry of billable metric %s", m.ID)
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// notEntitled is the shared answer for a product the contract does not price.
func (c *Catalog) notEntitled(fiatCreditTypeID string) *ProductEntitlement {
	if p := c.notEntitledByCredit[fiatCreditTypeID]; p != nil {
		return p
	}
	return newProductEntitlement(false, ReasonNotEntitled, money.Amount{}, fiatCreditTypeID)
}

// The catalog commands' entries in the command table.

func applyCreateCreditType(cat *Catalog, cmd Command, id string, _ Nanos) (*Catalog, *Result, catalogEffect) {
	next, res := cat.applyCreateCreditType(cmd.(*CreateCreditType), id)
	return next, res, catalogEffect{}
}

func applyCreateMetric(cat *Catalog, cmd Command, id string, now Nanos) (*Catalog, *Result, catalogEffect) {
	next, res := cat.applyCreateMetric(cmd.(*CreateMetric), id, now)
	return next, res, catalogEffect{}
}

func applyCreateProduct(cat *Catalog, cmd Command, id string, now Nanos) (*Catalog, *Result, catalogEffect) {
	next, res := cat.applyCreateProduct(cmd.(*CreateProduct), id, now)
	return next, res, catalogEffect{}
}

func applyCreateRateCard(cat *Catalog, cmd Command, id string, now Nanos) (*Catalog, *Result, catalogEffect) {
	next, res := cat.applyCreateRateCard(cmd.(*CreateRateCard), id, now)
	return next, res, catalogEffect{}
}

// applyAddRates also asks for the rate card's customers to be refreshed:
// their prices, entitlements and schedules may have changed.
func applyAddRates(cat *Catalog, cmd Command, _ string, _ Nanos) (*Catalog, *Result, catalogEffect) {
	c := cmd.(*AddRates)
	next, res := cat.applyAddRates(c)
	return next, res, catalogEffect{refreshRateCard: c.RateCardID}
}

// checkConsistent asserts what a catalog read from a snapshot must satisfy
// before anything indexes it: every ordered id names a present object of
// that id, every object is ordered once, and a product's metric exists.
func (c *Catalog) checkConsistent() error {
	if err := checkOrder("credit type", c.CreditTypeOrder, c.CreditTypes, func(v *CreditType) string { return v.ID }); err != nil {
		return err
	}
	if err := checkOrder("metric", c.MetricOrder, c.Metrics, func(v *Metric) string { return v.ID }); err != nil {
		return err
	}
	if err := checkOrder("product", c.ProductOrder, c.Products, func(v *Product) string { return v.ID }); err != nil {
		return err
	}
	if err := checkOrder("rate card", c.RateCardOrder, c.RateCards, func(v *RateCard) string { return v.ID }); err != nil {
		return err
	}
	for _, id := range c.ProductOrder {
		if m := c.Products[id].BillableMetricID; m != "" && c.Metrics[m] == nil {
			return fmt.Errorf("product %s: billable metric %s is missing", id, m)
		}
	}
	for _, id := range c.RateCardOrder {
		if err := c.checkRateCardProducts(c.RateCards[id]); err != nil {
			return err
		}
	}
	return nil
}

// checkRateCardProducts asserts that a rate card's products are the keys of
// its rates, each once, and present in the catalog: views and rating look
// each of them up (FuzzReadSnapshot found a snapshot whose rate card named
// a product the catalog lacked, and restoring it crashed the view builder).
func (c *Catalog) checkRateCardProducts(rc *RateCard) error {
	if len(rc.ProductOrder) != len(rc.Rates) {
		return fmt.Errorf("rate card %s: %d products ordered, rates for %d", rc.ID, len(rc.ProductOrder), len(rc.Rates))
	}
	seen := make(map[string]bool, len(rc.ProductOrder))
	for _, pid := range rc.ProductOrder {
		if _, ok := rc.Rates[pid]; !ok || seen[pid] {
			return fmt.Errorf("rate card %s: product %s is ordered twice or has no rates", rc.ID, pid)
		}
		if c.Products[pid] == nil {
			return fmt.Errorf("rate card %s: product %s is missing", rc.ID, pid)
		}
		seen[pid] = true
	}
	return nil
}

func checkOrder[V any](what string, order []string, objects map[string]*V, idOf func(*V) string) error {
	if len(order) != len(objects) {
		return fmt.Errorf("%d %ss ordered, %d present", len(order), what, len(objects))
	}
	for _, id := range order {
		v := objects[id]
		if v == nil {
			return fmt.Errorf("%s %s is ordered but missing", what, id)
		}
		if idOf(v) != id {
			return fmt.Errorf("%s %s is stored under id %s", what, idOf(v), id)
		}
	}
	return nil
}

// FoundationUnrated reports whether the foundation's API kept metrics of
// this aggregation without ever rating them (see CreateMetric.Unrated).
func FoundationUnrated(aggregation string) bool {
	return aggregation == AggMax || aggregation == AggUnique || aggregation == AggLatest
}

// MarkFoundationCatalog gives a catalog written by a build that predates
// rating MAX, UNIQUE, LATEST and TIERED (snapshot catalogs before catalog
// section version 2) the meaning it had then: such metrics are kept
// unrated and such rates priced flat.
func MarkFoundationCatalog(c *Catalog) {
	for _, m := range c.Metrics {
		if m != nil && FoundationUnrated(m.Aggregation) {
			m.Unrated = true
		}
	}
	for _, rc := range c.RateCards {
		if rc == nil {
			continue
		}
		for _, rates := range rc.Rates {
			for i := range rates {
				if rates[i].RateType == RateTiered {
					rates[i].FlatLegacy = true
				}
			}
		}
	}
}
