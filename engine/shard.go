package engine

import (
	"container/heap"
	"sync"
)

// shard owns a partition of the customers and the dedup index entries of
// those customers. Its goroutine is the only one that touches them.
type shard struct {
	id        int
	eng       *Engine
	work      chan shardWork
	customers map[string]*Customer
	// all holds the same customers in the order the shard adopted them.
	// Customers are never removed, so between restores it only grows (load
	// replaces it), and a snapshot takes it in constant time while the
	// shards wait (a walk over the map took 132 ms at 1M customers).
	all   []*Customer
	dedup *dedupIndex
	due   dueHeap
	// dirty lists customers whose entitlement view must be rebuilt at the end
	// of the current run.
	dirty map[*Customer]struct{}
	// pending lists the customers holding a run of identically rated events,
	// rated at the end of the shard run (see pendingUsage); spare recycles
	// the runs.
	pending []*Customer
	spare   []*pendingUsage
	scratch ratingScratch
	// rejects counts the shard's customers' rejects by reason (see rejects.go).
	rejects rejectTotals
	// notes are the alert notifications queued during the current run.
	notes []pendingNote
	// ids cuts the ids of the contracts, commits and segments the shard
	// creates from shared blocks (idarena.go).
	ids idArena
	// warmSink holds what warmDedup read, so that its reads stay.
	warmSink uint64
}

// shardWork is either a run of apply tasks or a read.
type shardWork struct {
	run  *shardRun
	read func(s *shard)
}

// shardRun is the part of one batch that belongs to a shard.
type shardRun struct {
	tasks []task
	cat   *Catalog
	now   Nanos
	tick  bool
	// refreshRateCard names a rate card whose rates changed just before
	// this run: its customers' views and schedules are rebuilt.
	refreshRateCard string
	wg              *sync.WaitGroup
	// minDue is filled by the shard: its earliest pending transition.
	minDue Nanos
}

func newShard(id int, e *Engine) *shard {
	return &shard{
		id: id, eng: e,
		work:      make(chan shardWork, 64),
		customers: map[string]*Customer{},
		dedup:     newDedupIndex(),
		dirty:     map[*Customer]struct{}{},
	}
}

func (s *shard) run() {
	for {
		select {
		case w := <-s.work:
			if w.read != nil {
				w.read(s)
				continue
			}
			s.execute(w.run)
			w.run.wg.Done()
		case <-s.eng.stop:
			return
		}
	}
}

func (s *shard) execute(r *shardRun) {
	if s.dedup.frozen != nil && s.eng.snapJob.Load() == nil {
		s.dedup.thaw()
	}
	if r.tick {
		s.tick(r.cat, r.now)
	} else {
		s.expireDedup(r.now)
	}
	if r.refreshRateCard != "" {
		s.refresh(r.refreshRateCard)
	}
	s.warmDedup(r.tasks)
	for i := range r.tasks {
		r.tasks[i].apply(s, r.cat, r.now)
	}
	s.flushAllUsage(r.cat)
	for c := range s.dirty {
		terms := c.summary()
		if c.reschedule || terms.payments || s.eng.ungated {
			// Without a change of terms (which reschedules, as a raise
			// does) no workflow is new, and without auto-recharge or
			// threshold billing there is nothing to evaluate.
			s.evaluatePayments(c, r.cat, r.now)
		}
		if c.reschedule || s.eng.ungated {
			// Only a change of terms (a tick, a create, an edit) finalizes
			// an invoice.
			s.sendInvoices(c, r.cat)
		}
		if terms.alerts {
			s.evaluateAlerts(c, r.cat, r.now)
			c.reschedule = true // an alarm's period end is a transition
		}
		if c.reschedule {
			c.reschedule = false
			s.schedule(c, r.cat, r.now)
		}
		s.publish(c, r.cat, r.now)
		delete(s.dirty, c)
	}
	r.minDue = s.nextDue()
}

// nextDue is the shard's earliest pending transition: a customer's, or the
// day its oldest dedup bucket leaves the window (so buckets expire daily even
// when no customer has anything due).
func (s *shard) nextDue() Nanos {
	next := s.due.min()
	if day, ok := s.dedup.oldestDay(); ok {
		at := (day+1)*nanosPerDay + s.eng.cfg.DedupWindow.Nanoseconds()
		if next == 0 || at < next {
			next = at
		}
	}
	return next
}

// expireDedup drops the dedup buckets that have left the window at now.
func (s *shard) expireDedup(now Nanos) {
	s.dedup.expire(now - s.eng.cfg.DedupWindow.Nanoseconds())
}

// dueItem schedules a customer's next transition.
type dueItem struct {
	at         Nanos
	customerID string
}

// dueHeap is a min-heap of scheduled transitions. A customer may have stale
// items; they are skipped when popped (the customer's NextDue is the truth).
type dueHeap []dueItem

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].customerID < h[j].customerID
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(dueItem)) }
func (h *dueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

func (h *dueHeap) min() Nanos {
	if len(*h) == 0 {
		return 0
	}
	return (*h)[0].at
}

// schedule recomputes c's next transition after now and queues it.
func (s *shard) schedule(c *Customer, cat *Catalog, now Nanos) {
	next := c.nextTransition(cat, now)
	if next == c.NextDue {
		return
	}
	c.NextDue = next
	if next != 0 {
		heap.Push(&s.due, dueItem{at: next, customerID: c.ID})
	}
}

// tick applies every transition due up to now.
func (s *shard) tick(cat *Catalog, now Nanos) {
	s.expireDedup(now)
	for len(s.due) > 0 && s.due[0].at <= now {
		it := heap.Pop(&s.due).(dueItem)
		if c := s.customers[it.customerID]; c == nil || c.NextDue != it.at {
			continue // stale entry
		}
		c := s.mutable(it.customerID, termsChange)
		c.NextDue = 0
		c.applyTransitions(cat, now)
	}
}

// refresh marks every customer with a contract on the rate card for a view
// rebuild and a new schedule.
func (s *shard) refresh(rateCardID string) {
	for _, c := range s.customers {
		for _, k := range c.Contracts {
			if k.RateCardID == rateCardID {
				s.mutable(c.ID, termsChange)
				break
			}
		}
	}
}

// onEveryShard runs fn on each shard's goroutine, all shards in parallel,
// and returns when every one has finished.
// After Close it returns without waiting for shards that are gone.
func (e *Engine) onEveryShard(fn func(i int, s *shard)) {
	var wg sync.WaitGroup
	for i, sh := range e.shards {
		wg.Add(1)
		select {
		case sh.work <- shardWork{read: func(s *shard) {
			defer wg.Done()
			fn(i, s)
		}}:
		case <-e.stop:
			return
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-e.stop:
	}
}
