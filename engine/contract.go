package engine

import (
	"fmt"
	"sort"
	"strconv"

	"burndown/money"
)

func applyCreateCustomer(s *shard, t *task, _ *Customer, _ *Catalog, now Nanos) {
	s.createCustomer(t.h, t.cmd.(*CreateCustomer), now)
}

func applyCreateContract(s *shard, t *task, c *Customer, cat *Catalog, now Nanos) {
	s.createContract(t, c, cat, now)
}

func (s *shard) createCustomer(h *CustomerHandle, cmd *CreateCustomer, now Nanos) {
	c := &Customer{ID: h.ID, Name: cmd.Name, IngestAliases: cmd.IngestAliases, CreatedAt: now}
	if cmd.CustomFields != nil || cmd.BillingProviders != nil {
		c.EditExtra(func(x *CustomerExtra) { x.CustomFields, x.BillingProviders = cmd.CustomFields, cmd.BillingProviders })
	}
	c.handle = h
	s.adopt(c)
}

// createContract validates a contract against the catalog and the customer's
// state (c, admitted by the gate), then adds it with its commits and
// credits.
func (s *shard) createContract(t *task, c *Customer, cat *Catalog, now Nanos) {
	cmd := t.cmd.(*CreateContract)
	if c == nil {
		t.res.Err = errorf(NotFound, "customer_id: customer %s not found", cmd.CustomerID)
		return
	}
	rc, rerr := cat.contractRateCard(cmd)
	if rerr != nil {
		t.res.Err = rerr
		return
	}
	if cmd.EndingBefore != 0 && cmd.EndingBefore <= cmd.StartingAt {
		t.res.Err = errorf(Invalid, "ending_before: must be after starting_at")
		return
	}
	if cmd.UniquenessKey != "" {
		for _, k := range c.UniquenessKeys() {
			if k == cmd.UniquenessKey {
				t.res.Err = errorf(Conflict, "uniqueness_key: This uniqueness key has already been used.")
				return
			}
		}
	}
	switch cmd.MultiplierOverridePrioritization {
	case PrioritizationLegacy, PrioritizationLowestMultiplier, PrioritizationExplicit:
	default:
		t.res.Err = errorf(Invalid, "multiplier_override_prioritization: must be LOWEST_MULTIPLIER or EXPLICIT")
		return
	}
	for _, other := range c.Contracts {
		if cmd.FoundationRules || !cmd.OverlapsRefused {
			break
		}
		if !other.Archived && overlaps(cmd.StartingAt, cmd.EndingBefore, other.StartingAt, other.EndingBefore) {
			t.res.Err = errorf(Invalid, "starting_at: overlaps contract %s (%s); end it first (update its end date) so that one contract is in force at a time",
				other.ID, termString(other.StartingAt, other.EndingBefore))
			return
		}
	}
	filter, ferr := newUsageFilter(cmd.UsageFilter, cmd.StartingAt)
	if ferr != nil {
		t.res.Err = ferr
		return
	}
	freq, day, anchor, serr := statementAnchor(cmd.UsageStatementSchedule, cmd.StartingAt)
	if serr != nil {
		t.res.Err = serr
		return
	}
	grace := s.eng.cfg.InvoiceGracePeriod.Nanoseconds()
	if cmd.InvoiceGracePeriod != nil {
		grace = *cmd.InvoiceGracePeriod
	}
	if grace < 0 {
		t.res.Err = errorf(Invalid, "invoice_grace_period: must not be negative")
		return
	}
	bp, berr := billingProvider(c, cmd.BillingProviderConfiguration)
	if berr != nil {
		t.res.Err = berr
		return
	}
	for i, o := range cmd.Overrides {
		if o.ProductID != "" && cat.Products[o.ProductID] == nil {
			t.res.Err = errorf(NotFound, "overrides[%d].product_id: product %s not found", i, o.ProductID)
			return
		}
		if cmd.MultiplierOverridePrioritization == PrioritizationExplicit && o.Type == "MULTIPLIER" && o.Priority == nil {
			t.res.Err = errorf(Invalid, "overrides[%d].priority: is required for a MULTIPLIER under EXPLICIT prioritization", i)
			return
		}
	}
	id := cmd.ID
	if id == "" {
		id = s.ids.derive("contract", c.ID, strconv.Itoa(len(c.Contracts)), strconv.FormatInt(now, 10))
	}
	k := &Contract{
		ID: id, Name: cmd.Name, RateCardID: rc.ID, StartingAt: cmd.StartingAt,
		EndingBefore: cmd.EndingBefore, UniquenessKey: cmd.UniquenessKey, PrepaidOnly: cmd.PrepaidOnly,
		CustomFields: cmd.CustomFields, CreatedAt: now, Terms: ContractTermsOf(cmd.MultiplierOverridePrioritization, freq, day),
		StatementAnchor: anchor, InvoiceGracePeriod: grace,
		FoundationRules:           cmd.FoundationRules,
		SeparateScheduledInvoices: cmd.SeparateScheduledInvoices,
		Concurrent:                !cmd.OverlapsRefused && !cmd.FoundationRules,
	}
	if bp != nil || filter != nil {
		k.EditExtra(func(x *ContractExtra) { x.BillingProvider, x.UsageFilter = bp, filter })
	}
	for i := range cmd.Overrides {
		o, err := newOverride(&cmd.Overrides[i], i)
		if err != nil {
			t.res.Err = err
			return
		}
		if o.ID == "" {
			o.ID = DeriveID(id, "override", strconv.Itoa(i))
		}
		k.Overrides = append(k.Overrides, o)
	}
	add := func(field string, list []CommitInput, defaultType string) *Error {
		for i := range list {
			f := field + "[" + strconv.Itoa(i) + "]"
			cm, err := s.newCommit(c, cat, rc, id, field, i, &list[i], defaultType, cmd.LegacyCommits, now)
			if g := list[i].PaymentGate; err == nil && cmd.StripeGatesRefused && g != nil && g.Type == GateStripe {
				// Written by a build that refused it (create_contract
				// versions 1 to 3), with this error: it still does.
				err = errorf(Invalid, "%s.payment_gate_config.payment_gate_type: STRIPE is not supported on contracts/create yet (add the commit through /v2/contracts/edit)", f)
			}
			if err == nil {
				// A gated purchase (payments.go) is paid through its gate,
				// not billed; it is pending until released, as from an edit
				// (the end of the run announces its workflow: an EXTERNAL
				// initiate webhook or a STRIPE charge).
				err = prepareGate(c, cm, &list[i], f, now)
			}
			if err == nil {
				err = k.billCommit(cm, rc, f, true, now)
			}
			if err != nil {
				return err
			}
			if cm.GateStatus() == GatePending {
				k.gate(cm, WorkflowManualCommit, list[i].PaymentGate.Stripe, now)
				continue
			}
			k.Balances = append(k.Balances, cm)
		}
		return nil
	}
	// Sized once (not grown 1, 2, 4): a contract keeps its balances.
	if n := len(cmd.Commits) + len(cmd.Credits); n > 0 {
		k.Balances = make([]*Commit, 0, n)
	}
	if err := add("commits", cmd.Commits, CommitPrepaid); err != nil {
		t.res.Err = err
		return
	}
	if err := add("credits", cmd.Credits, CommitCredit); err != nil {
		t.res.Err = err
		return
	}
	if len(k.Balances) == 0 {
		k.Balances = nil // all gated: none, as before
	}
	for i := range cmd.ScheduledCharges {
		field := "scheduled_charges[" + strconv.Itoa(i) + "]"
		ch, err := newScheduledCharge(cat, rc, k, field, DeriveID(id, "scheduled_charge", strconv.Itoa(i)), &cmd.ScheduledCharges[i], now)
		if err == nil {
			err = k.billCharge(ch, rc, field, true, now)
		}
		if err != nil {
			t.res.Err = err
			return
		}
		k.EditExtra(func(x *ContractExtra) { x.ScheduledCharges = append(x.ScheduledCharges, ch) })
	}
	if err := s.addSeats(c, cat, rc, k, cmd.Subscriptions, "subscriptions", cmd.RecurringCredits, cmd.RecurringCommits, now); err != nil {
		t.res.Err = err
		return
	}
	if err := k.createThresholdConfigs(cat, c, cmd); err != nil {
		t.res.Err = err
		return
	}
	// A backdated contract's postpaid terms that already ended are trued up
	// before its past statements finalize.
	k.trueUpEnded(rc, now)
	k.finalizeDue(now)
	c.Contracts = append(c.Contracts, k)
	if cmd.UniquenessKey != "" {
		c.EditExtra(func(x *CustomerExtra) { x.UniquenessKeys = append(x.UniquenessKeys, cmd.UniquenessKey) })
	}
	t.res.ID = id
}

