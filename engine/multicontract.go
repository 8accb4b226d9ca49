package engine

import (
	"slices"

	"burndown/money"
)

// Several contracts per customer, as Metronome allows. A contract created
// by create_contract version 6 is Concurrent: it may overlap any other
// contract of its customer, and rates the usage its usage_filter selects
// (every event without one). Contracts created by older commands keep
// their rule: among them one at a time is in force (the most recently
// started, as contractAt always chose), so an old log replays to the state
// it reached. The contracts in force at t are that one plus every
// concurrent contract in force, in contract order.

// Bounds of a usage filter (asserted here and at the API edge).
const (
	// MaxUsageFilterValues bounds a usage filter's group_values.
	MaxUsageFilterValues = 1000
	// MaxUsageFilterLen bounds its group_key and each group value.
	MaxUsageFilterLen = 4096
)

// UsageFilterInput is create_contract's usage_filter (Metronome's
// BaseUsageFilter): the events whose property GroupKey is one of
// GroupValues. StartingAt, when set, must be the contract's starting_at:
// filters that change over a contract's term are not supported.
type UsageFilterInput struct {
	GroupKey    string   `msgpack:"GroupKey"`
	GroupValues []string `msgpack:"GroupValues"`
	StartingAt  Nanos    `msgpack:"StartingAt,omitempty"`
}

// UsageFilter is a contract's usage filter: the events whose property
// GroupKey is one of GroupValues.
type UsageFilter struct {
	GroupKey    string   `msgpack:"GroupKey"`
	GroupValues []string `msgpack:"GroupValues"`
}

// newUsageFilter validates a command's usage filter for a contract starting
// at start; nil for none.
func newUsageFilter(in *UsageFilterInput, start Nanos) (*UsageFilter, *Error) {
	if in == nil {
		return nil, nil
	}
	switch {
	case in.GroupKey == "":
		return nil, errorf(Invalid, "usage_filter.group_key: is required")
	case len(in.GroupKey) > MaxUsageFilterLen:
		return nil, errorf(Invalid, "usage_filter.group_key: longer than %d bytes", MaxUsageFilterLen)
	case len(in.GroupValues) == 0:
		return nil, errorf(Invalid, "usage_filter.group_values: at least one value is required")
	case len(in.GroupValues) > MaxUsageFilterValues:
		return nil, errorf(Invalid, "usage_filter.group_values: more than %d values", MaxUsageFilterValues)
	case in.StartingAt != 0 && in.StartingAt != start:
		return nil, errorf(Invalid, "usage_filter.starting_at: a filter starting after the contract's starting_at is not supported by this server yet; omit it or send the contract's starting_at (%s)", fmtTime(start))
	}
	for i, v := range in.GroupValues {
		if len(v) > MaxUsageFilterLen {
			return nil, errorf(Invalid, "usage_filter.group_values[%d]: longer than %d bytes", i, MaxUsageFilterLen)
		}
	}
	return &UsageFilter{GroupKey: in.GroupKey, GroupValues: slices.Clone(in.GroupValues)}, nil
}

// selects reports whether the contract rates the event: it has no usage
// filter, or the event's property holds one of its values.
func (k *Contract) selects(ev *Event) bool {
	f := k.UsageFilter()
	if f == nil {
		return true
	}
	v, ok := ev.Properties[f.GroupKey]
	return ok && slices.Contains(f.GroupValues, v)
}

// contractsAt appends to dst the customer's contracts in force at t, in
// contract order: the primary one among those created before contracts
// could overlap (contractAt's rule), and every concurrent one.
func (c *Customer) contractsAt(t Nanos, dst []*Contract) []*Contract {
	legacy := c.legacyAt(t)
	for _, k := range c.Contracts {
		if k == legacy || (k.Concurrent && k.InForce(t)) {
			dst = append(dst, k)
		}
	}
	return dst
}

// ContractsAt is contractsAt for readers.
func (c *Customer) ContractsAt(t Nanos) []*Contract { return c.contractsAt(t, nil) }

// ratesAt reports whether k is one of the contracts in force at t.
func (c *Customer) ratesAt(k *Contract, t Nanos) bool {
	if k.Concurrent {
		return k.InForce(t)
	}
	return c.legacyAt(t) == k
}

// legacyAt is the primary contract in force at t among those that are not
// concurrent: the most recently started, the last created among equals.
func (c *Customer) legacyAt(t Nanos) *Contract {
	var legacy *Contract
	for _, k := range c.Contracts {
		if !k.Concurrent && k.InForce(t) && (legacy == nil || k.StartingAt >= legacy.StartingAt) {
			legacy = k
		}
	}
	return legacy
}

// samePeriod reports whether inv, an invoice of the concurrent contract k,
// is of the period a scoped spend alert counts (another contract's invoice
// starting at the same time): the spend of every contract in force adds
// up. Contracts created before contracts could overlap count one invoice,
// as before.
func (a *Alert) samePeriod(k *Contract, inv *Invoice) bool {
	return k.Concurrent && a.GroupInvoiceID() != "" && a.GroupInvoiceStart() == inv.Start
}

// groupSpend is a scoped spend alert's input now: the spend it counted
// for the period in force of one of the contracts in force.
func (a *Alert) groupSpend(ks []*Contract, now Nanos) money.Amount {
	for _, k := range ks {
		if inv := k.findInvoice(now); inv != nil && (inv.ID == a.GroupInvoiceID() || a.samePeriod(k, inv)) {
			return a.GroupSpend()
		}
	}
	return money.Amount{}
}

// periodsEnd is the first end of the periods in force at now of the
// contracts ks (0: none).
func periodsEnd(ks []*Contract, now Nanos) Nanos {
	var due Nanos
	for _, k := range ks {
		end := Nanos(0)
		if inv := k.findInvoice(now); inv != nil {
			end = inv.End
		} else {
			_, end = k.periodBounds(now)
		}
		if due == 0 || (end != 0 && end < due) {
			due = end
		}
	}
	return due
}
