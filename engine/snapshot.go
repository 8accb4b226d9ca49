package engine

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"sync"
)

// Snapshot is a point-in-time image of the engine at one applied index,
// taken without stopping applies for long: taking it only records, per shard,
// which customers exist and freezes the dedup index (a pointer swap). The
// customers are encoded later, while applies go on, copy-on-write: a shard
// about to change a customer that the snapshot has not encoded yet encodes
// it first (its state as of the snapshot), and the writer encodes the others
// when it reaches them. Either way each customer is encoded exactly once, as
// it was at the snapshot's index.
type Snapshot struct {
	Index          uint64
	Now            Nanos
	Catalog        *Catalog // immutable, shared
	CustomerOrder  []string // append-only in the engine: shared, not copied
	UnknownRejects int64
	// DedupFloor is the first day the dedup index covers (see Engine.DedupFloor).
	DedupFloor int64

	job    *snapJob
	shards []shardCapture
}

// CustomerEncoder appends a customer's encoding to dst and returns the
// extended slice. It runs on the snapshot writer's goroutine or on a shard's
// (copy-on-write) and must not keep c.
type CustomerEncoder func(dst []byte, c *Customer) ([]byte, error)

// DedupBucket holds the 16-byte transaction keys of events stamped on one
// UTC day (day number since the epoch), sorted, concatenated.
type DedupBucket struct {
	Day  int64
	Keys []byte
	// Legacy marks keys in the 16-byte layout of builds up to v0.1.0.
	Legacy bool
}

// KeySize is the size of the bucket's keys: 20 bytes, or 16 for legacy keys.
func (b DedupBucket) KeySize() int {
	if b.Legacy {
		return legacyKeyLen
	}
	return dedupKeyLen
}

// KeyCount is the number of transaction keys the bucket holds.
func (b DedupBucket) KeyCount() int { return len(b.Keys) / b.KeySize() }

// shardCapture is what a snapshot holds of one shard.
type shardCapture struct {
	// customers is the shard's list as captured, shared with the shard
	// (which only appends beyond it): read it, never reorder it in place.
	customers []*Customer
	dedup     dedupImageSource
}

// snapJob coordinates the copy-on-write of one snapshot between the shards
// and the writer.
type snapJob struct {
	gen    uint32
	encode CustomerEncoder
	mu     sync.Mutex
	saved  map[*Customer][]byte // encoded by a shard before it changed them
	err    error
	once   sync.Once
	eng    *Engine
}

func (j *snapJob) save(c *Customer, b []byte, err error) {
	j.mu.Lock()
	if err != nil && j.err == nil {
		j.err = fmt.Errorf("encode customer %s: %w", c.ID, err)
	}
	j.saved[c] = b
	j.mu.Unlock()
}

func (j *snapJob) take(c *Customer) []byte {
	j.mu.Lock()
	b := j.saved[c]
	delete(j.saved, c)
	j.mu.Unlock()
	return b
}

// claim makes the caller the one who encodes c for this snapshot, or waits
// until whoever claimed it first has finished. It returns true when the
// caller must encode.
func (j *snapJob) claim(c *Customer) bool {
	for {
		cl := c.snapClaimed.Load()
		if cl >= j.gen {
			for c.snapDone.Load() < j.gen {
				runtime.Gosched()
			}
			return false
		}
		if c.snapClaimed.CompareAndSwap(cl, j.gen) {
			return true
		}
	}
}

// preserve is called by a shard before it changes c: while a snapshot is
// being written and c is in it unencoded, c is encoded first.
func (s *shard) preserve(c *Customer) {
	j := s.eng.snapJob.Load()
	if j == nil || !j.claim(c) {
		return
	}
	b, err := j.encode(nil, c)
	j.save(c, b, err)
	c.snapDone.Store(j.gen)
}

// ErrSnapshotInProgress is returned when a snapshot is requested while the
// previous one is still being written.
var ErrSnapshotInProgress = errors.New("engine: a snapshot is still being written")

