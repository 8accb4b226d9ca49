package engine

import (
	"sort"
	"strconv"
	"unicode/utf8"

	"burndown/money"
)

// Customer-level commits and credits (Metronome's
// contracts/customerCommits/create and customerCredits/create): a balance
// that belongs to the customer, not to any contract. Usage rated on any
// contract in force (or only on those of ApplicableContractIDs) draws on
// it, in the one burn-down order together with that contract's own
// balances (candidates); each draw is recorded as a deduction against the
// drawing contract's invoice, so voiding that invoice gives it back and
// regenerating it draws again. Only PREPAID commits and credits without an
// invoice schedule are held: nothing of theirs is billed.

// Kinds of the customer-level balance commands (since v0.5.0's compact
// data format).
const (
	KindCreateCustomerBalance    Kind = 42
	KindUpdateCustomerBalanceEnd Kind = 43
)

// Bounds of a customer-level balance, checked at the API edge and again
// here, since they reach the log.
const (
	// MaxCustomerBalances is how many customer-level commits and credits
	// one customer may hold.
	MaxCustomerBalances = 1000
	// MaxBalanceText is the longest name, description, uniqueness key or
	// id, in bytes.
	MaxBalanceText = 4096
	// MaxBalanceListLen bounds the applicable contract ids, product ids
	// and tags, and the custom fields.
	MaxBalanceListLen = 1000
)

// CustomerBalance is a customer-level commit or credit (since customer
// layout 14): the balance, the contracts whose usage may draw on it (none:
// every contract) and the uniqueness key it was created with.
type CustomerBalance struct {
	Commit                *Commit  `msgpack:"Commit"`
	ApplicableContractIDs []string `msgpack:"ApplicableContractIDs"`
	UniquenessKey         string   `msgpack:"UniquenessKey"`
	// InvoiceContractID is the contract on whose usage invoices the
	// commit's invoice schedule is billed (invoice_contract_id).
	InvoiceContractID string `msgpack:"InvoiceContractID"`
}

// appliesTo reports whether usage rated on k may draw on the balance.
func (b *CustomerBalance) appliesTo(k *Contract) bool {
	return len(b.ApplicableContractIDs) == 0 || contains(b.ApplicableContractIDs, k.ID)
}

// CreateCustomerBalance adds a customer-level commit (Balance.Type
// PREPAID) or credit (CREDIT) to a customer.
type CreateCustomerBalance struct {
	CustomerID            string      `msgpack:"CustomerID"`
	Balance               CommitInput `msgpack:"Balance"`
	ApplicableContractIDs []string    `msgpack:"ApplicableContractIDs"`
	UniquenessKey         string      `msgpack:"UniquenessKey"`
	// InvoiceContractID bills Balance's invoice schedule on that
	// contract's usage invoices; required with one.
	InvoiceContractID string `msgpack:"InvoiceContractID,omitempty"`
}

func (*CreateCustomerBalance) Kind() Kind { return KindCreateCustomerBalance }

// UpdateCustomerBalanceEnd moves the end of a customer-level balance's
// access schedule to AccessEndingBefore (access_ending_before).
type UpdateCustomerBalanceEnd struct {
	CustomerID         string `msgpack:"CustomerID"`
	BalanceID          string `msgpack:"BalanceID"`
	AccessEndingBefore Nanos  `msgpack:"AccessEndingBefore"`
	// InvoicesEndingBefore drops the invoice-schedule items at or after it
	// (invoices_ending_before; 0: unchanged).
	InvoicesEndingBefore Nanos `msgpack:"InvoicesEndingBefore,omitempty"`
}

func (*UpdateCustomerBalanceEnd) Kind() Kind { return KindUpdateCustomerBalanceEnd }

// CustomerBalanceByID returns the customer-level balance with this id, or nil.
func (c *Customer) CustomerBalanceByID(id string) *CustomerBalance {
	for _, b := range c.Balances {
		if b.Commit.ID == id {
			return b
		}
	}
	return nil
}