// newCommit validates and builds a commit or credit; it does not attach it.
// legacy makes it with LegacyRules (a command from before postpaid commits
// were drawn and purchases invoiced), validated as those builds did.
func (s *shard) newCommit(c *Customer, cat *Catalog, rc *RateCard, contractID, field string, i int, in *CommitInput, defaultType string, legacy bool, now Nanos) (*Commit, *Error) {
	typ := in.Type
	if defaultType == CommitCredit {
		typ = CommitCredit
	} else if typ == "" {
		typ = defaultType
	}
	if typ != CommitPrepaid && typ != CommitPostpaid && typ != CommitCredit {
		return nil, errorf(Invalid, "%s[%d].type: must be PREPAID or POSTPAID", field, i)
	}
	if cat.Products[in.ProductID] == nil {
		return nil, errorf(NotFound, "%s[%d].product_id: product %s not found", field, i, in.ProductID)
	}
	for j, pid := range in.ApplicableProductIDs {
		if cat.Products[pid] == nil {
			return nil, errorf(NotFound, "%s[%d].applicable_product_ids[%d]: product %s not found", field, i, j, pid)
		}
	}
	ct := in.CreditTypeID
	if ct == "" {
		ct = rc.FiatCreditTypeID
	}
	if cat.CreditTypes[ct] == nil {
		return nil, errorf(NotFound, "%s[%d].access_schedule.credit_type_id: credit type %s not found", field, i, ct)
	}
	if len(in.AccessSchedule) == 0 {
		return nil, errorf(Invalid, "%s[%d].access_schedule.schedule_items: at least one item is required", field, i)
	}
	c.Seq++
	id := in.ID
	if id == "" {
		id = s.ids.derive(contractID, field, strconv.Itoa(i))
	}
	priority, err := amountPtr(in.Priority, "%s[%d].priority", field, i)
	if err != nil {
		return nil, err
	}
	cm := &Commit{
		ID: id, Type: commitType(typ), ProductID: cat.productID(in.ProductID), Name: in.Name,
		CreditTypeID: cat.creditTypeID(ct),
		Extra:        newCommitExtra(in.Description, priority, in.ApplicableProductIDs, in.ApplicableProductTags, in.InvoiceSchedule, in.CustomFields),
		CreatedAt:    now, Seq: c.Seq, LegacyRules: legacy, DoNotInvoice: in.DoNotInvoice,
	}
	for j, it := range in.AccessSchedule {
		amount, aerr := inputAmount(it.Amount)
		if aerr != nil {
			return nil, errorf(Invalid, "%s[%d].access_schedule.schedule_items[%d].amount: %v", field, i, j, aerr)
		}
		if amount.IsNegative() {
			return nil, errorf(Invalid, "%s[%d].access_schedule.schedule_items[%d].amount: must not be negative", field, i, j)
		}
		if it.EndingBefore <= it.StartingAt {
			return nil, errorf(Invalid, "%s[%d].access_schedule.schedule_items[%d].ending_before: must be after starting_at%s", field, i, j, swappedHint(it.StartingAt, it.EndingBefore))
		}
		cm.Segments = append(cm.Segments, newSegment(it.ID, j, amount, it.StartingAt, it.EndingBefore))
	}
	sort.SliceStable(cm.Segments, func(a, b int) bool { return cm.Segments[a].StartingAt < cm.Segments[b].StartingAt })
	if !legacy && len(in.InvoiceSchedule) > 0 {
		// The commit's items get billed: keep the command's own slice as it was.
		cm.SetInvoiceSchedule(append([]InvoiceItem(nil), in.InvoiceSchedule...))
	}
	for j, it := range cm.InvoiceSchedule() {
		if it.ID == "" {
			cm.InvoiceSchedule()[j].ID = DeriveID(id, "invoice_item", strconv.Itoa(j))
		}
	}
	if !legacy {
		if err := checkNewCommit(cm, in, rc, field, i); err != nil {
			return nil, err
		}
	}
	return cm, nil
}

