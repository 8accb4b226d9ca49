package persist

import (
	"fmt"

	"burndown/engine"
)

// layoutManual is the customer layout that adds the segments' manual
// ledger entries (customer layout 11).
const layoutManual byte = 11

// manualEntries appends, after the layout 10 trailer, the manual ledger
// entries of the customer's segments: how many segments hold any, then for
// each its position (contract, balance, segment) and its entries (time,
// amount, reason).
func (w *binWriter) manualEntries(c *engine.Customer) {
	n := 0
	for _, k := range c.Contracts {
		for _, cm := range k.Balances {
			for _, s := range cm.Segments {
				if len(s.ManualAdjustments()) > 0 {
					n++
				}
			}
		}
	}
	w.uvarint(uint64(n))
	for i, k := range c.Contracts {
		for j, cm := range k.Balances {
			for l, s := range cm.Segments {
				if len(s.ManualAdjustments()) == 0 {
					continue
				}
				w.uvarint(uint64(i))
				w.uvarint(uint64(j))
				w.uvarint(uint64(l))
				w.uvarint(uint64(len(s.ManualAdjustments())))
				for _, a := range s.ManualAdjustments() {
					w.varint(a.At)
					w.amt(a.Amount)
					w.str(a.Reason)
				}
			}
		}
	}
}

// manualEntries reads what binWriter.manualEntries wrote onto the
// customer's segments; a position outside the customer fails the record.
func (r *binReader) manualEntries(c *engine.Customer) {
	n := r.count(r.uvarint())
	for ; n > 0 && r.err == nil; n-- {
		i, j, l := r.uvarint(), r.uvarint(), r.uvarint()
		if i >= uint64(len(c.Contracts)) || j >= uint64(len(c.Contracts[i].Balances)) || l >= uint64(len(c.Contracts[i].Balances[j].Segments)) {
			r.fail(fmt.Errorf("manual ledger entries of segment %d/%d/%d, which the record does not hold", i, j, l))
			return
		}
		s := c.Contracts[i].Balances[j].Segments[l]
		entries := make([]engine.ManualAdjustment, r.count(r.uvarint()))
		for e := range entries {
			a := &entries[e]
			a.At = r.varint()
			a.Amount = r.amount(r)
			a.Reason = r.str()
		}
		s.EditExtra(func(x *engine.SegmentExtra) { x.ManualAdjustments = entries })
	}
}