func routeCreateCustomerBalance(b *batch, _ int, cmd Command) (*CustomerHandle, *Error) {
	return routeToCustomer(b, cmd.(*CreateCustomerBalance).CustomerID)
}

func routeUpdateCustomerBalanceEnd(b *batch, _ int, cmd Command) (*CustomerHandle, *Error) {
	return routeToCustomer(b, cmd.(*UpdateCustomerBalanceEnd).CustomerID)
}

// textOK reports whether s is valid UTF-8 of at most MaxBalanceText bytes.
func textOK(s string) bool { return len(s) <= MaxBalanceText && utf8.ValidString(s) }

// checkBalanceBounds asserts the bounds the API edge checks.
func checkBalanceBounds(cmd *CreateCustomerBalance) *Error {
	in := &cmd.Balance
	texts := [...]struct{ field, s string }{{"name", in.Name}, {"description", in.Description},
		{"uniqueness_key", cmd.UniquenessKey}, {"product_id", in.ProductID}}
	for _, x := range texts {
		if !textOK(x.s) {
			return errorf(Invalid, "%s: must be at most %d bytes of UTF-8", x.field, MaxBalanceText)
		}
	}
	switch {
	case len(in.AccessSchedule) == 0 || len(in.AccessSchedule) > MaxSegments:
		return errorf(Invalid, "access_schedule.schedule_items: 1 to %d items", MaxSegments)
	case len(cmd.ApplicableContractIDs) > MaxBalanceListLen:
		return errorf(Invalid, "applicable_contract_ids: at most %d", MaxBalanceListLen)
	case len(in.ApplicableProductIDs) > MaxBalanceListLen:
		return errorf(Invalid, "applicable_product_ids: at most %d", MaxBalanceListLen)
	case len(in.ApplicableProductTags) > MaxBalanceListLen:
		return errorf(Invalid, "applicable_product_tags: at most %d", MaxBalanceListLen)
	case len(in.CustomFields) > MaxBalanceListLen:
		return errorf(Invalid, "custom_fields: at most %d", MaxBalanceListLen)
	case len(in.InvoiceSchedule) > maxInvoiceItems:
		return errorf(Invalid, "invoice_schedule.schedule_items: at most %d items", maxInvoiceItems)
	case !textOK(cmd.InvoiceContractID):
		return errorf(Invalid, "invoice_contract_id: must be at most %d bytes of UTF-8", MaxBalanceText)
	case in.PaymentGate != nil:
		return errorf(Invalid, "payment_gate_config: is not supported on customer-level commits")
	}
	for _, list := range [][]string{cmd.ApplicableContractIDs, in.ApplicableProductIDs, in.ApplicableProductTags} {
		for _, s := range list {
			if !textOK(s) {
				return errorf(Invalid, "applicable ids and tags: each at most %d bytes of UTF-8", MaxBalanceText)
			}
		}
	}
	for k, v := range in.CustomFields {
		if !textOK(k) || !textOK(v) {
			return errorf(Invalid, "custom_fields: keys and values at most %d bytes of UTF-8", MaxBalanceText)
		}
	}
	return nil
}

func validateCreateCustomerBalance(c *Customer, command Command, cat *Catalog, now Nanos) *Error {
	cmd := command.(*CreateCustomerBalance)
	if c == nil {
		return errorf(NotFound, "customer_id: customer %s not found", cmd.CustomerID)
	}
	if err := checkBalanceBounds(cmd); err != nil {
		return err
	}
	in := &cmd.Balance
	switch {
	case in.Type == CommitPostpaid:
		return errorf(Invalid, "type: POSTPAID customer-level commits are not supported by this server (their true-up would span contracts); use PREPAID")
	case in.Type != CommitPrepaid && in.Type != CommitCredit:
		return errorf(Invalid, "type: must be PREPAID")
	case len(c.Balances) >= MaxCustomerBalances:
		return errorf(Invalid, "customer_id: customer %s holds the most customer-level commits and credits it may (%d)", c.ID, MaxCustomerBalances)
	case cat.Products[in.ProductID] == nil:
		return errorf(NotFound, "product_id: product %s not found", in.ProductID)
	}
	for i, id := range cmd.ApplicableContractIDs {
		if c.Contract(id) == nil {
			return errorf(NotFound, "applicable_contract_ids[%d]: contract %s not found on customer %s", i, id, c.ID)
		}
	}
	for i, pid := range in.ApplicableProductIDs {
		if cat.Products[pid] == nil {
			return errorf(NotFound, "applicable_product_ids[%d]: product %s not found", i, pid)
		}
	}
	if cmd.UniquenessKey != "" {
		for _, b := range c.Balances {
			if b.UniquenessKey == cmd.UniquenessKey {
				return errorf(Conflict, "uniqueness_key: %s was already used by %s", cmd.UniquenessKey, b.Commit.ID)
			}
		}
	}
	_, _, err := buildCustomerBalance(c, cmd, cat, now)
	return err
}

