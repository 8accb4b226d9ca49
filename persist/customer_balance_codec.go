package persist

import (
	"fmt"

	"burndown/engine"
)

// layoutCustomerBalances is the customer layout that adds the
// customer-level commits and credits (engine.Customer.Balances; customer
// layout 14).
const layoutCustomerBalances byte = 14

// customerBalances appends, after the concurrent contracts, how many
// customer-level commits and credits the customer holds, then each as a
// commit record followed by its applicable contract ids, uniqueness
// key and invoice contract id: one zero byte for a customer without any, which every customer
// created before they existed is.
func (w *binWriter) customerBalances(c *engine.Customer) {
	w.uvarint(uint64(len(c.Balances())))
	for _, b := range c.Balances() {
		w.commit(b.Commit)
		w.strs(b.ApplicableContractIDs)
		w.str(b.UniquenessKey)
		w.str(b.InvoiceContractID)
	}
}

// customerBalances reads what binWriter.customerBalances wrote; a commit
// id that is not unique within the record fails it.
func (r *binReader) customerBalances(c *engine.Customer) {
	n := r.count(r.uvarint())
	if n == 0 {
		return
	}
	list := make([]*engine.CustomerBalance, 0, n)
	defer c.EditExtra(func(x *engine.CustomerExtra) { x.Balances = list })
	seen := map[string]bool{}
	for ; n > 0 && r.err == nil; n-- {
		b := &engine.CustomerBalance{Commit: r.commit()}
		b.ApplicableContractIDs = r.strs()
		b.UniquenessKey = r.str()
		b.InvoiceContractID = r.str()
		if r.err == nil && (seen[b.Commit.ID] || len(b.Commit.Segments) == 0) {
			r.fail(fmt.Errorf("customer-level balance %q repeated or without segments", b.Commit.ID))
			return
		}
		seen[b.Commit.ID] = true
		list = append(list, b)
	}
}
