package engine

import "sync"

// task is one unit of shard work within a batch.
type task struct {
	pos   int // command position in the entry, for the result
	kind  Kind
	cmd   Command
	h     *CustomerHandle
	event *Event // for ingest: one event
	out   *IngestOutcome
	res   *Result
	spec  *CommandSpec // nil for an ingest event
	// dedupKey is the event's dedup key for the customer keyedFor (set by
	// warmDedup or keyFor; keyedFor "" while unset).
	dedupKey dedupKey
	keyedFor string
}

// batch applies one entry: it queues customer-scoped work per shard and runs
// the shards in parallel whenever a global command needs a barrier.
type batch struct {
	e       *Engine
	index   uint64
	now     Nanos
	results []Result
	runs    []*shardRun
	pending bool
	tick    bool
	// outcomes holds per-shard partial ingest outcomes to merge into results.
	outcomes map[int][]*IngestOutcome
	// notes are the notifications the entry's shard runs queued (alerts.go).
	notes []pendingNote
}

func newBatch(e *Engine, index uint64, now Nanos, n int) *batch {
	b := &batch{e: e, index: index, now: now, results: make([]Result, n)}
	if e.runs == nil {
		e.runs = make([]*shardRun, len(e.shards))
		for i := range e.runs {
			e.runs[i] = &shardRun{}
		}
	}
	b.runs = e.runs
	b.reset()
	return b
}

// maxKeptTasks bounds the task buffer a shard run keeps between batches.
const maxKeptTasks = 1 << 16

// reset readies the shard runs for more work. The runs and their task
// buffers are the engine's, reused by every batch (Apply runs one batch at
// a time and a run is idle once flush has waited for it), so queueing a
// task does not allocate once the buffers have grown.
func (b *batch) reset() {
	cat := b.e.catalog.Load()
	for _, r := range b.runs {
		tasks := r.tasks[:0]
		if cap(tasks) > maxKeptTasks {
			tasks = nil // do not hold on to the buffer of an unusually large entry
		}
		clear(r.tasks) // drop the references to the last entry's commands
		*r = shardRun{tasks: tasks, cat: cat, now: b.now}
	}
	b.pending = false
}

func (b *batch) tickAll() {
	for _, r := range b.runs {
		r.tick = true
	}
	b.pending = true
}

func (b *batch) queue(h *CustomerHandle, t task) {
	t.h = h
	t.res = &b.results[t.pos]
	r := b.runs[h.Shard]
	r.tasks = append(r.tasks, t)
	b.pending = true
}

// flush runs the queued shard work and waits for it.
func (b *batch) flush() {
	if b.pending {
		var wg sync.WaitGroup
		for _, r := range b.runs {
			if len(r.tasks) == 0 && !r.tick && r.refreshRateCard == "" {
				continue
			}
			wg.Add(1)
			r.wg = &wg
		}
		for i, r := range b.runs {
			if r.wg != nil {
				b.e.shards[i].work <- shardWork{run: r}
			}
		}
		wg.Wait()
		b.collectNotes()
	}
	b.mergeOutcomes()
	for i, r := range b.runs {
		if r.wg != nil {
			b.e.shardDue[i] = r.minDue
		}
	}
	b.e.refreshNextDue()
	b.reset()
}

func (b *batch) mergeOutcomes() {
	for pos, parts := range b.outcomes {
		total := &IngestOutcome{}
		for _, p := range parts {
			total.Accepted += p.Accepted
			total.Duplicates += p.Duplicates
			for k, v := range p.Rejected {
				if total.Rejected == nil {
					total.Rejected = map[RejectReason]int{}
				}
				total.Rejected[k] += v
			}
		}
		b.results[pos].Ingest = total
	}
	b.outcomes = nil
}

// add applies or queues the command at position pos, as its registration
// says.
func (b *batch) add(pos int, cmd Command) {
	res := &b.results[pos]
	sp := commandSpecs[cmd.Kind()]
	if sp == nil {
		res.Err = errorf(Invalid, "unsupported command kind %d", cmd.Kind())
		return
	}
	switch sp.Scope {
	case ScopeTime:
		b.tickAll()
	case ScopeCatalog:
		b.flush()
		b.applyCatalog(pos, sp, cmd)
	case ScopeCustomer:
		h, err := sp.Route(b, pos, cmd)
		if err == nil && !sp.OnArchived && h.archived.Load() {
			res.ID, err = "", errorf(Invalid, "customer_id: customer %s is archived", h.ID)
		}
		if err != nil {
			res.Err = err
			return
		}
		b.queue(h, task{pos: pos, kind: sp.Kind, cmd: cmd, spec: sp})
	case ScopeEvents:
		b.ingest(pos, cmd.(*Ingest))
	}
}