// buildCustomerBalance builds the commit or credit the command creates,
// and the contract its invoice schedule is billed on (nil: none), and
// checks that every item can be billed there; it changes nothing.
func buildCustomerBalance(c *Customer, cmd *CreateCustomerBalance, cat *Catalog, now Nanos) (*Commit, *Contract, *Error) {
	in := &cmd.Balance
	ct := in.CreditTypeID
	if ct == "" {
		ct = USDCreditTypeID
	}
	if cat.CreditTypes[ct] == nil {
		return nil, nil, errorf(NotFound, "access_schedule.credit_type_id: credit type %s not found", ct)
	}
	priority, err := amountPtr(in.Priority, "priority")
	if err != nil {
		return nil, nil, err
	}
	id := CustomerBalanceID(c.ID, len(c.Balances))
	cm := &Commit{
		ID: id, Type: in.Type, ProductID: in.ProductID, Name: in.Name, Description: in.Description,
		Priority: priority, CreditTypeID: ct, ApplicableProductIDs: in.ApplicableProductIDs,
		ApplicableProductTags: in.ApplicableProductTags, CustomFields: in.CustomFields, CreatedAt: now, Seq: c.Seq + 1,
		DoNotInvoice: in.DoNotInvoice,
	}
	for j, it := range in.AccessSchedule {
		amount, aerr := inputAmount(it.Amount)
		switch {
		case aerr != nil:
			return nil, nil, errorf(Invalid, "access_schedule.schedule_items[%d].amount: %v", j, aerr)
		case amount.IsNegative():
			return nil, nil, errorf(Invalid, "access_schedule.schedule_items[%d].amount: must not be negative", j)
		case it.EndingBefore <= it.StartingAt:
			return nil, nil, errorf(Invalid, "access_schedule.schedule_items[%d].ending_before: must be after starting_at%s", j, swappedHint(it.StartingAt, it.EndingBefore))
		}
		cm.Segments = append(cm.Segments, &Segment{ID: DeriveID(id, "segment", strconv.Itoa(j)), Amount: amount,
			StartingAt: it.StartingAt, EndingBefore: it.EndingBefore})
	}
	sort.SliceStable(cm.Segments, func(a, b int) bool { return cm.Segments[a].StartingAt < cm.Segments[b].StartingAt })
	if err := customerInvoiceSchedule(cm, in); err != nil {
		return nil, nil, err
	}
	k, err := invoiceContract(c, cmd, cm, cat, now)
	return cm, k, err
}

