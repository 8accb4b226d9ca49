package engine

import (
	"slices"
	"strconv"
)

// Contract lifecycle commands: end dates and edits.

func routeUpdateEndDate(b *batch, _ int, cmd Command) (*CustomerHandle, *Error) {
	return routeToCustomer(b, cmd.(*UpdateEndDate).CustomerID)
}

func routeEditContract(b *batch, pos int, cmd Command) (*CustomerHandle, *Error) {
	h, err := routeToCustomer(b, cmd.(*EditContract).CustomerID)
	if err == nil {
		// The edit's id, derived from its log position.
		b.results[pos].ID = entryID(b.index, pos, "contract_edit")
	}
	return h, err
}

func routeToCustomer(b *batch, id string) (*CustomerHandle, *Error) {
	h := b.e.dir.lookup(id)
	if h == nil {
		return nil, errorf(NotFound, "customer_id: customer %s not found", id)
	}
	return h, nil
}

// validateUpdateEndDate refuses an end date the contract may not take
// (checkEndDate), before the gate.
func validateUpdateEndDate(c *Customer, cmd Command, _ *Catalog, _ Nanos) *Error {
	u := cmd.(*UpdateEndDate)
	if c == nil {
		return errorf(NotFound, "customer_id: customer %s not found", u.CustomerID)
	}
	k := c.Contract(u.ContractID)
	if k == nil {
		return errorf(NotFound, "contract_id: contract %s not found", u.ContractID)
	}
	if k.Archived {
		return errorf(Invalid, "contract_id: contract %s is archived", u.ContractID)
	}
	return k.checkEndDate(c, u.EndingBefore, u.AllowEndingBeforeFinalizedInvoice, "ending_before")
}

func applyUpdateEndDate(s *shard, t *task, c *Customer, cat *Catalog, now Nanos) {
	cmd := t.cmd.(*UpdateEndDate)
	k := c.Contract(cmd.ContractID)
	k.setEndDate(cmd.EndingBefore)
	k.finalizeDue(now)
	t.res.ID = k.ID
}

// checkEndDate reports why the contract may not end at end (0: open-ended):
// not after its start, overlapping another contract of the customer (when
// neither is concurrent: multicontract.go), before
// the end of a finalized invoice (unless allowed), or before usage already
// rated on a draft. field names the request field in the error.
func (k *Contract) checkEndDate(c *Customer, end Nanos, allowFinalized bool, field string) *Error {
	if end != 0 && end <= k.StartingAt {
		return errorf(Invalid, "%s: must be after the contract's starting_at (%s)", field, fmtTime(k.StartingAt))
	}
	for _, other := range c.Contracts {
		if other != k && other.ID != k.ID && !other.Archived && !k.Concurrent && !other.Concurrent && overlaps(k.StartingAt, end, other.StartingAt, other.EndingBefore) {
			return errorf(Invalid, "%s: the contract would overlap contract %s (%s)", field, other.ID, termString(other.StartingAt, other.EndingBefore))
		}
	}
	if end == 0 || (k.EndingBefore != 0 && end >= k.EndingBefore) {
		return nil // not shortened
	}
	if k.seatsBeyond(end) {
		return errorf(Invalid, "%s: a subscription or recurring credit or commit runs past it; shortening them is not supported by this server yet", field)
	}
	for _, inv := range k.Invoices {
		if inv.End <= end {
			continue
		}
		if inv.Status != InvoiceDraft {
			if !allowFinalized {
				return errorf(Invalid, "%s: invoice %s for %s is finalized; allow ending before a finalized invoice to end the contract earlier",
					field, inv.ID, termString(inv.Start, inv.End))
			}
			continue
		}
		if last, ok := inv.lastUsage(); ok && last >= end {
			return errorf(Invalid, "%s: usage at or after %s is already billed on draft invoice %s", field, fmtTime(end), inv.ID)
		}
	}
	return nil
}

// lastUsage is the latest event time rated on the invoice; for an invoice
// from before it was recorded, its period's last instant. False when the
// invoice has no usage.
func (inv *Invoice) lastUsage() (Nanos, bool) {
	for _, l := range inv.Lines {
		if l.Type != LineScheduled {
			if inv.LastUsageAt == 0 {
				return inv.End - 1, true
			}
			return inv.LastUsageAt, true
		}
	}
	return 0, false
}

