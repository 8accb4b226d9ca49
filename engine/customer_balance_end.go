package engine

// End dates of customer-level commits and credits
// (customerCommits/updateEndDate, customerCredits/updateEndDate).

// UpdateCustomerBalanceEnd moves the end of a customer-level balance's
// access schedule to AccessEndingBefore (access_ending_before; 0:
// unchanged, when InvoicesEndingBefore is given).
type UpdateCustomerBalanceEnd struct {
	CustomerID         string `msgpack:"CustomerID"`
	BalanceID          string `msgpack:"BalanceID"`
	AccessEndingBefore Nanos  `msgpack:"AccessEndingBefore"`
	// InvoicesEndingBefore drops the invoice-schedule items at or after it
	// (invoices_ending_before; 0: unchanged).
	InvoicesEndingBefore Nanos `msgpack:"InvoicesEndingBefore,omitempty"`
}

func (*UpdateCustomerBalanceEnd) Kind() Kind { return KindUpdateCustomerBalanceEnd }

func routeUpdateCustomerBalanceEnd(b *batch, _ int, cmd Command) (*CustomerHandle, *Error) {
	return routeToCustomer(b, cmd.(*UpdateCustomerBalanceEnd).CustomerID)
}

// validateUpdateCustomerBalanceEnd refuses an end that would move usage
// already rated: the new access end must be after now and after the last
// usage any contract the balance applies to rated, and no segment whose
// remainder expired may move; invoice-schedule items it drops must be on
// draft invoices.
func validateUpdateCustomerBalanceEnd(c *Customer, command Command, _ *Catalog, now Nanos) *Error {
	cmd := command.(*UpdateCustomerBalanceEnd)
	if c == nil {
		return errorf(NotFound, "customer_id: customer %s not found", cmd.CustomerID)
	}
	b := c.CustomerBalanceByID(cmd.BalanceID)
	if b == nil {
		return errorf(NotFound, "id: customer-level commit or credit %s not found", cmd.BalanceID)
	}
	if cmd.AccessEndingBefore == 0 && cmd.InvoicesEndingBefore == 0 {
		return errorf(Invalid, "access_ending_before: give access_ending_before or invoices_ending_before")
	}
	if cmd.InvoicesEndingBefore != 0 {
		if err := c.checkInvoicesEnd(b, cmd.InvoicesEndingBefore); err != nil {
			return err
		}
	}
	if cmd.AccessEndingBefore == 0 {
		return nil
	}
	end := cmd.AccessEndingBefore
	segs := b.Commit.Segments
	switch {
	case end <= now:
		return errorf(Invalid, "access_ending_before: must be after now (%s): an end in the past would move usage already rated", fmtTime(now))
	case end <= segs[0].StartingAt:
		return errorf(Invalid, "access_ending_before: must be after the access schedule's start, %s", fmtTime(segs[0].StartingAt))
	}
	if last := c.lastUsageOn(b); last >= end {
		return errorf(Invalid, "access_ending_before: usage dated %s was already rated on a contract this balance applies to; the end must be after it", fmtTime(last))
	}
	for _, s := range segs {
		moved := s.EndingBefore > end || s == segs[len(segs)-1]
		if moved && s.Expired {
			return errorf(Invalid, "access_ending_before: segment %s ended at %s and its remainder expired", b.Commit.SegmentID(s), fmtTime(s.EndingBefore))
		}
	}
	return nil
}

// checkInvoicesEnd refuses an invoices_ending_before that would drop an
// item already billed on a finalized invoice.
func (c *Customer) checkInvoicesEnd(b *CustomerBalance, end Nanos) *Error {
	k := c.Contract(b.InvoiceContractID)
	for _, it := range b.Commit.InvoiceSchedule() {
		if it.Timestamp < end || it.InvoiceID == "" || k == nil {
			continue
		}
		if inv := k.Invoice(it.InvoiceID); inv != nil && inv.Status != InvoiceDraft {
			return errorf(Invalid, "invoices_ending_before: the item at %s is billed on invoice %s, which is %s", fmtTime(it.Timestamp), inv.ID, inv.Status)
		}
	}
	return nil
}

// lastUsageOn is the latest usage timestamp rated on any contract the
// balance applies to (0: none).
func (c *Customer) lastUsageOn(b *CustomerBalance) Nanos {
	var last Nanos
	for _, k := range c.Contracts {
		if !b.appliesTo(k) {
			continue
		}
		for _, inv := range k.Invoices {
			last = max(last, inv.LastUsageAt)
		}
	}
	return last
}

// applyUpdateCustomerBalanceEnd drops the segments starting at or after
// the new end, ends the one in force then at it, or extends the last one.
func applyUpdateCustomerBalanceEnd(_ *shard, t *task, c *Customer, _ *Catalog, _ Nanos) {
	cmd := t.cmd.(*UpdateCustomerBalanceEnd)
	b := c.CustomerBalanceByID(cmd.BalanceID)
	cm := b.Commit
	t.res.ID = cm.ID
	if end := cmd.InvoicesEndingBefore; end != 0 {
		dropped := func(it *InvoiceItem) bool { return it.Timestamp >= end }
		if k := c.Contract(b.InvoiceContractID); k != nil {
			k.unbillCommit(cm, dropped)
		}
		kept := cm.InvoiceSchedule()[:0]
		for j := range cm.InvoiceSchedule() {
			if !dropped(&cm.InvoiceSchedule()[j]) {
				kept = append(kept, cm.InvoiceSchedule()[j])
			}
		}
		cm.SetInvoiceSchedule(kept)
	}
	end := cmd.AccessEndingBefore
	if end == 0 {
		return
	}
	kept := cm.Segments[:0]
	for _, s := range cm.Segments {
		if s.StartingAt >= end {
			continue
		}
		if s.EndingBefore > end {
			s.EndingBefore = end
		}
		kept = append(kept, s)
	}
	cm.Segments = kept
	if last := kept[len(kept)-1]; last.EndingBefore < end {
		last.EndingBefore = end
	}
}
