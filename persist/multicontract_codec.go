package persist

import (
	"fmt"

	"burndown/engine"
)

// layoutConcurrent is the customer layout that adds which contracts may be
// in force with others and their usage filters (engine.Contract.Concurrent
// and UsageFilter; customer layout 13).
const layoutConcurrent byte = 13

// concurrentContracts appends, after the separate SCHEDULED invoices, how
// many of the customer's contracts are concurrent or filter usage, then
// for each its position in contract order, whether it is concurrent, and
// its usage filter (a presence byte, then the group key and values): one
// zero byte for a customer without any, which every contract created
// before several could be in force is.
func (w *binWriter) concurrentContracts(c *engine.Customer) {
	n := 0
	for _, k := range c.Contracts {
		if k.Concurrent || k.UsageFilter() != nil {
			n++
		}
	}
	w.uvarint(uint64(n))
	for i, k := range c.Contracts {
		if !k.Concurrent && k.UsageFilter() == nil {
			continue
		}
		w.uvarint(uint64(i))
		w.boolean(k.Concurrent)
		w.boolean(k.UsageFilter() != nil)
		if f := k.UsageFilter(); f != nil {
			w.str(f.GroupKey)
			w.strs(f.GroupValues)
		}
	}
}

// concurrentContracts reads what binWriter.concurrentContracts wrote; a
// position outside the customer, or one not after the last, fails the
// record.
func (r *binReader) concurrentContracts(c *engine.Customer) {
	n := r.count(r.uvarint())
	next := uint64(0)
	for ; n > 0 && r.err == nil; n-- {
		i := r.uvarint()
		if i < next || i >= uint64(len(c.Contracts)) {
			r.fail(fmt.Errorf("concurrency of contract %d, which the record does not hold in order", i))
			return
		}
		k := c.Contracts[i]
		k.Concurrent = r.boolean()
		if r.boolean() {
			k.EditExtra(func(x *engine.ContractExtra) {
				x.UsageFilter = &engine.UsageFilter{GroupKey: r.str(), GroupValues: r.strs()}
			})
		}
		next = i + 1
	}
}

// createRegistrations registers create_contract versions 4 (the last
// with decimal amounts) and 5 (the first with compact amounts), written by
// builds that refused a contract overlapping another of its customer:
// their upgrades keep refusing them (engine.CreateContract.OverlapsRefused),
// since whether such a command was refused depended on the state. Version
// 6 allows them and carries the usage_filter; its body is version 5's with
// that field, omitted when empty. A create that refuses overlaps is written
// at version 5 (so an old entry decoded and encoded again keeps its
// version and bytes); every other create at version 6, written only once
// the upgrade is finalized (every node on this release): while the
// cluster's format is decimal, every create is written at version 3 or 4,
// so nodes of every release refuse overlaps alike, and a create with a
// usage_filter is not proposed (CommandNeedsFormat).
func createRegistrations() []Registration {
	upgrade := func(cmd engine.Command) (engine.Command, error) {
		c := cmd.(*engine.CreateContract)
		c.OverlapsRefused = !c.FoundationRules // the foundation's overlaps stay allowed
		return c, nil
	}
	return []Registration{{
		Kind: engine.KindCreateContract, Version: 4,
		New:     func() engine.Command { return &engine.CreateContract{} },
		Upgrade: upgrade, WriteAs: createAsVersion4,
	}, {
		Kind: engine.KindCreateContract, Version: 5,
		New:     func() engine.Command { return &engine.CreateContract{} },
		Upgrade: upgrade, WriteAs: createAsVersion5,
	}}
}

// createAsVersion4 writes a create_contract at version 4 (in the decimal
// format only: it has decimal amounts) unless it has a usage_filter, which
// version 4 cannot carry; without OverlapsRefused, which its upgrade sets.
func createAsVersion4(cmd engine.Command) (engine.Command, bool) {
	c := cmd.(*engine.CreateContract)
	if c.UsageFilter != nil {
		return nil, false
	}
	v4 := *c
	v4.OverlapsRefused = false
	return &v4, true
}

// createAsVersion5 writes at version 5 a create_contract that refuses
// overlaps, as version 5's upgrade makes it (or that keeps the
// foundation's rules, which the upgrade leaves alone), without a
// usage_filter; without OverlapsRefused.
func createAsVersion5(cmd engine.Command) (engine.Command, bool) {
	c := cmd.(*engine.CreateContract)
	if c.UsageFilter != nil || (!c.OverlapsRefused && !c.FoundationRules) {
		return nil, false
	}
	v5 := *c
	v5.OverlapsRefused = false
	return &v5, true
}
