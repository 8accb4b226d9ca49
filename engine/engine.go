package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Config fixes the engine's deterministic parameters. Every replica of a
// cluster must use the same DedupWindow; Shards may differ (it only changes
// parallelism, never results).
type Config struct {
	// Shards is the number of customer partitions, each owned by one
	// goroutine. Default: the number of CPUs.
	Shards int
	// DedupWindow is how long a transaction id is remembered. Events older
	// than the window (relative to the stamped time) are rejected, so a resent
	// event can never be counted twice. Default: 34 days, as Metronome.
	DedupWindow time.Duration
	// DedupMemoryBudget bounds the dedup index, in bytes, at
	// DedupBytesPerKey each (0: no bound). When the index would exceed it,
	// its oldest days are dropped and events stamped before the oldest day
	// still held are rejected as older than the window the index really
	// covers, so a resent event is never counted twice. It decides results,
	// so every replica of a cluster must use the same value.
	DedupMemoryBudget int64
	// InvoiceGracePeriod is how long after a statement period's end its
	// draft invoice still takes late events; the tick at end + grace
	// finalizes it. A contract keeps the grace in force when it was created
	// (CreateContract carries it), so changing this setting never changes
	// existing contracts, nor what an old log replays to. Every replica
	// should use the same. Zero means DefaultInvoiceGracePeriod (24 h); a
	// negative value means none.
	InvoiceGracePeriod time.Duration
}

// DefaultDedupWindow is Metronome's documented deduplication window.
const DefaultDedupWindow = 34 * 24 * time.Hour

// DedupBytesPerKey converts the dedup memory budget into the key count that
// decides results, so it is the same on every replica and in every build:
// it never changes. It was measured by BenchmarkDedupMemory when the index
// was a Go map (50.3 bytes per id at 2M keys; a day of 100M events about
// 5 GB); the index's own key set (dedup_set.go) takes 42.0 bytes per id,
// so the budget now overstates the memory by a sixth.
const DedupBytesPerKey = 50

// MaxFutureSkew is how far ahead of the stamped time an event may be.
const MaxFutureSkew = 24 * time.Hour

// Entry is one raft log entry's worth of commands, stamped by the leader.
type Entry struct {
	Index    uint64
	Time     Nanos
	Commands []Command
}

// Engine is the rating state machine. Apply, Snapshot and Restore must be
// called from one goroutine at a time (raft's FSM goroutine); Check,
// ReadCustomer and the catalog accessors may be called from any goroutine at
// any time.
type Engine struct {
	// stop is closed by Close: the shard goroutines return, and reads
	// racing with Close (or made after it) answer ErrClosed instead of
	// waiting on a shard that is gone.
	stop     chan struct{}
	stopOnce sync.Once
	cfg      Config
	catalog  atomic.Pointer[Catalog]
	dir      *directory
	shards   []*shard

	// now is the latest stamped time applied (monotonic).
	now atomic.Int64
	// applied is the index of the last applied entry.
	applied atomic.Uint64
	// nextDue is the earliest time any customer has a pending transition.
	nextDue atomic.Int64

	// runs are the shard runs every batch reuses (see batch.reset).
	runs []*shardRun

	// shardDue is each shard's earliest pending transition, as of its last run.
	shardDue []Nanos
	// unknownRejects counts events for customers that do not exist.
	unknownRejects atomic.Int64
	// dedupFloor is the first day the dedup index still covers after the
	// memory budget dropped older days (0: the window alone decides).
	dedupFloor atomic.Int64
	// dedupKeys is the dedup index's key count after the last entry.
	dedupKeys atomic.Int64

	// snapJob is the snapshot being written, if any; snapGen numbers them.
	snapJob atomic.Pointer[snapJob]
	snapGen uint32

	// alertOwners maps an alert id to its customer's handle (routing of
	// archive; rebuilt on restore).
	alertOwners owners
	// ids cuts the ids the apply goroutine derives (entryID: customers,
	// alerts, catalog objects) from shared blocks (idarena.go); only that
	// goroutine uses it.
	ids idArena
	// workflowOwners maps a payment workflow id to its customer's handle
	// (routing of release_payment_gate; rebuilt on restore).
	workflowOwners owners
	// The switches below are set only by tests (export_test.go), to compare
	// the engine's shortcuts with what they stand for; production leaves
	// them false.
	//
	// rateEachEvent turns off the rating of runs of identical events as one
	// (see pendingUsage); the state is the same either way
	// (TestAggregatedRatingEqualsPerEvent).
	rateEachEvent bool
	// ungated makes every shard run evaluate payments and send invoices for
	// every customer it changed, as builds before those shortcuts did
	// (shard.execute); TestGatingChangesNothing compares.
	ungated bool
	// notes are the notifications applied entries produced, until the
	// cluster layer takes them (TakeNotifications).
	notesMu sync.Mutex
	notes   []Notification
	// quietFinalized turns off invoice.finalized notifications while the
	// cluster's data format says a node may predate them
	// (SetInvoiceFinalizedNotes, invoice_finalized.go).
	quietFinalized atomic.Bool

	orderMu sync.RWMutex
	// customerOrder lists customer ids in creation order, for listing.
	customerOrder []string
}

