package engine

import (
	"fmt"
	"sort"
	"sync"
)

// Snapshot is a point-in-time image of the engine, taken between applies.
// Customers are already encoded (by the encoder the caller supplies), so
// persisting it can run while new entries are applied.
type Snapshot struct {
	Index          uint64
	Now            Nanos
	Catalog        *Catalog // immutable, shared
	CustomerOrder  []string
	UnknownRejects int64
	Shards         []ShardImage
}

// ShardImage is one shard's part of a snapshot.
type ShardImage struct {
	// Customers holds the encoded customers, ordered by id.
	Customers [][]byte
	// Dedup holds the shard's dedup index, ordered by day.
	Dedup []DedupBucket
}

// DedupBucket holds the 16-byte transaction keys of events stamped on one
// UTC day (day number since the epoch), sorted, concatenated.
type DedupBucket struct {
	Day  int64
	Keys []byte
}

// CustomerEncoder turns a customer into bytes; it runs on the shard goroutines
// in parallel and must not keep c.
type CustomerEncoder func(c *Customer) ([]byte, error)

// Snapshot captures the engine's state. It must be called from the apply
// goroutine (no Apply in flight). Each shard encodes its own customers in
// parallel; the catalog is shared, not copied.
func (e *Engine) Snapshot(encode CustomerEncoder) (*Snapshot, error) {
	snap := &Snapshot{
		Index:          e.applied.Load(),
		Now:            e.now.Load(),
		Catalog:        e.catalog.Load(),
		UnknownRejects: e.unknownRejects.Load(),
		Shards:         make([]ShardImage, len(e.shards)),
	}
	e.orderMu.RLock()
	snap.CustomerOrder = append([]string(nil), e.customerOrder...)
	e.orderMu.RUnlock()

	errs := make([]error, len(e.shards))
	var wg sync.WaitGroup
	for i, s := range e.shards {
		wg.Add(1)
		i, s := i, s
		s.work <- shardWork{read: func(s *shard) {
			defer wg.Done()
			errs[i] = s.image(&snap.Shards[i], encode)
		}}
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("snapshot shard %d: %w", i, err)
		}
	}
	return snap, nil
}

func (s *shard) image(img *ShardImage, encode CustomerEncoder) error {
	ids := make([]string, 0, len(s.customers))
	for id := range s.customers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	img.Customers = make([][]byte, 0, len(ids))
	for _, id := range ids {
		b, err := encode(s.customers[id])
		if err != nil {
			return fmt.Errorf("encode customer %s: %w", id, err)
		}
		img.Customers = append(img.Customers, b)
	}
	img.Dedup = s.dedup.image()
	return nil
}

// State is a decoded snapshot, ready to be loaded into a fresh engine.
type State struct {
	Index          uint64
	Now            Nanos
	Catalog        *Catalog
	CustomerOrder  []string
	UnknownRejects int64
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
	cat.index()
	entries := make(map[string]*CustomerHandle, len(st.Customers)*2)
	perShard := make([][]*Customer, len(e.shards))
	handles := make(map[string]*CustomerHandle, len(st.Customers))
	for _, c := range st.Customers {
		if _, dup := handles[c.ID]; dup {
			return fmt.Errorf("restore: customer %s appears twice", c.ID)
		}
		h := &CustomerHandle{ID: c.ID, Shard: e.shardOf(c.ID)}
		h.view.Store(emptyView)
		handles[c.ID] = h
		entries[c.ID] = h
		for _, a := range c.IngestAliases {
			entries[a] = h
		}
		perShard[h.Shard] = append(perShard[h.Shard], c)
	}
	dedupPerShard := make([][]DedupBucket, len(e.shards))
	for _, b := range st.Dedup {
		split := make([][]byte, len(e.shards))
		for off := 0; off+16 <= len(b.Keys); off += 16 {
			k := b.Keys[off : off+16]
			i := int(dedupKeyCustomerHash(k) % uint64(len(e.shards)))
			split[i] = append(split[i], k...)
		}
		for i, keys := range split {
			if len(keys) > 0 {
				dedupPerShard[i] = append(dedupPerShard[i], DedupBucket{Day: b.Day, Keys: keys})
			}
		}
	}

	e.catalog.Store(cat)
	e.now.Store(st.Now)
	e.applied.Store(st.Index)
	e.unknownRejects.Store(st.UnknownRejects)
	e.dir.bulkLoad(entries)
	e.orderMu.Lock()
	e.customerOrder = append([]string(nil), st.CustomerOrder...)
	e.orderMu.Unlock()

	var wg sync.WaitGroup
	for i, s := range e.shards {
		wg.Add(1)
		i := i
		s.work <- shardWork{read: func(s *shard) {
			defer wg.Done()
			e.shardDue[i] = s.load(perShard[i], handles, dedupPerShard[i], cat, st.Now)
		}}
	}
	wg.Wait()
	e.refreshNextDue()
	return nil
}

// load replaces the shard's state and returns its earliest pending transition.
func (s *shard) load(customers []*Customer, handles map[string]*CustomerHandle, dedup []DedupBucket, cat *Catalog, now Nanos) Nanos {
	s.customers = make(map[string]*Customer, len(customers))
	s.dedup = newDedupIndex()
	s.dedup.load(dedup)
	s.due = nil
	for _, c := range customers {
		s.customers[c.ID] = c
		c.handle = handles[c.ID]
		c.NextDue = 0
		s.schedule(c, now)
		s.publish(c, cat, now)
	}
	return s.due.min()
}
