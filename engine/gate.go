package engine

// change says what a mutation of a customer may affect besides its balances
// and invoices, so the gate knows whether its schedule must be recomputed.
type change uint8

const (
	// usageChange is rating: it moves balances and invoices but adds no
	// transition (a new draft invoice asks for a reschedule itself).
	usageChange change = iota
	// termsChange adds or removes transitions (contracts, commits, segment
	// expirations, rate changes): the customer's next due time is recomputed
	// at the end of the run.
	termsChange
	// newCustomer: the command creates its customer; the gate hands it
	// nothing, and adopt registers what it creates.
	newCustomer
)

// mutable is the one gate through which a shard obtains a customer it is
// about to change. It preserves the customer's copy-on-write snapshot image
// first, marks it dirty (its entitlement view is rebuilt at the end of the
// run) and, for a change of terms, asks for its schedule to be recomputed.
// Nothing else in the engine may write to a customer, so none of those steps
// can be forgotten. It returns nil for a customer this shard does not hold.
func (s *shard) mutable(id string, what change) *Customer {
	return s.admit(s.customers[id], what)
}

// mutableHandle is mutable for a task's handle: the same gate, found
// through the handle's pointer instead of the shard's map (rating reaches
// its customer this way once per event).
func (s *shard) mutableHandle(h *CustomerHandle, what change) *Customer {
	return s.admit(s.held(h), what)
}

// held is the customer the shard holds for a handle, or nil: adopt and
// load, the only ways into s.customers, set h.customer.
func (s *shard) held(h *CustomerHandle) *Customer { return h.customer }

// admit is the gate's work on a customer the shard holds (nil: none).
func (s *shard) admit(c *Customer, what change) *Customer {
	if c == nil {
		return nil
	}
	s.preserve(c)
	s.dirty[c] = struct{}{}
	if what == termsChange {
		c.reschedule = true
		c.terms = termsSummary{}
	}
	return c
}

// adopt registers a customer created on this shard: it was not part of any
// snapshot in progress, so there is nothing to preserve, and its view is
// built at the end of the run.
func (s *shard) adopt(c *Customer) {
	if j := s.eng.snapJob.Load(); j != nil {
		c.snapClaimed.Store(j.gen)
		c.snapDone.Store(j.gen)
	}
	s.customers[c.ID] = c
	s.all = append(s.all, c)
	c.handle.customer = c
	s.dirty[c] = struct{}{}
}
