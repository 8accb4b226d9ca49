package persist

import (
	"fmt"

	"burndown/engine"
)

// layoutStripeGates is the customer layout that adds the stripe_config of
// STRIPE payment gates (engine/stripe_gate.go: on the threshold
// configurations and on each workflow) and the Stripe invoice a workflow
// is paid through (customer layout 15).
const layoutStripeGates byte = 15

// hasStripeGates reports whether the contract holds anything layout 15
// adds.
func hasStripeGates(k *engine.Contract) bool {
	if (k.Recharge() != nil && k.Recharge().Stripe != nil) || (k.SpendThreshold() != nil && k.SpendThreshold().Stripe != nil) {
		return true
	}
	for _, wf := range k.Workflows() {
		if wf.Stripe != nil || wf.StripeInvoiceID != "" {
			return true
		}
	}
	return false
}

// stripeGates appends, after the separate SCHEDULED invoices, how many of
// the customer's contracts hold a stripe_config or a Stripe invoice, then
// for each its position in contract order, the stripe_config of its
// auto-recharge and of its threshold billing (a presence byte each), and
// its workflows that hold either: their count, then each one's position,
// stripe_config and Stripe invoice id. One zero byte for a customer
// without any, which every customer written before the field existed is.
func (w *binWriter) stripeGates(c *engine.Customer) {
	n := 0
	for _, k := range c.Contracts {
		if hasStripeGates(k) {
			n++
		}
	}
	w.uvarint(uint64(n))
	for i, k := range c.Contracts {
		if !hasStripeGates(k) {
			continue
		}
		w.uvarint(uint64(i))
		var rs, ss *engine.StripeGateConfig
		if k.Recharge() != nil {
			rs = k.Recharge().Stripe
		}
		if k.SpendThreshold() != nil {
			ss = k.SpendThreshold().Stripe
		}
		w.stripeConfig(rs)
		w.stripeConfig(ss)
		m := 0
		for _, wf := range k.Workflows() {
			if wf.Stripe != nil || wf.StripeInvoiceID != "" {
				m++
			}
		}
		w.uvarint(uint64(m))
		for j, wf := range k.Workflows() {
			if wf.Stripe != nil || wf.StripeInvoiceID != "" {
				w.uvarint(uint64(j))
				w.stripeConfig(wf.Stripe)
				w.str(wf.StripeInvoiceID)
			}
		}
	}
}

func (w *binWriter) stripeConfig(s *engine.StripeGateConfig) {
	w.boolean(s != nil)
	if s != nil {
		w.str(s.PaymentType)
		w.strMap(s.InvoiceMetadata)
	}
}

func (r *binReader) stripeConfig() *engine.StripeGateConfig {
	if !r.boolean() {
		return nil
	}
	s := &engine.StripeGateConfig{}
	s.PaymentType = r.str()
	s.InvoiceMetadata = r.strMap()
	return s
}

// stripeGates reads what binWriter.stripeGates wrote; a position outside
// the customer or its workflows, one not after the last, or a
// configuration's stripe_config where the contract has no such
// configuration fails the record.
func (r *binReader) stripeGates(c *engine.Customer) {
	n := r.count(r.uvarint())
	next := uint64(0)
	for ; n > 0 && r.err == nil; n-- {
		i := r.uvarint()
		if i < next || i >= uint64(len(c.Contracts)) {
			r.fail(fmt.Errorf("stripe gates of contract %d, which the record does not hold in order", i))
			return
		}
		next = i + 1
		k := c.Contracts[i]
		rs, ss := r.stripeConfig(), r.stripeConfig()
		if (rs != nil && k.Recharge() == nil) || (ss != nil && k.SpendThreshold() == nil) {
			r.fail(fmt.Errorf("stripe_config of a threshold configuration contract %d does not have", i))
			return
		}
		if rs != nil {
			k.Recharge().Stripe = rs
		}
		if ss != nil {
			k.SpendThreshold().Stripe = ss
		}
		r.workflowStripe(k, i)
	}
}

// workflowStripe reads a contract's workflows' stripe_config and Stripe
// invoice ids.
func (r *binReader) workflowStripe(k *engine.Contract, i uint64) {
	m := r.count(r.uvarint())
	next := uint64(0)
	for ; m > 0 && r.err == nil; m-- {
		j := r.uvarint()
		if j < next || j >= uint64(len(k.Workflows())) {
			r.fail(fmt.Errorf("stripe gate of workflow %d of contract %d, which the record does not hold in order", j, i))
			return
		}
		next = j + 1
		wf := k.Workflows()[j]
		wf.Stripe = r.stripeConfig()
		wf.StripeInvoiceID = r.str()
	}
}