// newOverride converts the i-th override of a command to the contract's
// form, refusing an amount out of bounds with the field named.
func newOverride(in *OverrideInput, i int) (Override, *Error) {
	o := Override{
		ID: in.ID, StartingAt: in.StartingAt, EndingBefore: in.EndingBefore, ProductID: in.ProductID,
		ApplicableProductTags: in.ApplicableProductTags, Entitled: in.Entitled, Type: in.Type,
	}
	var err *Error
	if o.Multiplier, err = amountPtr(in.Multiplier, "overrides[%d].multiplier", i); err != nil {
		return o, err
	}
	if o.OverwritePrice, err = amountPtr(in.OverwritePrice, "overrides[%d].overwrite_rate.price", i); err != nil {
		return o, err
	}
	if o.Priority, err = amountPtr(in.Priority, "overrides[%d].priority", i); err != nil {
		return o, err
	}
	if o.Priority != nil && !o.Priority.IsPositive() {
		return o, errorf(Invalid, "overrides[%d].priority: must be greater than zero", i)
	}
	if in.OverwriteTiers != nil {
		if o.OverwriteTiers, err = tiersFromDecimals(in.OverwriteTiers, fmt.Sprintf("overrides[%d].overwrite_rate.tiers", i)); err != nil {
			return o, err
		}
	}
	return o, nil
}