// New returns an empty engine with the USD credit type and its shard goroutines
// running. Call Close to stop them.
func New(cfg Config) *Engine {
	if cfg.Shards <= 0 {
		cfg.Shards = runtime.NumCPU()
	}
	if cfg.DedupWindow <= 0 {
		cfg.DedupWindow = DefaultDedupWindow
	}
	if cfg.InvoiceGracePeriod == 0 {
		cfg.InvoiceGracePeriod = DefaultInvoiceGracePeriod
	} else if cfg.InvoiceGracePeriod < 0 {
		cfg.InvoiceGracePeriod = 0
	}
	e := &Engine{cfg: cfg, dir: newDirectory(), stop: make(chan struct{})}
	e.catalog.Store(NewCatalog())
	e.shards = make([]*shard, cfg.Shards)
	e.shardDue = make([]Nanos, cfg.Shards)
	for i := range e.shards {
		e.shards[i] = newShard(i, e)
		go e.shards[i].run()
	}
	return e
}

// ErrClosed is the error of a read made after (or racing with) Close.
var ErrClosed = errors.New("engine: closed")

// Close stops the shard goroutines. It may be called more than once and
// while reads are in flight (a node closing under its dispatcher): those
// answer ErrClosed. Applies must not be made after it.
func (e *Engine) Close() {
	e.stopOnce.Do(func() { close(e.stop) })
}

// Config returns the configuration in force.
func (e *Engine) Config() Config { return e.cfg }

// Catalog returns the current immutable catalog.
func (e *Engine) Catalog() *Catalog { return e.catalog.Load() }

// Now returns the latest stamped time applied.
func (e *Engine) Now() Nanos { return e.now.Load() }

// AppliedIndex returns the index of the last applied entry.
func (e *Engine) AppliedIndex() uint64 { return e.applied.Load() }

// NextDue returns the earliest time at which a transition is pending, or 0
// when none is. The leader proposes a Tick once this time has passed.
func (e *Engine) NextDue() Nanos { return e.nextDue.Load() }

// LookupCustomer resolves a customer id or ingest alias.
func (e *Engine) LookupCustomer(idOrAlias string) *CustomerHandle { return e.dir.lookup(idOrAlias) }

// CustomerIDs returns up to limit customer ids in creation order, starting
// after position offset, and the total count.
func (e *Engine) CustomerIDs(offset, limit int) ([]string, int) {
	e.orderMu.RLock()
	defer e.orderMu.RUnlock()
	n := len(e.customerOrder)
	if offset >= n {
		return nil, n
	}
	end := offset + limit
	if end > n {
		end = n
	}
	return append([]string(nil), e.customerOrder[offset:end]...), n
}

// CustomerIDsWhere returns up to limit ids of customers archived or not
// (as archived says), in creation order, scanning from position offset;
// next is the position to scan from for the following page (-1: none).
func (e *Engine) CustomerIDsWhere(offset, limit int, archived bool) (ids []string, next int) {
	e.orderMu.RLock()
	defer e.orderMu.RUnlock()
	for i := offset; i < len(e.customerOrder); i++ {
		id := e.customerOrder[i]
		if h := e.dir.lookup(id); h == nil || h.ID != id || h.Archived() != archived {
			continue
		}
		if len(ids) == limit {
			return ids, i
		}
		ids = append(ids, id)
	}
	return ids, -1
}

// CustomerRead is a customer as one read saw it: a deep copy of its state,
// made on its shard between two applies, that nothing else refers to. The
// reader owns it and may keep it, sort it or render it on any goroutine;
// nothing reachable from it is live engine state. Catalog is the catalog
// current at the read (immutable, shared) and Now the engine's time then.
type CustomerRead struct {
	Customer *Customer
	Catalog  *Catalog
	Now      Nanos
}