// Snapshot starts a snapshot at the last applied index. It must be called
// from the apply goroutine (no Apply in flight). It returns quickly: the
// returned Snapshot encodes customers as its writer asks for them
// (WriteShard), and Release must be called when the writer is done.
func (e *Engine) Snapshot(encode CustomerEncoder) (*Snapshot, error) {
	if e.snapJob.Load() != nil {
		return nil, ErrSnapshotInProgress
	}
	e.snapGen++
	job := &snapJob{gen: e.snapGen, encode: encode, saved: map[*Customer][]byte{}, eng: e}
	snap := &Snapshot{
		Index:          e.applied.Load(),
		Now:            e.now.Load(),
		Catalog:        e.catalog.Load(),
		UnknownRejects: e.unknownRejects.Load(),
		DedupFloor:     e.dedupFloor.Load(),
		job:            job,
		shards:         make([]shardCapture, len(e.shards)),
	}
	e.orderMu.RLock()
	snap.CustomerOrder = e.customerOrder[:len(e.customerOrder):len(e.customerOrder)]
	e.orderMu.RUnlock()
	e.snapJob.Store(job)

	e.onEveryShard(func(i int, s *shard) {
		// Full slice expression: the shard appends beyond it, never into it.
		list := s.all[:len(s.all):len(s.all)]
		snap.shards[i] = shardCapture{customers: list, dedup: s.dedup.freeze()}
	})
	return snap, nil
}

// ShardCount is the number of shards the snapshot was taken over.
func (s *Snapshot) ShardCount() int { return len(s.shards) }

// CustomerCount is the number of customers in the snapshot.
func (s *Snapshot) CustomerCount() int {
	n := 0
	for i := range s.shards {
		n += len(s.shards[i].customers)
	}
	return n
}

// ShardCustomers returns how many customers shard i holds in the snapshot.
func (s *Snapshot) ShardCustomers(i int) int { return len(s.shards[i].customers) }