func (b *batch) applyCatalog(pos int, sp *CommandSpec, cmd Command) {
	id := ""
	if sp.IDKind != "" {
		id = b.idFor(pos, catalogGivenID(cmd), sp.IDKind)
	}
	next, res, effect := sp.ApplyCatalog(b.e.catalog.Load(), cmd, id, b.now)
	if next != nil {
		b.e.catalog.Store(next)
		b.reset()
		if effect.refreshRateCard != "" {
			for _, r := range b.runs {
				r.refreshRateCard = effect.refreshRateCard
			}
			b.pending = true
		}
	}
	b.results[pos] = *res
}

// catalogGivenID is the client-given id of a created catalog object.
func catalogGivenID(cmd Command) string {
	if g, ok := cmd.(interface{ givenID() string }); ok {
		return g.givenID()
	}
	return ""
}

// idFor returns the client-given id or derives one from the log position.
func (b *batch) idFor(pos int, given, kind string) string {
	if given != "" {
		return given
	}
	return b.e.ids.entryID(b.index, pos, kind)
}

// routeCreateCustomer registers the new customer's id and aliases in the
// directory, in log order, so later commands of the same entry find it.
func routeCreateCustomer(b *batch, pos int, cmd Command) (*CustomerHandle, *Error) {
	c := cmd.(*CreateCustomer)
	id := b.idFor(pos, c.ID, "customer")
	if b.e.dir.lookup(id) != nil {
		return nil, errorf(Conflict, "id: customer %s already exists", id)
	}
	seen := map[string]bool{}
	for i, a := range c.IngestAliases {
		if seen[a] {
			return nil, errorf(Invalid, "ingest_aliases[%d]: alias %q is listed twice", i, a)
		}
		seen[a] = true
		if b.e.dir.lookup(a) != nil {
			return nil, errorf(Conflict, "ingest_aliases[%d]: ingest alias %q is already in use", i, a)
		}
	}
	h := &CustomerHandle{ID: id, Shard: int32(b.e.shardOf(id))}
	h.view.Store(emptyView)
	b.e.dir.insert(id, h)
	for _, a := range c.IngestAliases {
		b.e.dir.insert(a, h)
	}
	h.aliases = c.IngestAliases
	b.e.orderMu.Lock()
	b.e.customerOrder = append(b.e.customerOrder, id)
	b.e.orderMu.Unlock()
	b.results[pos].ID = id
	return h, nil
}

// routeCreateContract finds the contract's customer.
func routeCreateContract(b *batch, _ int, cmd Command) (*CustomerHandle, *Error) {
	c := cmd.(*CreateContract)
	h := b.e.dir.lookup(c.CustomerID)
	if h == nil {
		return nil, errorf(NotFound, "customer_id: customer %s not found", c.CustomerID)
	}
	return h, nil
}

func (b *batch) ingest(pos int, c *Ingest) {
	if b.outcomes == nil {
		b.outcomes = map[int][]*IngestOutcome{}
	}
	perShard := make([]*IngestOutcome, len(b.runs))
	unknown := 0
	for i := range c.Events {
		ev := &c.Events[i]
		h := b.e.dir.lookup(ev.CustomerID)
		if h == nil {
			unknown++
			b.e.unknownRejects.Add(1)
			continue
		}
		out := perShard[h.Shard]
		if out == nil {
			out = &IngestOutcome{}
			perShard[h.Shard] = out
			b.outcomes[pos] = append(b.outcomes[pos], out)
		}
		b.queue(h, task{pos: pos, kind: KindIngest, event: ev, out: out})
	}
	if unknown > 0 {
		b.outcomes[pos] = append(b.outcomes[pos], &IngestOutcome{Rejected: map[RejectReason]int{RejectUnknownCustomer: unknown}})
	} else if len(b.outcomes[pos]) == 0 {
		b.outcomes[pos] = append(b.outcomes[pos], &IngestOutcome{})
	}
}

// apply runs the task on its shard.
func (t *task) apply(s *shard, cat *Catalog, now Nanos) {
	if t.kind != KindIngest {
		// A command other than usage may change how the customer's pending
		// usage rates (a new contract or commit): rate that usage first.
		if c := s.held(t.h); c != nil {
			s.flushUsage(c, cat)
		}
	}
	if t.spec != nil {
		t.spec.runCustomer(s, t, cat, now)
		return
	}
	s.rateEvent(t, cat, now)
}