// setEndDate moves the contract's end (checked by checkEndDate). Shortening
// truncates the terms: overrides end by the new end (those starting after
// it go), draft statements after it are dropped and the one spanning it
// ends there, and scheduled-charge items after it are dropped. Extending
// lengthens the draft statement that ended at the old end to its full
// period; the terms are not extended.
func (k *Contract) setEndDate(end Nanos) {
	old := k.EndingBefore
	k.EndingBefore = end
	if end == 0 || (old != 0 && end >= old) {
		for _, inv := range k.Invoices {
			if inv.Status == InvoiceDraft && !inv.Scheduled() && old != 0 && inv.End == old {
				_, inv.End = k.periodBounds(inv.Start)
			}
		}
		return
	}
	ovs := k.Overrides[:0]
	for _, o := range k.Overrides {
		if o.StartingAt >= end {
			continue
		}
		if o.EndingBefore == 0 || o.EndingBefore > end {
			o.EndingBefore = end
		}
		ovs = append(ovs, o)
	}
	k.Overrides = ovs
	for _, cm := range k.Balances {
		// Commit purchases after the end come off the drafts; a postpaid
		// term ends (and is trued up) with the contract.
		k.unbillCommit(cm, func(it *InvoiceItem) bool { return it.Timestamp >= end })
		if cm.postpaid() {
			for _, sg := range cm.Segments {
				if !sg.Expired && sg.StartingAt < end && sg.EndingBefore > end {
					sg.EndingBefore = end
				}
			}
		}
	}
	for _, ch := range k.ScheduledCharges() {
		items := ch.Items[:0]
		for _, it := range ch.Items {
			if it.Timestamp >= end {
				if inv := k.Invoice(it.InvoiceID); inv == nil || inv.Status == InvoiceDraft {
					continue // its draft statement goes below
				}
			}
			items = append(items, it)
		}
		ch.Items = items
	}
	invs := k.Invoices[:0]
	for _, inv := range k.Invoices {
		if inv.Status == InvoiceDraft && inv.Start >= end {
			continue
		}
		if inv.Status == InvoiceDraft && inv.End > end {
			inv.End = end
			// Drop the lines of charge items after the new end.
			lines := inv.Lines[:0]
			for _, l := range inv.Lines {
				if l.Type == LineScheduled && k.chargeItem(l.ItemID()) == nil {
					inv.Total = inv.Total.Sub(l.Total)
					continue
				}
				lines = append(lines, l)
			}
			inv.Lines = lines
		}
		invs = append(invs, inv)
	}
	k.Invoices = invs
}

// chargeItem finds a scheduled-charge item by id.
func (k *Contract) chargeItem(id string) *ChargeItem {
	for _, ch := range k.ScheduledCharges() {
		for i := range ch.Items {
			if ch.Items[i].ID == id {
				return &ch.Items[i]
			}
		}
	}
	return nil
}

// ScheduledCharge returns the contract's scheduled charge with this id, or nil.
func (k *Contract) ScheduledCharge(id string) *ScheduledCharge {
	for _, ch := range k.ScheduledCharges() {
		if ch.ID == id {
			return ch
		}
	}
	return nil
}

// editCtx is what an edit's sub-operations work on: a private copy of the
// contract, swapped in only when every sub-operation succeeded.
type editCtx struct {
	s   *shard
	c   *Customer
	k   *Contract
	rc  *RateCard
	cat *Catalog
	cmd *EditContract
	id  string
	now Nanos
	// single: the edit serves commits/edit or credits/edit, whose body is
	// the one balance update (fields are named without update_commits[i]).
	single bool
	// segIDs are the segment ids segmentAt has read.
	segIDs segmentIDs
}

// editOp is one sub-operation of /v2/contracts/edit. Sub-operations run in
// the order of editOps; a later one sees what earlier ones did. A new kind
// of change (seats, payments) is a new entry here and a field of
// EditContract.
type editOp struct {
	name  string
	apply func(x *editCtx) *Error
}

