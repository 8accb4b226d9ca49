package engine

import (
	"sort"
	"strconv"
	"unicode/utf8"
)

// Customer-level commits and credits (Metronome's
// contracts/customerCommits/create and customerCredits/create): a balance
// that belongs to the customer, not to any contract. Usage rated on any
// contract in force (or only on those of ApplicableContractIDs) draws on
// it, in the one burn-down order together with that contract's own
// balances (candidates); each draw is recorded as a deduction against the
// drawing contract's invoice, so voiding that invoice gives it back and
// regenerating it draws again. A commit's invoice schedule is billed on
// the usage invoices of its invoice contract. POSTPAID is not held.
//
// This file creates them; customer_balance_end.go moves their end dates,
// customer_balance_shared.go is what rating, views, voids, archives and
// the tick do with them.

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

// CustomerBalanceByID returns the customer-level balance with this id, or nil.
func (c *Customer) CustomerBalanceByID(id string) *CustomerBalance {
	for _, b := range c.Balances() {
		if b.Commit.ID == id {
			return b
		}
	}
	return nil
}

func routeCreateCustomerBalance(b *batch, _ int, cmd Command) (*CustomerHandle, *Error) {
	return routeToCustomer(b, cmd.(*CreateCustomerBalance).CustomerID)
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
	case len(c.Balances()) >= MaxCustomerBalances:
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
		for _, b := range c.Balances() {
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
	id := CustomerBalanceID(c.ID, len(c.Balances()))
	cm := &Commit{
		ID: id, Type: in.Type, ProductID: in.ProductID, Name: in.Name,
		CreditTypeID: ct,
		Extra:        newCommitExtra(in.Description, priority, in.ApplicableProductIDs, in.ApplicableProductTags, nil, in.CustomFields),
		CreatedAt:    now, Seq: c.Seq + 1,
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
		cm.Segments = append(cm.Segments, newSegment("", j, amount, it.StartingAt, it.EndingBefore))
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
		cm.SetInvoiceSchedule(items)
	}
	return nil
}

// invoiceContract returns the contract the commit's invoice schedule is
// billed on, refusing one that cannot bill every item now (as billCommit
// would): required with an invoice schedule that bills.
func invoiceContract(c *Customer, cmd *CreateCustomerBalance, cm *Commit, cat *Catalog, now Nanos) (*Contract, *Error) {
	if cmd.InvoiceContractID == "" {
		if cm.invoiced() && len(cm.InvoiceSchedule()) > 0 {
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
	if cm.CreditTypeID != rc.FiatCreditTypeID && len(cm.InvoiceSchedule()) > 0 {
		return nil, errorf(Invalid, "invoice_schedule: a commit in a custom pricing unit cannot be invoiced yet; set do_not_invoice")
	}
	for j, it := range cm.InvoiceSchedule() {
		if !k.InForce(it.Timestamp) {
			return nil, errorf(Invalid, "invoice_schedule.schedule_items[%d].timestamp: %s is outside the term of contract %s", j, fmtTime(it.Timestamp), k.ID)
		}
		if k.chargeInvoiceClosed(it.Timestamp, rc.FiatCreditTypeID, false, now) {
			what := "statement period"
			if k.SeparateScheduledInvoices {
				what = "SCHEDULED invoice"
			}
			return nil, errorf(Invalid, "invoice_schedule.schedule_items[%d].timestamp: the %s of contract %s holding %s is finalized", j, what, k.ID, fmtTime(it.Timestamp))
		}
	}
	return k, nil
}

// CustomerBalanceID is the id of a customer's i-th customer-level balance.
func CustomerBalanceID(customerID string, i int) string {
	return DeriveID(customerID, "customer_balance", strconv.Itoa(i))
}

// applyCreateCustomerBalance builds the balance (validated above), bills
// its invoice schedule on its invoice contract's invoices (its SCHEDULED
// ones, or the usage invoices of a contract that consolidates); its id is
// derived from the customer and its position (CustomerBalanceID).
func applyCreateCustomerBalance(_ *shard, t *task, c *Customer, cat *Catalog, now Nanos) {
	cmd := t.cmd.(*CreateCustomerBalance)
	cm, k, _ := buildCustomerBalance(c, cmd, cat, now)
	c.Seq++
	if k != nil {
		k.billCommit(cm, cat.RateCards[k.RateCardID], "", false, now) // checked by invoiceContract
	}
	b := &CustomerBalance{Commit: cm, ApplicableContractIDs: cmd.ApplicableContractIDs,
		UniquenessKey: cmd.UniquenessKey, InvoiceContractID: cmd.InvoiceContractID}
	c.EditExtra(func(x *CustomerExtra) { x.Balances = append(x.Balances, b) })
	c.expireBalances(now) // a backdated schedule that already ended
	t.res.ID = cm.ID
}