// ReadCustomer copies a customer on its shard goroutine, serialised with
// applies, so the copy is consistent (see readcopy.go for what is copied).
// It returns false when the customer is unknown, and ctx's error when ctx
// ends before the shard gets to the read (a shard busy with a long apply
// never holds a reader longer than its deadline).
func (e *Engine) ReadCustomer(ctx context.Context, idOrAlias string) (CustomerRead, bool, error) {
	var out CustomerRead
	found, err := e.read(ctx, idOrAlias, func(c *Customer, cat *Catalog, now Nanos) {
		out = CustomerRead{Customer: deepCopy(c), Catalog: cat, Now: now}
	})
	return out, found, err
}

// read runs fn on the customer's shard goroutine, serialised with applies,
// so fn sees a consistent state; fn must not keep c or anything reachable
// from it. It returns false when the customer is unknown, and ctx's error
// when ctx ends before the shard gets to the read; fn then never runs. It is
// unexported on purpose: outside the engine, reads get copies
// (ReadCustomer), never the live customer.
func (e *Engine) read(ctx context.Context, idOrAlias string, fn func(c *Customer, cat *Catalog, now Nanos)) (bool, error) {
	h := e.dir.lookup(idOrAlias)
	if h == nil {
		return false, nil
	}
	r := &pendingRead{done: make(chan struct{})}
	w := shardWork{read: func(s *shard) {
		defer close(r.done)
		if !r.state.CompareAndSwap(readQueued, readRunning) {
			return // the reader gave up
		}
		if c := s.customers[h.ID]; c != nil {
			r.found = true
			fn(c, e.catalog.Load(), e.now.Load())
		}
	}}
	if err := e.queueRead(ctx, int(h.Shard), w, r); err != nil {
		return false, fmt.Errorf("engine: read %s: %w", idOrAlias, err)
	}
	return r.found, nil
}

// queueRead hands w to shard i and waits until it has run: ctx's error
// (or ErrClosed) when ctx ends (or the engine closes) before the shard
// gets to it, in which case it never runs.
func (e *Engine) queueRead(ctx context.Context, i int, w shardWork, r *pendingRead) error {
	select {
	case e.shards[i].work <- w:
	case <-ctx.Done():
		return ctx.Err()
	case <-e.stop:
		return ErrClosed
	}
	var gaveUp error
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		gaveUp = ctx.Err()
	case <-e.stop:
		gaveUp = ErrClosed
	}
	if r.state.CompareAndSwap(readQueued, readAbandoned) {
		return gaveUp
	}
	<-r.done // the read is already running: it finishes promptly
	return nil
}

// A pendingRead is queued, then either run by the shard or abandoned by a
// reader whose deadline passed first; never both.
const (
	readQueued int32 = iota
	readRunning
	readAbandoned
)

type pendingRead struct {
	state atomic.Int32
	found bool
	done  chan struct{}
}

func (e *Engine) shardOf(customerID string) int {
	return int(routeHash(customerID) % uint32(len(e.shards)))
}

// Apply applies entries in order and returns each entry's command results.
func (e *Engine) Apply(entries []Entry) [][]Result {
	out := make([][]Result, len(entries))
	for i := range entries {
		out[i] = e.applyEntry(&entries[i])
	}
	return out
}

func (e *Engine) applyEntry(en *Entry) []Result {
	if en.Time > e.now.Load() {
		e.now.Store(en.Time)
	}
	now := e.now.Load()
	b := newBatch(e, en.Index, now, len(en.Commands))
	if due := e.nextDue.Load(); due != 0 && due <= now {
		b.tickAll()
	}
	for pos, cmd := range en.Commands {
		b.add(pos, cmd)
	}
	b.flush()
	b.finishNotes()
	e.enforceDedupBudget()
	e.applied.Store(en.Index)
	return b.results
}

func (e *Engine) refreshNextDue() {
	var min Nanos
	for _, d := range e.shardDue {
		if d != 0 && (min == 0 || d < min) {
			min = d
		}
	}
	e.nextDue.Store(min)
}

// CustomerCount is the number of customers.
func (e *Engine) CustomerCount() int {
	e.orderMu.RLock()
	defer e.orderMu.RUnlock()
	return len(e.customerOrder)
}

// UnknownCustomerRejects counts events rejected because their customer does not exist.
func (e *Engine) UnknownCustomerRejects() int64 { return e.unknownRejects.Load() }