var editOps = []editOp{
	{"update_contract_name", editName},
	{"update_contract_end_date", editEndDate},
	{"remove_overrides", editRemoveOverrides},
	{"archive_commits", func(x *editCtx) *Error { return editArchiveBalances(x, "archive_commits", x.cmd.ArchiveCommits, false) }},
	{"archive_credits", func(x *editCtx) *Error { return editArchiveBalances(x, "archive_credits", x.cmd.ArchiveCredits, true) }},
	{"archive_scheduled_charges", editArchiveCharges},
	{"update_commits", func(x *editCtx) *Error { return editUpdateBalances(x, "update_commits", x.cmd.UpdateCommits, false) }},
	{"update_credits", func(x *editCtx) *Error { return editUpdateBalances(x, "update_credits", x.cmd.UpdateCredits, true) }},
	{"add_overrides", editAddOverrides},
	{"add_commits", func(x *editCtx) *Error { return editAddBalances(x, "add_commits", x.cmd.AddCommits, CommitPrepaid) }},
	{"add_credits", func(x *editCtx) *Error { return editAddBalances(x, "add_credits", x.cmd.AddCredits, CommitCredit) }},
	{"add_scheduled_charges", editAddCharges},
	{"add_subscriptions", editAddSubscriptions},
	{"update_subscriptions", editUpdateSubscriptions},
	{"add_prepaid_balance_threshold_configuration", editAddRecharge},
	{"update_prepaid_balance_threshold_configuration", editUpdateRecharge},
	{"add_spend_threshold_configuration", editAddSpendThreshold},
	{"update_spend_threshold_configuration", editUpdateSpendThreshold},
}

func applyEditContract(s *shard, t *task, c *Customer, cat *Catalog, now Nanos) {
	cmd := t.cmd.(*EditContract)
	id := t.res.ID
	t.res.ID = ""
	if c == nil {
		t.res.Err = errorf(NotFound, "customer_id: customer %s not found", cmd.CustomerID)
		return
	}
	idx := -1
	for i, k := range c.Contracts {
		if k.ID == cmd.ContractID {
			idx = i
		}
	}
	if idx < 0 {
		t.res.Err = errorf(NotFound, "contract_id: contract %s not found", cmd.ContractID)
		return
	}
	if c.Contracts[idx].Archived {
		t.res.Err = errorf(Invalid, "contract_id: contract %s is archived", cmd.ContractID)
		return
	}
	if cmd.UniquenessKey != "" && contains(c.UniquenessKeys(), cmd.UniquenessKey) {
		t.res.Err = errorf(Conflict, "uniqueness_key: This uniqueness key has already been used.")
		return
	}
	if err := runEdit(s, c, cat, now, cmd, id, false); err != nil {
		t.res.Err = err
		return
	}
	if cmd.UniquenessKey != "" {
		c.EditExtra(func(x *CustomerExtra) { x.UniquenessKeys = append(x.UniquenessKeys, cmd.UniquenessKey) })
	}
	t.res.ID = id
}

// runEdit runs an edit's sub-operations on a copy of its contract (found
// and not archived) and swaps the copy in when all succeeded; single:
// see editCtx.
func runEdit(s *shard, c *Customer, cat *Catalog, now Nanos, cmd *EditContract, id string, single bool) *Error {
	idx := -1
	for i, k := range c.Contracts {
		if k.ID == cmd.ContractID {
			idx = i // the last, as applyEditContract found it
		}
	}
	orig := c.Contracts[idx]
	rc := cat.RateCards[orig.RateCardID]
	if rc == nil {
		return errorf(NotFound, "contract_id: the rate card of contract %s is gone", cmd.ContractID)
	}
	x := &editCtx{s: s, c: c, k: orig.clone(), rc: rc, cat: cat, cmd: cmd, id: id, now: now, single: single}
	seq := c.Seq
	for _, op := range editOps {
		if err := op.apply(x); err != nil {
			c.Seq = seq // all or nothing
			return err
		}
	}
	// Charges and grants the edit made due (a seat added now) apply now.
	x.k.advanceSeats(rc, now)
	x.k.finalizeDue(now)
	c.Contracts[idx] = x.k
	return nil
}

func editEndDate(x *editCtx) *Error {
	u := x.cmd.UpdateContractEndDate
	if u == nil {
		return nil
	}
	if err := x.k.checkEndDate(x.c, u.EndingBefore, x.cmd.AllowEndingBeforeFinalizedInvoice, "update_contract_end_date"); err != nil {
		return err
	}
	x.k.setEndDate(u.EndingBefore)
	return nil
}

func editRemoveOverrides(x *editCtx) *Error {
	for i, id := range x.cmd.RemoveOverrides {
		j := -1
		for n := range x.k.Overrides {
			if x.k.Overrides[n].ID == id {
				j = n
			}
		}
		if j < 0 {
			return errorf(NotFound, "remove_overrides[%d].id: override %s not found", i, id)
		}
		x.k.Overrides = append(x.k.Overrides[:j], x.k.Overrides[j+1:]...)
	}
	return nil
}