// customerInvoiceSchedule sets the commit's invoice schedule from its
// items or recurring schedule, checked as a contract commit's.
func customerInvoiceSchedule(cm *Commit, in *CommitInput) *Error {
	items := append([]InvoiceItem(nil), in.InvoiceSchedule...)
	if r := in.InvoiceRecurring; r != nil {
		if len(items) > 0 {
			return errorf(Invalid, "invoice_schedule.recurring_schedule: give schedule_items or recurring_schedule, not both")
		}
		exp, err := expandRecurring(r, "invoice_schedule.recurring_schedule")
		if err != nil {
			return err
		}
		for _, it := range exp {
			items = append(items, InvoiceItem{Timestamp: it.Timestamp, Amount: it.Amount, UnitPrice: it.UnitPrice, Quantity: it.Quantity})
		}
	}
	if len(items) > maxInvoiceItems {
		return errorf(Invalid, "invoice_schedule.schedule_items: at most %d items", maxInvoiceItems)
	}
	for j := range items {
		if _, err := inputAmount(items[j].Amount); err != nil || items[j].Amount.IsNegative() {
			return errorf(Invalid, "invoice_schedule.schedule_items[%d].amount: must be a non-negative amount", j)
		}
		items[j].ID = DeriveID(cm.ID, "invoice_item", strconv.Itoa(j))
	}
	if len(items) > 0 {
		if cm.Type == CommitCredit {
			return errorf(Invalid, "invoice_schedule: a credit has none")
		}
		cm.InvoiceSchedule = items
	}
	return nil
}

// invoiceContract returns the contract the commit's invoice schedule is
// billed on, refusing one that cannot bill every item now (as billCommit
// would): required with an invoice schedule that bills.
func invoiceContract(c *Customer, cmd *CreateCustomerBalance, cm *Commit, cat *Catalog, now Nanos) (*Contract, *Error) {
	if cmd.InvoiceContractID == "" {
		if cm.invoiced() && len(cm.InvoiceSchedule) > 0 {
			return nil, errorf(Invalid, "invoice_contract_id: is required with an invoice_schedule (the contract whose invoices bill it)")
		}
		return nil, nil
	}
	k := c.Contract(cmd.InvoiceContractID)
	if k == nil || k.Archived {
		return nil, errorf(NotFound, "invoice_contract_id: contract %s not found on customer %s (or archived)", cmd.InvoiceContractID, c.ID)
	}
	rc := cat.RateCards[k.RateCardID]
	if !cm.invoiced() || rc == nil {
		return k, nil
	}
	if cm.CreditTypeID != rc.FiatCreditTypeID && len(cm.InvoiceSchedule) > 0 {
		return nil, errorf(Invalid, "invoice_schedule: a commit in a custom pricing unit cannot be invoiced yet; set do_not_invoice")
	}
	for j, it := range cm.InvoiceSchedule {
		if !k.InForce(it.Timestamp) {
			return nil, errorf(Invalid, "invoice_schedule.schedule_items[%d].timestamp: %s is outside the term of contract %s", j, fmtTime(it.Timestamp), k.ID)
		}
		if inv := k.findInvoice(it.Timestamp); (inv != nil && inv.Status != InvoiceDraft) || (inv == nil && k.periodClosed(it.Timestamp, now)) {
			return nil, errorf(Invalid, "invoice_schedule.schedule_items[%d].timestamp: the statement period of contract %s holding %s is finalized", j, k.ID, fmtTime(it.Timestamp))
		}
	}
	return k, nil
}

// CustomerBalanceID is the id of a customer's i-th customer-level balance.
func CustomerBalanceID(customerID string, i int) string {
	return DeriveID(customerID, "customer_balance", strconv.Itoa(i))
}

// applyCreateCustomerBalance builds the balance (validated above), bills
// its invoice schedule on its invoice contract's usage invoices; its id is
// derived from the customer and its position (CustomerBalanceID).
func applyCreateCustomerBalance(_ *shard, t *task, c *Customer, cat *Catalog, now Nanos) {
	cmd := t.cmd.(*CreateCustomerBalance)
	cm, k, _ := buildCustomerBalance(c, cmd, cat, now)
	c.Seq++
	if k != nil {
		k.billCommit(cm, cat.RateCards[k.RateCardID], "", false, now) // checked by invoiceContract
	}
	c.Balances = append(c.Balances, &CustomerBalance{Commit: cm, ApplicableContractIDs: cmd.ApplicableContractIDs,
		UniquenessKey: cmd.UniquenessKey, InvoiceContractID: cmd.InvoiceContractID})
	c.expireBalances(now) // a backdated schedule that already ended
	t.res.ID = cm.ID
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
			return errorf(Invalid, "access_ending_before: segment %s ended at %s and its remainder expired", s.ID, fmtTime(s.EndingBefore))
		}
	}
	return nil
}

