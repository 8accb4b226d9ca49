package persist

import (
	"fmt"

	"burndown/engine"
)

// layoutScheduledInvoices is the customer layout that adds which contracts
// bill their scheduled charges on SCHEDULED invoices of their own
// (engine.Contract.SeparateScheduledInvoices; customer layout 12).
const layoutScheduledInvoices byte = 12

// separateScheduled appends, after the manual ledger entries, how many of
// the customer's contracts have separate SCHEDULED invoices, then each
// one's position in contract order: one zero byte for a customer without
// any, which every contract created before the choice existed is.
func (w *binWriter) separateScheduled(c *engine.Customer) {
	n := 0
	for _, k := range c.Contracts {
		if k.SeparateScheduledInvoices {
			n++
		}
	}
	w.uvarint(uint64(n))
	for i, k := range c.Contracts {
		if k.SeparateScheduledInvoices {
			w.uvarint(uint64(i))
		}
	}
}

// separateScheduled reads what binWriter.separateScheduled wrote; a
// position outside the customer, or one not after the last, fails the
// record.
func (r *binReader) separateScheduled(c *engine.Customer) {
	n := r.count(r.uvarint())
	next := uint64(0)
	for ; n > 0 && r.err == nil; n-- {
		i := r.uvarint()
		if i < next || i >= uint64(len(c.Contracts)) {
			r.fail(fmt.Errorf("separate SCHEDULED invoices of contract %d, which the record does not hold in order", i))
			return
		}
		c.Contracts[i].SeparateScheduledInvoices = true
		next = i + 1
	}
}
