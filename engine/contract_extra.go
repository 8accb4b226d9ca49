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
}

// empty reports whether x holds nothing, so the contract can drop it.
func (x *ContractExtra) empty() bool {
	return x.ScheduledCharges == nil && x.Subscriptions == nil && x.Recurring == nil && x.Workflows == nil &&
		x.Gated == nil && x.BillingProvider == nil && x.UsageFilter == nil
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