// amountPtr converts an optional decimal of a command; a value out of
// bounds is an Invalid error naming the field (format and args).
func amountPtr(d *money.Amount, format string, args ...any) (*money.Amount, *Error) {
	if d == nil {
		return nil, nil
	}
	a, err := inputAmount(*d)
	if err != nil {
		return nil, errorf(Invalid, format+": %v", append(args, err)...)
	}
	return &a, nil
}

// overlaps reports whether [s1, e1) and [s2, e2) meet (an end of 0 is open).
func overlaps(s1, e1, s2, e2 Nanos) bool {
	return (e2 == 0 || s1 < e2) && (e1 == 0 || s2 < e1)
}

// termString renders a contract's term for messages.
func termString(start, end Nanos) string {
	if end == 0 {
		return fmtTime(start) + " onwards"
	}
	return fmtTime(start) + " to " + fmtTime(end)
}

// contractAt returns the customer's primary contract in force at t: the
// most recently started one when several overlap (those of the foundation,
// or concurrent ones: multicontract.go). Readers that need one contract
// (usage reads' current period) use it; rating, entitlements and alerts
// read every contract in force (contractsAt).
func (c *Customer) contractAt(t Nanos) *Contract {
	var found *Contract
	for _, k := range c.Contracts {
		if k.InForce(t) && (found == nil || k.StartingAt >= found.StartingAt) {
			found = k
		}
	}
	return found
}

// ContractAt is contractAt for readers.
func (c *Customer) ContractAt(t Nanos) *Contract { return c.contractAt(t) }

// Contract returns the customer's contract with this id, or nil.
func (c *Customer) Contract(id string) *Contract {
	for _, k := range c.Contracts {
		if k.ID == id {
			return k
		}
	}
	return nil
}

// swappedHint says what to send when a range ends before it starts (the
// two dates look swapped); "" when it is empty rather than reversed.
func swappedHint(start, end Nanos) string {
	if end >= start {
		return ""
	}
	return fmt.Sprintf(" (%s is before %s: were they swapped? send starting_at %s and ending_before %s)",
		fmtTime(end), fmtTime(start), fmtTime(end), fmtTime(start))
}
