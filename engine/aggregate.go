package engine

import "github.com/shopspring/decimal"

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
	price        decimal.Decimal
	at           Nanos // the first event's time: burn-down candidates are taken there
	lo, hi       Nanos // the span around at with the same segments in force (hi 0: open)
	units        int64 // events of quantity one
	qty          decimal.Decimal
	hasQty       bool
}

// accepts reports whether an event rated (k, inv, product, price) at t can
// join the run.
func (pu *pendingUsage) accepts(k *Contract, inv *Invoice, p *Product, pr *pricedRate, t Nanos) bool {
	return pu.k == k && pu.inv == inv && pu.product == p && pu.creditTypeID == pr.creditTypeID &&
		t >= pu.lo && (pu.hi == 0 || t < pu.hi) && pu.price.Equal(pr.price)
}

func (pu *pendingUsage) add(qty decimal.Decimal) {
	if qty.Equal(one) {
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
// the contract's balances starts or ends (hi 0: none ends after t).
func segmentSpan(k *Contract, t Nanos) (lo, hi Nanos) {
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
	for _, cm := range k.Balances {
		for _, s := range cm.Segments {
			bound(s.StartingAt)
			bound(s.EndingBefore)
		}
	}
	return lo, hi
}

// stage adds an accepted single-product event to its customer's run,
// rating the previous run first when the event cannot join it.
func (s *shard) stage(c *Customer, k *Contract, inv *Invoice, rc *RateCard, p *Product, pr *pricedRate, qty decimal.Decimal, t Nanos, cat *Catalog) {
	pu := c.pending
	if pu != nil && !pu.accepts(k, inv, p, pr, t) {
		s.flushUsage(c, cat)
		pu = nil
	}
	if pu == nil {
		pu = s.newPending()
		*pu = pendingUsage{k: k, inv: inv, rc: rc, product: p, creditTypeID: pr.creditTypeID, price: pr.price, at: t}
		pu.lo, pu.hi = segmentSpan(k, t)
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
	var qty decimal.Decimal
	switch {
	case pu.hasQty && pu.units == 0:
		qty = pu.qty
	case pu.hasQty:
		qty = decimal.NewFromInt(pu.units).Add(pu.qty)
	case pu.units == 1:
		qty = one // the common lone event: no allocation
	default:
		qty = decimal.NewFromInt(pu.units)
	}
	spend := pu.price
	if !qty.Equal(one) {
		spend = qty.Mul(pu.price)
	}
	s.rate(cat, pu.k, pu.inv, pu.rc, pu.product, pu.creditTypeID, qty, spend, pu.at)
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
