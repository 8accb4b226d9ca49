package engine

import "burndown/money"

// pendingUsage is a run of one customer's consecutive events that rate
// identically, held until the run ends (or a differing event arrives) and
// then rated once. Events rate identically when they hit the same contract
// and invoice, one single product at the same price in the same credit type,
// at times within one span where no commit or credit segment of the contract
// starts or ends: the burn-down order is then the same for all of them and
// drawing their summed spend greedily equals drawing each in turn. A hot
// customer's burst thus costs one burn-down instead of one per event, and
// TestAggregatedRatingEqualsPerEvent proves the states equal.
type pendingUsage struct {
	k            *Contract
	inv          *Invoice
	rc           *RateCard
	product      *Product
	creditTypeID string
	price        money.Amount
	at           Nanos // the first event's time: burn-down candidates are taken there
	lo, hi       Nanos // the span around at with the same segments in force (hi 0: open)
	segScale     uint8 // most fractional digits of the contract's segment amounts (see exact)
	units        int64 // events of quantity one
	qty          money.Amount
	hasQty       bool
}

// accepts reports whether an event rated (k, inv, product, price) at t can
// join the run.
func (pu *pendingUsage) accepts(k *Contract, inv *Invoice, p *Product, pr *pricedRate, t Nanos) bool {
	return pu.k == k && pu.inv == inv && pu.product == p && pu.creditTypeID == pr.creditTypeID &&
		t >= pu.lo && (pu.hi == 0 || t < pu.hi) && pu.price.Equal(pr.price)
}

func (pu *pendingUsage) add(qty money.Amount) {
	if qty.Equal(amountOne) {
		pu.units++
		return
	}
	if pu.hasQty {
		pu.qty = pu.qty.Add(qty)
	} else {
		pu.qty, pu.hasQty = qty, true
	}
}

// segmentSpan returns the largest [lo, hi) around t in which no segment of
// the contract's balances (and the customer-level ones that apply to it)
// starts or ends (hi 0: none ends after t), and the
// most fractional digits of any segment's amount or drawn total.
func segmentSpan(c *Customer, k *Contract, t Nanos) (lo, hi Nanos, scale uint8) {
	lo = -1 << 63
	bound := func(b Nanos) {
		if b == 0 {
			return
		}
		if b <= t {
			lo = max(lo, b)
		} else if hi == 0 || b < hi {
			hi = b
		}
	}
	span := func(cm *Commit) {
		for _, s := range cm.Segments {
			bound(s.StartingAt)
			bound(s.EndingBefore)
			scale = max(scale, s.Amount.Scale(), s.Drawn.Scale())
		}
	}
	for _, cm := range k.Balances {
		span(cm)
	}
	for _, b := range c.Balances() {
		if b.appliesTo(k) {
			span(b.Commit)
		}
	}
	return lo, hi, scale
}

// exact reports whether rating qty within the run gives the very amounts
// rating it alone gives. Mul rounds only past 12 fractional digits: when
// qty × price cannot need more, the run's one product equals the sum of the
// per-event products; for a custom credit type, the overage (the spend less
// draws of segments with at most segScale digits) times the conversion rate
// must not need more either.
func (pu *pendingUsage) exact(qty money.Amount) bool {
	d := int(qty.Scale()) + int(pu.price.Scale())
	if d > money.MaxFractionDigits {
		return false
	}
	if pu.creditTypeID != pu.rc.FiatCreditTypeID {
		rate, _ := pu.rc.FiatPerCustom(pu.creditTypeID)
		return max(d, int(pu.segScale))+int(rate.Scale()) <= money.MaxFractionDigits
	}
	return true
}

// stage adds an accepted single-product event to its customer's run,
// rating the previous run first when the event cannot join it. An event
// whose amounts a run could round differently is rated alone.
func (s *shard) stage(c *Customer, k *Contract, inv *Invoice, rc *RateCard, p *Product, pr *pricedRate, qty money.Amount, t Nanos, cat *Catalog) {
	pu := c.pending
	if pu != nil && (!pu.accepts(k, inv, p, pr, t) || !pu.exact(qty)) {
		s.flushUsage(c, cat)
		pu = nil
	}
	if pu == nil {
		run := pendingUsage{k: k, inv: inv, rc: rc, product: p, creditTypeID: pr.creditTypeID, price: pr.price, at: t}
		run.lo, run.hi, run.segScale = segmentSpan(c, k, t)
		if !run.exact(qty) {
			s.rate(cat, c, k, inv, rc, p, pr.creditTypeID, qty, qty.Mul(pr.price), t, nil)
			return
		}
		pu = s.newPending()
		*pu = run
		c.pending = pu
		s.pending = append(s.pending, c)
	}
	pu.add(qty)
}

// flushUsage rates the customer's pending run, if any.
func (s *shard) flushUsage(c *Customer, cat *Catalog) {
	pu := c.pending
	if pu == nil {
		return
	}
	c.pending = nil
	defer s.freePending(pu)
	qty := money.FromInt(pu.units)
	if pu.hasQty {
		qty = qty.Add(pu.qty)
	}
	spend := qty.Mul(pu.price)
	s.rate(cat, c, pu.k, pu.inv, pu.rc, pu.product, pu.creditTypeID, qty, spend, pu.at, nil)
}

// flushAllUsage rates every pending run; called at the end of a shard run.
// Customers are independent, so the order does not matter.
func (s *shard) flushAllUsage(cat *Catalog) {
	for _, c := range s.pending {
		s.flushUsage(c, cat)
	}
	clear(s.pending)
	s.pending = s.pending[:0]
}

func (s *shard) newPending() *pendingUsage {
	if n := len(s.spare); n > 0 {
		pu := s.spare[n-1]
		s.spare = s.spare[:n-1]
		return pu
	}
	return &pendingUsage{}
}

func (s *shard) freePending(pu *pendingUsage) {
	*pu = pendingUsage{}
	s.spare = append(s.spare, pu)
}
