package engine

import (
	"maps"
	"sync/atomic"
)

// CustomerHandle is the part of a customer that any goroutine may read: its
// id, its shard and its published entitlement view.
type CustomerHandle struct {
	ID   string
	view atomic.Pointer[EntitlementView]
	// aliases are the ingest aliases the directory maps to this handle and
	// archived (below) is set once the customer's archive is in the log; both are
	// written only by the apply goroutine (routes, restore), in log order,
	// so a later command sees them as the log leaves them. archived may be
	// read anywhere (customers/list).
	aliases []string
	// customer is the state the owning shard holds for this handle, so a
	// task finds its customer without a map lookup. Only that shard's
	// goroutine reads or writes it (set when the shard adopts or loads the
	// customer); readers on other goroutines use view.
	customer *Customer
	// Shard is the customer's shard (32 bits: with archived, one word, so
	// a handle fits 64 bytes).
	Shard    int32
	archived atomic.Bool
}

// Archived reports whether the customer's archive has been applied.
func (h *CustomerHandle) Archived() bool { return h.archived.Load() }

// View returns the customer's latest published entitlement view (never nil
// once the customer's creation has been applied).
func (h *CustomerHandle) View() *EntitlementView { return h.view.Load() }

// The directory's partitioning. An insert copies its partition's small
// fixed delta and, every directoryDeltaMax inserts, clones its base map,
// so its cost grows with keys/directoryPartitions: with 4096 partitions a
// million customers (two keys each) are about 500 keys a partition
// (BenchmarkDirectoryInsert).
const (
	directoryPartitions = 4096
	directoryDeltaMax   = 8
)

// directory maps customer ids and ingest aliases to handles. Reads are
// lock-free and allocation-free; the single writer (the apply goroutine)
// publishes copy-on-write partitions. Each partition keeps a short delta in
// front of a larger base map so an insert copies at most the delta, and the
// base is rebuilt only every directoryDeltaMax inserts. A partition no key
// has reached is nil: an empty engine costs the pointers alone.
type directory struct {
	parts [directoryPartitions]atomic.Pointer[dirPart]
}

// dirPart is one partition: its base map and the n keys inserted since it
// was built, oldest first (the last one for a key wins; a nil handle hides
// the base's). A lookup scans the delta's hashes, one cache line, and
// compares a key only where its hash matches.
type dirPart struct {
	base   map[string]*CustomerHandle
	n      int
	hashes [directoryDeltaMax]uint64
	keys   [directoryDeltaMax]string
	hs     [directoryDeltaMax]*CustomerHandle
}

func newDirectory() *directory { return &directory{} }

func fnv64a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func fnv64aBytes(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// lookup finds a customer by id or alias.
func (d *directory) lookup(key string) *CustomerHandle {
	hv := fnv64a(key)
	p := d.parts[hv%directoryPartitions].Load()
	if p == nil {
		return nil
	}
	for i := p.n - 1; i >= 0; i-- {
		if p.hashes[i] == hv && p.keys[i] == key {
			return p.hs[i] // nil: removed since the base was built
		}
	}
	return p.base[key]
}

// lookupBytes is lookup for a key held in a byte slice, without allocating.
func (d *directory) lookupBytes(key []byte) *CustomerHandle {
	hv := fnv64aBytes(key)
	p := d.parts[hv%directoryPartitions].Load()
	if p == nil {
		return nil
	}
	for i := p.n - 1; i >= 0; i-- {
		if p.hashes[i] == hv && p.keys[i] == string(key) {
			return p.hs[i]
		}
	}
	return p.base[string(key)]
}

// insert publishes key → h. Only the apply goroutine calls it.
func (d *directory) insert(key string, h *CustomerHandle) {
	hv := fnv64a(key)
	slot := &d.parts[hv%directoryPartitions]
	next := &dirPart{}
	if old := slot.Load(); old != nil {
		*next = *old
	}
	if next.n < directoryDeltaMax {
		next.hashes[next.n], next.keys[next.n], next.hs[next.n] = hv, key, h
		next.n++
		slot.Store(next)
		return
	}
	base := maps.Clone(next.base) // copies the table, without rehashing
	if base == nil {
		base = make(map[string]*CustomerHandle, directoryDeltaMax+1)
	}
	for i := range next.n {
		setOrDelete(base, next.keys[i], next.hs[i])
	}
	setOrDelete(base, key, h)
	slot.Store(&dirPart{base: base})
}

// setOrDelete sets key to h in m, or deletes it when h is nil.
func setOrDelete(m map[string]*CustomerHandle, key string, h *CustomerHandle) {
	if h == nil {
		delete(m, key)
		return
	}
	m[key] = h
}

// remove stops key from resolving (an ingest alias a customer gave up):
// a nil entry in the delta hides the base's until the base is rebuilt.
// Only the apply goroutine calls it.
func (d *directory) remove(key string) { d.insert(key, nil) }

// bulkLoad replaces the whole directory (Restore). It swaps one partition
// at a time while checks look up, so a key resolves to its old handle or
// its new one, each with a complete view, never to nothing in between
// unless the new state lacks it.
func (d *directory) bulkLoad(entries map[string]*CustomerHandle) {
	parts := make([]map[string]*CustomerHandle, directoryPartitions)
	for k, h := range entries {
		i := fnv64a(k) % directoryPartitions
		if parts[i] == nil {
			parts[i] = map[string]*CustomerHandle{}
		}
		parts[i][k] = h
	}
	for i := range d.parts {
		if parts[i] == nil {
			d.parts[i].Store(nil)
			continue
		}
		d.parts[i].Store(&dirPart{base: parts[i]})
	}
}