func editArchiveBalances(x *editCtx, field string, ids []string, credits bool) *Error {
	for i, id := range ids {
		cm := x.k.Commit(id)
		if cm == nil || (cm.Type == CommitCredit) != credits {
			return errorf(NotFound, "%s[%d].id: %s %s not found", field, i, map[bool]string{true: "credit", false: "commit"}[credits], id)
		}
		if cm.archive(x.now) {
			// Its purchases still on drafts come off them.
			x.k.unbillCommit(cm, func(*InvoiceItem) bool { return true })
		}
	}
	return nil
}

func editArchiveCharges(x *editCtx) *Error {
	for i, id := range x.cmd.ArchiveScheduledCharges {
		ch := x.k.ScheduledCharge(id)
		if ch == nil {
			return errorf(NotFound, "archive_scheduled_charges[%d].id: scheduled charge %s not found", i, id)
		}
		if ch.ArchivedAt != 0 {
			continue
		}
		ch.ArchivedAt = x.now
		// Items on drafts come off them; billed (finalized) items stay.
		for j := range ch.Items {
			x.k.unbillItem(&ch.Items[j])
		}
	}
	return nil
}

func editAddOverrides(x *editCtx) *Error {
	for i := range x.cmd.AddOverrides {
		in := &x.cmd.AddOverrides[i]
		if in.ProductID != "" && x.cat.Products[in.ProductID] == nil {
			return errorf(NotFound, "add_overrides[%d].product_id: product %s not found", i, in.ProductID)
		}
		o, err := newOverride(in, i)
		if err != nil {
			err.Message = "add_" + err.Message
			return err
		}
		if o.ID == "" {
			o.ID = DeriveID(x.id, "override", strconv.Itoa(i))
		}
		if x.k.MultiplierPrioritization() == PrioritizationExplicit && o.Type == "MULTIPLIER" && o.Priority == nil {
			return errorf(Invalid, "add_overrides[%d].priority: is required for a MULTIPLIER under EXPLICIT prioritization", i)
		}
		// A contract from before prioritization compounds stacked
		// multipliers, where Metronome applies one: refused there.
		for _, e := range x.k.Overrides {
			if x.k.MultiplierPrioritization() != PrioritizationLegacy {
				break
			}
			if o.Type == "MULTIPLIER" && e.Type == "MULTIPLIER" && overlaps(o.StartingAt, o.EndingBefore, e.StartingAt, e.EndingBefore) &&
				(o.ProductID == "" || e.ProductID == "" || o.ProductID == e.ProductID) {
				return errorf(Invalid, "add_overrides[%d]: applies at the same time as MULTIPLIER override %s to the same products; "+
					"stacking multipliers is not supported by this server yet", i, e.ID)
			}
		}
		x.k.Overrides = append(x.k.Overrides, o)
	}
	if i, product := subscriptionPriceOverride(x.cat, x.k.Overrides, x.k.Subscriptions()); i >= 0 {
		return errorf(Invalid, "add_overrides: an override changes the price of subscription product %s; overrides of subscription prices are not supported by this server yet", product)
	}
	return nil
}

func editAddBalances(x *editCtx, field string, list []CommitInput, defaultType string) *Error {
	for i := range list {
		in := list[i] // the command is not changed
		if in.ID == "" {
			in.ID = DeriveID(x.id, field, strconv.Itoa(i))
		}
		in.InvoiceSchedule = append([]InvoiceItem(nil), in.InvoiceSchedule...)
		if x.k.Commit(in.ID) != nil {
			return errorf(Conflict, "%s[%d].id: %s already exists on the contract", field, i, in.ID)
		}
		cm, err := x.s.newCommit(x.c, x.cat, x.rc, x.k.ID, field, i, &in, defaultType, x.cmd.LegacyCommits, x.now)
		f := field + "[" + strconv.Itoa(i) + "]"
		if err == nil {
			err = prepareGate(x.c, cm, &in, f, x.now) // a gated purchase is paid through its gate, not billed
		}
		if err == nil {
			err = x.k.billCommit(cm, x.rc, f, false, x.now)
		}
		if err == nil && cm.truedUp() {
			// The true-up must land on an invoice that can still change.
			if end := cm.Segments[0].EndingBefore; x.k.InForce(end-1) && (x.k.periodClosed(end-1, x.now) ||
				(x.k.findInvoice(end-1) != nil && x.k.findInvoice(end-1).Status != InvoiceDraft)) {
				err = errorf(Invalid, "%s.access_schedule: the term ends in a finalized statement period; its true-up could not be billed", f)
			}
		}
		if err != nil {
			return err
		}
		if cm.GateStatus() == GatePending {
			x.k.gate(cm, WorkflowManualCommit, in.PaymentGate.Stripe, x.now) // pending until its payment is released (payments.go)
			continue
		}
		x.k.Balances = append(x.k.Balances, cm)
	}
	x.k.trueUpEnded(x.rc, x.now)
	return nil
}