// checkInvoicesEnd refuses an invoices_ending_before that would drop an
// item already billed on a finalized invoice.
func (c *Customer) checkInvoicesEnd(b *CustomerBalance, end Nanos) *Error {
	k := c.Contract(b.InvoiceContractID)
	for _, it := range b.Commit.InvoiceSchedule {
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
		kept := cm.InvoiceSchedule[:0]
		for j := range cm.InvoiceSchedule {
			if !dropped(&cm.InvoiceSchedule[j]) {
				kept = append(kept, cm.InvoiceSchedule[j])
			}
		}
		cm.InvoiceSchedule = kept
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

// moveSharedBilled points the customer-level commits' items billed on the
// voided invoice at the invoice regenerated from it (moveBilledItems).
func (c *Customer) moveSharedBilled(from, to string) {
	for _, b := range c.Balances {
		for j := range b.Commit.InvoiceSchedule {
			if b.Commit.InvoiceSchedule[j].InvoiceID == from {
				b.Commit.InvoiceSchedule[j].InvoiceID = to
			}
		}
	}
}

// archiveContract archives k (Contract.archive) and settles the
// customer-level balances with its canceled drafts: what those drew goes
// back (nothing was billed on them), and items billed on them are
// forgotten (unbillArchived).
func (c *Customer) archiveContract(k *Contract, now Nanos) {
	var drafts []string
	if !k.Archived && len(c.Balances) > 0 {
		for _, inv := range k.Invoices {
			if inv.Status == InvoiceDraft {
				drafts = append(drafts, inv.ID)
			}
		}
	}
	k.archive(now)
	for _, id := range drafts {
		c.giveBackShared(id, now)
	}
	c.unbillArchived(k)
}

// unbillArchived forgets the customer-level commits' items billed on
// drafts of an archived contract, which archiving removed: they are no
// longer billed anywhere.
func (c *Customer) unbillArchived(k *Contract) {
	for _, b := range c.Balances {
		if b.InvoiceContractID != k.ID {
			continue
		}
		for j := range b.Commit.InvoiceSchedule {
			if it := &b.Commit.InvoiceSchedule[j]; it.InvoiceID != "" && k.Invoice(it.InvoiceID) == nil {
				it.InvoiceID = ""
			}
		}
	}
}

// expireBalances expires the customer-level segments whose end has passed
// at now; what was left in them is their expiration (no true-up: they are
// all prepaid).
func (c *Customer) expireBalances(now Nanos) {
	for _, b := range c.Balances {
		for _, s := range b.Commit.Segments {
			if !s.Expired && s.EndingBefore != 0 && s.EndingBefore <= now {
				s.ExpiredAmount = s.left()
				s.Expired = true
			}
		}
	}
}

// balanceTransitions considers the starts and ends of the customer-level
// segments not yet expired (nextTransition).
func (c *Customer) balanceTransitions(consider func(Nanos)) {
	for _, b := range c.Balances {
		for _, s := range b.Commit.Segments {
			if !s.Expired {
				consider(s.StartingAt)
				consider(s.EndingBefore)
			}
		}
	}
}

// sharedBalanceFor is what the customer-level balances that apply to k
// hold at now for the product in creditTypeID (an entitlement answer's
// balance adds it to k's own).
func (c *Customer) sharedBalanceFor(k *Contract, cat *Catalog, productID, creditTypeID string, now Nanos) money.Amount {
	var total money.Amount
	for _, b := range c.Balances {
		cm := b.Commit
		if b.appliesTo(k) && cm.drawable() && cm.CreditTypeID == creditTypeID && cm.appliesTo(cat, productID) {
			total = total.Add(cm.BalanceAt(now))
		}
	}
	return total
}

// giveBackShared gives back what the customer-level balances drew for the
// voided invoice, as giveBack does for the contract's own.
func (c *Customer) giveBackShared(invoiceID string, now Nanos) {
	for _, b := range c.Balances {
		giveBack(b.Commit, invoiceID, now)
	}
}
