package engine

// CustomerExtra holds a customer's rarely set fields, behind
// Customer.Extra.
type CustomerExtra struct {
	CustomFields     map[string]string       `msgpack:"CustomFields"`
	BillingProviders []BillingProviderConfig `msgpack:"BillingProviders"`
	// UniquenessKeys used by this customer's contracts.
	UniquenessKeys []string `msgpack:"UniquenessKeys"`
	// Rejects counts events kept as counted rejects, by reason.
	Rejects map[RejectReason]int64 `msgpack:"Rejects"`
	// Balances are the customer-level commits and credits, in creation
	// order (since customer layout 14; customer_balance.go). Few customers
	// have any; the field was the customer's own until it moved here
	// (Customer 192 -> 168 bytes).
	Balances []*CustomerBalance `msgpack:"Balances"`
}

// empty reports whether x holds nothing, so the customer can drop it.
func (x *CustomerExtra) empty() bool {
	return x.CustomFields == nil && x.BillingProviders == nil && x.UniquenessKeys == nil && x.Rejects == nil && x.Balances == nil
}

// Balances are the customer-level commits and credits, in creation order.
func (c *Customer) Balances() []*CustomerBalance {
	if c.Extra == nil {
		return nil
	}
	return c.Extra.Balances
}

// EditExtra changes the customer's rare fields in place (allocating them
// on first use, dropping them when f leaves them empty). Snapshots encode
// a customer before its shard changes it, and read copies are deep, so
// changing them in place is what changing the fields was.
func (c *Customer) EditExtra(f func(x *CustomerExtra)) {
	if c.Extra == nil {
		c.Extra = &CustomerExtra{}
	}
	f(c.Extra)
	if c.Extra.empty() {
		c.Extra = nil
	}
}

// CustomFields are the customer's custom fields (nil: none).
func (c *Customer) CustomFields() map[string]string {
	if c.Extra == nil {
		return nil
	}
	return c.Extra.CustomFields
}

// BillingProviders are the customer's billing provider configurations.
func (c *Customer) BillingProviders() []BillingProviderConfig {
	if c.Extra == nil {
		return nil
	}
	return c.Extra.BillingProviders
}

// UniquenessKeys are the uniqueness keys the customer's contracts used.
func (c *Customer) UniquenessKeys() []string {
	if c.Extra == nil {
		return nil
	}
	return c.Extra.UniquenessKeys
}

// Rejects counts the customer's events kept as counted rejects, by reason.
func (c *Customer) Rejects() map[RejectReason]int64 {
	if c.Extra == nil {
		return nil
	}
	return c.Extra.Rejects
}
