package engine

// ContractExtra holds a contract's rarely set fields, behind
// Contract.Extra. None of them existed when snapshot format 1 (msgpack of
// these structs by reflection) was written, so no format 1 stream holds
// them at the contract's top level.
type ContractExtra struct {
	// Fields since customer layout 3.

	// ScheduledCharges in creation order (archived ones kept, marked).
	ScheduledCharges []*ScheduledCharge `msgpack:"ScheduledCharges"`

	// Fields since customer layout 6 (subscriptions.go, recurring.go).

	// Subscriptions in creation order.
	Subscriptions []*Subscription `msgpack:"Subscriptions"`
	// Recurring credits and commits in creation order; each grants into
	// its own commit or credit in Balances.
	Recurring []*RecurringBalance `msgpack:"Recurring"`

	// Fields since customer layout 8 (payments.go, recharge.go,
	// threshold.go, with Contract.Recharge and Contract.SpendThreshold);
	// older records have none.

	// Workflows are the payment workflows of the contract, in creation order.
	Workflows []*PaymentWorkflow `msgpack:"Workflows"`
	// Gated holds the payment-gated commits not in any balance: pending
	// ones and those voided by a failed payment (a paid one moves to
	// Balances).
	Gated []*Commit `msgpack:"Gated"`

	// Fields since customer layout 9 (stripe_invoice.go); older records
	// have none.

	// BillingProvider is the contract's billing_provider_configuration
	// (create_contract version 4): stripe / direct_to_billing_provider
	// sends its finalized usage invoices to Stripe (SendsToStripe). nil
	// for every contract created without it, whose invoices are never
	// sent.
	BillingProvider *ContractBillingProvider `msgpack:"BillingProvider"`

	// UsageFilter is the contract's usage_filter: it rates only the events
	// whose property GroupKey holds one of GroupValues (nil: every event).
	// Since customer layout 13.
	UsageFilter *UsageFilter `msgpack:"UsageFilter"`

	// Fields that were the contract's own until it moved them here to fit a
	// smaller size class (Contract 256 -> 208 bytes); the customer layout
	// writes them where it always did. Format 1 streams predate them.

	// Recharge is the prepaid_balance_threshold_configuration (auto-recharge;
	// since customer layout 8, as the payment fields above).
	Recharge *RechargeConfig `msgpack:"Recharge"`
	// SpendThreshold is the spend_threshold_configuration (threshold billing).
	SpendThreshold *SpendThresholdConfig `msgpack:"SpendThreshold"`
	// ArchivedAt is when contracts/archive or the customer's archive
	// archived the contract (since customer layout 10; 0: not archived).
	ArchivedAt Nanos `msgpack:"ArchivedAt"`
	// finalized are the invoices finalized during the current shard run,
	// announced (and sent to Stripe) at its end (stripe_invoice.go); never
	// stored.
	finalized []*Invoice
}

// empty reports whether x holds nothing, so the contract can drop it.
func (x *ContractExtra) empty() bool {
	return x.ScheduledCharges == nil && x.Subscriptions == nil && x.Recurring == nil && x.Workflows == nil &&
		x.Gated == nil && x.BillingProvider == nil && x.UsageFilter == nil &&
		x.Recharge == nil && x.SpendThreshold == nil && x.ArchivedAt == 0 && x.finalized == nil
}

// Recharge is the contract's prepaid balance threshold configuration (nil:
// none). The configuration is changed in place (Contract.clone copies it).
func (k *Contract) Recharge() *RechargeConfig {
	if k.Extra == nil {
		return nil
	}
	return k.Extra.Recharge
}

// SpendThreshold is the contract's spend threshold configuration (nil:
// none), changed in place like Recharge.
func (k *Contract) SpendThreshold() *SpendThresholdConfig {
	if k.Extra == nil {
		return nil
	}
	return k.Extra.SpendThreshold
}

// ArchivedAt is when the contract was archived (0: it is not).
func (k *Contract) ArchivedAt() Nanos {
	if k.Extra == nil {
		return 0
	}
	return k.Extra.ArchivedAt
}

// finalizedInRun are the invoices finalized during the current shard run.
func (k *Contract) finalizedInRun() []*Invoice {
	if k.Extra == nil {
		return nil
	}
	return k.Extra.finalized
}

// noteFinalized adds inv to the invoices the end of the run announces.
func (k *Contract) noteFinalized(inv *Invoice) {
	k.EditExtra(func(x *ContractExtra) { x.finalized = append(x.finalized, inv) })
}

// EditExtra changes the contract's rare fields in place (allocating them
// on first use, dropping them when f leaves them empty). Snapshots encode
// a customer before its shard changes it, and Contract.clone copies the
// struct, so changing it in place is what changing the fields was.
func (k *Contract) EditExtra(f func(x *ContractExtra)) {
	if k.Extra == nil {
		k.Extra = &ContractExtra{}
	}
	f(k.Extra)
	if k.Extra.empty() {
		k.Extra = nil
	}
}

// ScheduledCharges are the contract's scheduled charges, in creation order.
func (k *Contract) ScheduledCharges() []*ScheduledCharge {
	if k.Extra == nil {
		return nil
	}
	return k.Extra.ScheduledCharges
}

// Subscriptions are the contract's subscriptions, in creation order.
func (k *Contract) Subscriptions() []*Subscription {
	if k.Extra == nil {
		return nil
	}
	return k.Extra.Subscriptions
}

// Recurring are the contract's recurring credits and commits.
func (k *Contract) Recurring() []*RecurringBalance {
	if k.Extra == nil {
		return nil
	}
	return k.Extra.Recurring
}

// Workflows are the contract's payment workflows, in creation order.
func (k *Contract) Workflows() []*PaymentWorkflow {
	if k.Extra == nil {
		return nil
	}
	return k.Extra.Workflows
}

// Gated are the contract's payment-gated commits not in any balance.
func (k *Contract) Gated() []*Commit {
	if k.Extra == nil {
		return nil
	}
	return k.Extra.Gated
}

// BillingProvider is the contract's billing provider (nil: none).
func (k *Contract) BillingProvider() *ContractBillingProvider {
	if k.Extra == nil {
		return nil
	}
	return k.Extra.BillingProvider
}

// UsageFilter is the contract's usage filter (nil: every event).
func (k *Contract) UsageFilter() *UsageFilter {
	if k.Extra == nil {
		return nil
	}
	return k.Extra.UsageFilter
}