// WriteShard calls fn with each customer of shard i, encoded as of the
// snapshot, in id order. The slice passed to fn is reused for the next
// customer: fn must copy what it keeps.
func (s *Snapshot) WriteShard(i int, fn func(encoded []byte) error) error {
	list := slices.Clone(s.shards[i].customers)
	sort.Slice(list, func(a, b int) bool { return list[a].ID < list[b].ID })
	j := s.job
	var buf []byte
	for _, c := range list {
		var b []byte
		if j.claim(c) {
			var err error
			buf, err = j.encode(buf[:0], c)
			b = buf
			if err != nil {
				c.snapDone.Store(j.gen)
				return fmt.Errorf("encode customer %s: %w", c.ID, err)
			}
			c.snapDone.Store(j.gen)
		} else {
			b = j.take(c)
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	j.mu.Lock()
	err := j.err
	j.mu.Unlock()
	return err
}

// ShardDedup returns shard i's dedup index as of the snapshot, sorted.
func (s *Snapshot) ShardDedup(i int) []DedupBucket { return dedupImage(s.shards[i].dedup) }

// Release ends the snapshot: shards stop preserving customers for it. Safe
// to call more than once.
func (s *Snapshot) Release() {
	s.job.once.Do(func() {
		s.job.eng.snapJob.CompareAndSwap(s.job, nil)
	})
}

// State is a decoded snapshot, ready to be loaded into a fresh engine.
type State struct {
	Index          uint64
	Now            Nanos
	Catalog        *Catalog
	CustomerOrder  []string
	UnknownRejects int64
	DedupFloor     int64
	Customers      []*Customer
	Dedup          []DedupBucket
}

// Restore replaces the engine's whole state with st. It must be called from
// the apply goroutine. Customers and dedup keys are redistributed over this
// engine's shards, which need not number as many as the snapshot's did.
func (e *Engine) Restore(st *State) error {
	cat := st.Catalog
	if cat == nil {
		cat = NewCatalog()
	}
	if err := cat.derive(); err != nil {
		return fmt.Errorf("restore: catalog: %w", err)
	}
	cat.index()
	handles, entries, perShard, err := e.restoreHandles(st.Customers)
	if err != nil {
		return err
	}
	dedupPerShard, err := e.splitDedup(st.Dedup)
	if err != nil {
		return err
	}

	e.catalog.Store(cat)
	e.now.Store(st.Now)
	e.unknownRejects.Store(st.UnknownRejects)
	e.dedupFloor.Store(st.DedupFloor)
	e.onEveryShard(func(i int, s *shard) {
		e.shardDue[i] = s.load(perShard[i], handles, dedupPerShard[i], cat, st.Now)
	})
	e.refreshNextDue()
	// The shards have built every new handle's view: only now may lookups
	// reach the new handles. Until here a check (which reads the directory
	// without waiting for the shards) answered from the old state; a read
	// of one customer through its old handle already finds the new customer
	// in its shard, which is intended: each answer is whole, old or new.
	e.publishCustomers(st, entries, handles)
	var keys int64
	for _, s := range e.shards {
		keys += s.dedup.keys
	}
	e.dedupKeys.Store(keys)
	// Last: a reader that sees this index (the transport's catch-up gate,
	// a follower's read) must find the whole restored state behind it.
	e.applied.Store(st.Index)
	return nil
}

// restoreHandles makes a handle, with the empty view until its shard
// publishes one, for each restored customer; entries maps ids and ingest
// aliases to them for the directory, and perShard groups the customers by
// the shard of this engine that will hold them.
func (e *Engine) restoreHandles(customers []*Customer) (handles, entries map[string]*CustomerHandle, perShard [][]*Customer, err error) {
	entries = make(map[string]*CustomerHandle, len(customers)*2)
	perShard = make([][]*Customer, len(e.shards))
	handles = make(map[string]*CustomerHandle, len(customers))
	for _, c := range customers {
		if _, dup := handles[c.ID]; dup {
			return nil, nil, nil, fmt.Errorf("restore: customer %s appears twice", c.ID)
		}
		h := &CustomerHandle{ID: c.ID, Shard: int32(e.shardOf(c.ID))}
		h.view.Store(emptyView)
		handles[c.ID] = h
		entries[c.ID] = h
		for _, a := range c.IngestAliases {
			entries[a] = h
		}
		h.aliases = c.IngestAliases
		h.archived.Store(c.IsArchived())
		perShard[h.Shard] = append(perShard[h.Shard], c)
	}
	return handles, entries, perShard, nil
}

// splitDedup redistributes a snapshot's dedup buckets over this engine's
// shards, key by key.
func (e *Engine) splitDedup(buckets []DedupBucket) ([][]DedupBucket, error) {
	perShard := make([][]DedupBucket, len(e.shards))
	for _, b := range buckets {
		size := b.KeySize()
		if len(b.Keys)%size != 0 {
			return nil, fmt.Errorf("restore: dedup bucket of day %d holds %d bytes, not whole %d-byte keys", b.Day, len(b.Keys), size)
		}
		split := make([][]byte, len(e.shards))
		for off := 0; off+size <= len(b.Keys); off += size {
			k := b.Keys[off : off+size]
			i := keyShard(k, len(e.shards))
			split[i] = append(split[i], k...)
		}
		for i, keys := range split {
			if len(keys) > 0 {
				perShard[i] = append(perShard[i], DedupBucket{Day: b.Day, Keys: keys, Legacy: b.Legacy})
			}
		}
	}
	return perShard, nil
}

// publishCustomers makes a restored state's customers reachable: the
// directory, the alert and payment-workflow owners and the creation order.
func (e *Engine) publishCustomers(st *State, entries, handles map[string]*CustomerHandle) {
	e.dir.bulkLoad(entries)
	alertOwners := map[string]*CustomerHandle{}
	for _, c := range st.Customers {
		for _, a := range c.Alerts {
			alertOwners[a.ID] = handles[c.ID]
		}
	}
	e.alertOwners.reset(alertOwners)
	e.restoreWorkflowOwners(st.Customers, handles)
	e.orderMu.Lock()
	e.customerOrder = append([]string(nil), st.CustomerOrder...)
	e.orderMu.Unlock()
}

// load replaces the shard's state and returns its earliest pending transition.
func (s *shard) load(customers []*Customer, handles map[string]*CustomerHandle, dedup []DedupBucket, cat *Catalog, now Nanos) Nanos {
	s.customers = make(map[string]*Customer, len(customers))
	s.all = make([]*Customer, 0, len(customers))
	s.dedup = newDedupIndex()
	s.dedup.load(dedup)
	s.due = nil
	for _, c := range customers {
		s.customers[c.ID] = c
		s.all = append(s.all, c)
		c.handle = handles[c.ID]
		c.handle.customer = c
		c.NextDue = 0
		s.schedule(c, cat, now)
		s.publish(c, cat, now)
	}
	s.recountRejects()
	return s.nextDue()
}