func editAddCharges(x *editCtx) *Error {
	for i := range x.cmd.AddScheduledCharges {
		field := "add_scheduled_charges[" + strconv.Itoa(i) + "]"
		ch, err := newScheduledCharge(x.cat, x.rc, x.k, field, DeriveID(x.id, "scheduled_charge", strconv.Itoa(i)), &x.cmd.AddScheduledCharges[i], x.now)
		if err == nil && x.k.ScheduledCharge(ch.ID) != nil {
			err = errorf(Conflict, "%s.id: scheduled charge %s already exists on the contract", field, ch.ID)
		}
		if err == nil {
			err = x.k.billCharge(ch, x.rc, field, false, x.now)
		}
		if err != nil {
			return err
		}
		x.k.EditExtra(func(e *ContractExtra) { e.ScheduledCharges = append(e.ScheduledCharges, ch) })
	}
	return nil
}

// clone returns a deep copy of the contract's mutable state, for edits that
// must apply all or nothing.
func (k *Contract) clone() *Contract {
	n := *k
	n.Overrides = append([]Override(nil), k.Overrides...)
	n.Balances = make([]*Commit, len(k.Balances))
	for i, cm := range k.Balances {
		c := *cm
		if x := cm.Extra; x != nil && x.InvoiceSchedule != nil {
			xc := *x
			xc.InvoiceSchedule = append([]InvoiceItem{}, x.InvoiceSchedule...)
			c.Extra = &xc
		}
		c.Segments = make([]*Segment, len(cm.Segments))
		for j, s := range cm.Segments {
			sc := *s
			sc.Deductions = append([]Deduction(nil), s.Deductions...)
			// sc.Extra is shared: it is changed copy on write (EditExtra).
			c.Segments[j] = &sc
		}
		n.Balances[i] = &c
	}
	n.Invoices = make([]*Invoice, len(k.Invoices))
	for i, inv := range k.Invoices {
		ic := *inv
		if inv.Extra != nil {
			x := *inv.Extra
			ic.Extra = &x
		}
		ic.Lines = make([]*InvoiceLine, len(inv.Lines))
		for j, l := range inv.Lines {
			lc := *l
			ic.Lines[j] = &lc
		}
		n.Invoices[i] = &ic
	}
	if k.Extra != nil {
		x := *k.Extra
		n.Extra = &x
	}
	if charges := k.ScheduledCharges(); charges != nil {
		n.Extra.ScheduledCharges = make([]*ScheduledCharge, len(charges))
		for i, ch := range charges {
			cc := *ch
			cc.Items = append([]ChargeItem(nil), ch.Items...)
			n.Extra.ScheduledCharges[i] = &cc
		}
	}
	k.cloneSeats(&n)
	k.clonePayments(&n)
	// Invoices an earlier task of the run finalized are still to send
	// (content equal in the copy); the copy appends to a list of its own.
	if n.Extra != nil {
		n.Extra.finalized = slices.Clip(n.Extra.finalized)
	}
	if k.Balances == nil {
		n.Balances = nil
	}
	if k.Invoices == nil {
		n.Invoices = nil
	}
	if k.Overrides == nil {
		n.Overrides = nil
	}
	return &n
}

// seatsBeyond reports whether a subscription or recurring grant of the
// contract runs past end: shortening would have to truncate it, which is not
// built, so such an end date is refused.
func (k *Contract) seatsBeyond(end Nanos) bool {
	for _, sub := range k.Subscriptions() {
		if sub.EndingBefore == 0 || sub.EndingBefore > end {
			return true
		}
	}
	for _, r := range k.Recurring() {
		if r.EndingBefore == 0 || r.EndingBefore > end {
			return true
		}
	}
	return false
}
