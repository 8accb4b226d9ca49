package persist

import "burndown/engine"

// seats writes a contract's subscriptions and recurring credits and commits
// (customer layout 6), nil-preserving.
func (w *binWriter) seats(k *engine.Contract) {
	w.presence(k.Subscriptions() == nil, len(k.Subscriptions()))
	for _, sub := range k.Subscriptions() {
		w.str(sub.ID)
		w.str(sub.Name)
		w.str(sub.ProductID)
		w.str(sub.BillingFrequency)
		w.str(sub.CollectionSchedule)
		w.boolean(sub.IsProrated)
		w.str(sub.InvoiceBehavior)
		w.varint(sub.StartingAt)
		w.varint(sub.EndingBefore)
		w.varint(sub.CreatedAt)
		w.presence(sub.Quantities == nil, len(sub.Quantities))
		for _, st := range sub.Quantities {
			w.varint(st.At)
			w.amt(st.Quantity)
		}
		w.uvarint(uint64(sub.StepsDone))
		w.varint(sub.NextPeriod)
		w.varint(sub.PeriodStart)
		w.varint(sub.PeriodEnd)
		w.amt(sub.BilledQuantity)
		w.presence(sub.Charges == nil, len(sub.Charges))
		for _, ch := range sub.Charges {
			w.str(ch.ID)
			w.varint(ch.PeriodStart)
			w.varint(ch.PeriodEnd)
			w.varint(ch.From)
			w.amt(ch.Quantity)
			w.amt(ch.UnitPrice)
			w.amt(ch.Total)
			w.boolean(ch.Prorated)
			w.str(ch.InvoiceID)
		}
	}
	w.presence(k.Recurring() == nil, len(k.Recurring()))
	for _, r := range k.Recurring() {
		w.str(r.ID)
		w.str(r.CommitID)
		w.str(r.Type)
		w.amt(r.UnitPrice)
		w.amt(r.Quantity)
		w.varint(r.DurationPeriods)
		w.varint(r.StartingAt)
		w.varint(r.EndingBefore)
		w.str(r.Frequency)
		w.str(r.Proration)
		w.str(r.SubscriptionID)
		w.str(r.Allocation)
		w.boolean(r.SeatIncreaseProrated)
		w.varint(r.NextGrant)
		w.varint(r.PeriodStart)
		w.varint(r.PeriodEnd)
		w.str(r.SegmentID)
		w.amt(r.GrantedSeats)
		w.uvarint(uint64(r.StepsDone))
	}
}

// seats reads what binWriter.seats wrote.
func (r *binReader) seats(k *engine.Contract) {
	if n := r.uvarint(); n > 0 {
		k.EditExtra(func(x *engine.ContractExtra) { x.Subscriptions = make([]*engine.Subscription, r.count(n-1)) })
		for i := range k.Subscriptions() {
			sub := &engine.Subscription{}
			sub.ID = r.uniqueStr()
			sub.Name = r.str()
			sub.ProductID = r.str()
			sub.BillingFrequency = r.str()
			sub.CollectionSchedule = r.str()
			sub.IsProrated = r.boolean()
			sub.InvoiceBehavior = r.str()
			sub.StartingAt = r.varint()
			sub.EndingBefore = r.varint()
			sub.CreatedAt = r.varint()
			if m := r.uvarint(); m > 0 {
				sub.Quantities = make([]engine.QuantityStep, r.count(m-1))
				for j := range sub.Quantities {
					sub.Quantities[j].At = r.varint()
					sub.Quantities[j].Quantity = r.amount(r)
				}
			}
			sub.StepsDone = r.index(len(sub.Quantities))
			sub.NextPeriod = r.varint()
			sub.PeriodStart = r.varint()
			sub.PeriodEnd = r.varint()
			sub.BilledQuantity = r.amount(r)
			if m := r.uvarint(); m > 0 {
				sub.Charges = make([]engine.SubscriptionCharge, r.count(m-1))
				for j := range sub.Charges {
					ch := &sub.Charges[j]
					ch.ID = r.uniqueStr()
					ch.PeriodStart = r.varint()
					ch.PeriodEnd = r.varint()
					ch.From = r.varint()
					ch.Quantity = r.amount(r)
					ch.UnitPrice = r.amount(r)
					ch.Total = r.amount(r)
					ch.Prorated = r.boolean()
					ch.InvoiceID = r.str()
				}
			}
			k.Subscriptions()[i] = sub
		}
	}
	if n := r.uvarint(); n > 0 {
		k.EditExtra(func(x *engine.ContractExtra) { x.Recurring = make([]*engine.RecurringBalance, r.count(n-1)) })
		for i := range k.Recurring() {
			rb := &engine.RecurringBalance{}
			rb.ID = r.uniqueStr()
			rb.CommitID = r.uniqueStr()
			rb.Type = r.str()
			rb.UnitPrice = r.amount(r)
			rb.Quantity = r.amount(r)
			rb.DurationPeriods = r.varint()
			rb.StartingAt = r.varint()
			rb.EndingBefore = r.varint()
			rb.Frequency = r.str()
			rb.Proration = r.str()
			rb.SubscriptionID = r.str()
			rb.Allocation = r.str()
			rb.SeatIncreaseProrated = r.boolean()
			rb.NextGrant = r.varint()
			rb.PeriodStart = r.varint()
			rb.PeriodEnd = r.varint()
			rb.SegmentID = r.uniqueStr()
			rb.GrantedSeats = r.amount(r)
			rb.StepsDone = int(r.uvarint())
			k.Recurring()[i] = rb
		}
	}
}

// index reads a count of steps applied, at most max.
func (r *binReader) index(max int) int {
	v := r.uvarint()
	if v > uint64(max) {
		r.fail(errCustomerTruncated)
		return 0
	}
	return int(v)
}
