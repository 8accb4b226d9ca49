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
}

func (*CreateCustomerBalance) Kind() Kind { return KindCreateCustomerBalance }

// UpdateCustomerBalanceEnd moves the end of a customer-level balance's
// access schedule to AccessEndingBefore (access_ending_before).
type UpdateCustomerBalanceEnd struct {
	CustomerID         string `msgpack:"CustomerID"`
	BalanceID          string `msgpack:"BalanceID"`
	AccessEndingBefore Nanos  `msgpack:"AccessEndingBefore"`
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
	for field, s := range map[string]string{"name": in.Name, "description": in.Description, "uniqueness_key": cmd.UniquenessKey, "product_id": in.ProductID} {
		if !textOK(s) {
			return errorf(Invalid, "%s: must be at most %d bytes of UTF-8", field, MaxBalanceText)
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
	case len(in.InvoiceSchedule) > 0 || in.InvoiceRecurring != nil:
		return errorf(Invalid, "invoice_schedule: is not supported on customer-level commits by this server yet")
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

func validateCreateCustomerBalance(c *Customer, command Command, cat *Catalog, _ Nanos) *Error {
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
	ct := in.CreditTypeID
	if ct == "" {
		ct = USDCreditTypeID
	}
	if cat.CreditTypes[ct] == nil {
		return errorf(NotFound, "access_schedule.credit_type_id: credit type %s not found", ct)
	}
	if _, err := amountPtr(in.Priority, "priority"); err != nil {
		return err
	}
	for j, it := range in.AccessSchedule {
		amount, err := inputAmount(it.Amount)
		switch {
		case err != nil:
			return errorf(Invalid, "access_schedule.schedule_items[%d].amount: %v", j, err)
		case amount.IsNegative():
			return errorf(Invalid, "access_schedule.schedule_items[%d].amount: must not be negative", j)
		case it.EndingBefore <= it.StartingAt:
			return errorf(Invalid, "access_schedule.schedule_items[%d].ending_before: must be after starting_at%s", j, swappedHint(it.StartingAt, it.EndingBefore))
		}
	}
	if cmd.UniquenessKey != "" {
		for _, b := range c.Balances {
			if b.UniquenessKey == cmd.UniquenessKey {
				return errorf(Conflict, "uniqueness_key: %s was already used by %s", cmd.UniquenessKey, b.Commit.ID)
			}
		}
	}
	return nil
}

// CustomerBalanceID is the id of a customer's i-th customer-level balance.
func CustomerBalanceID(customerID string, i int) string {
	return DeriveID(customerID, "customer_balance", strconv.Itoa(i))
}

// applyCreateCustomerBalance builds the balance (validated above); its id
// is derived from the customer and its position (CustomerBalanceID).
func applyCreateCustomerBalance(_ *shard, t *task, c *Customer, _ *Catalog, now Nanos) {
	cmd := t.cmd.(*CreateCustomerBalance)
	in := &cmd.Balance
	c.Seq++
	id := CustomerBalanceID(c.ID, len(c.Balances))
	ct := in.CreditTypeID
	if ct == "" {
		ct = USDCreditTypeID
	}
	priority, _ := amountPtr(in.Priority, "priority")
	cm := &Commit{
		ID: id, Type: in.Type, ProductID: in.ProductID, Name: in.Name, Description: in.Description,
		Priority: priority, CreditTypeID: ct, ApplicableProductIDs: in.ApplicableProductIDs,
		ApplicableProductTags: in.ApplicableProductTags, CustomFields: in.CustomFields, CreatedAt: now, Seq: c.Seq,
	}
	for j, it := range in.AccessSchedule {
		amount, _ := inputAmount(it.Amount)
		cm.Segments = append(cm.Segments, &Segment{ID: DeriveID(id, "segment", strconv.Itoa(j)), Amount: amount,
			StartingAt: it.StartingAt, EndingBefore: it.EndingBefore})
	}
	sort.SliceStable(cm.Segments, func(a, b int) bool { return cm.Segments[a].StartingAt < cm.Segments[b].StartingAt })
	c.Balances = append(c.Balances, &CustomerBalance{Commit: cm, ApplicableContractIDs: cmd.ApplicableContractIDs, UniquenessKey: cmd.UniquenessKey})
	c.expireBalances(now) // a backdated schedule that already ended
	t.res.ID = id
}

// validateUpdateCustomerBalanceEnd refuses an end that would move usage
// already rated: the new end must be after now and after the last usage
// any contract the balance applies to rated, and no segment whose
// remainder expired may move.
func validateUpdateCustomerBalanceEnd(c *Customer, command Command, _ *Catalog, now Nanos) *Error {
	cmd := command.(*UpdateCustomerBalanceEnd)
	if c == nil {
		return errorf(NotFound, "customer_id: customer %s not found", cmd.CustomerID)
	}
	b := c.CustomerBalanceByID(cmd.BalanceID)
	if b == nil {
		return errorf(NotFound, "id: customer-level commit or credit %s not found", cmd.BalanceID)
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
	cm := c.CustomerBalanceByID(cmd.BalanceID).Commit
	end := cmd.AccessEndingBefore
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
	t.res.ID = cm.ID
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
