package engine

import "sync/atomic"

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

const (
	directoryPartitions = 256
	directoryDeltaMax   = 64
)

// directory maps customer ids and ingest aliases to handles. Reads are
// lock-free and allocation-free; the single writer (the apply goroutine)
// publishes copy-on-write partitions. Each partition keeps a small delta map
// in front of a large base map so an insert copies at most the delta, and the
// base is rebuilt only every directoryDeltaMax inserts.
type directory struct {
	parts [directoryPartitions]atomic.Pointer[dirPart]
}

type dirPart struct {
	base  map[string]*CustomerHandle
	delta map[string]*CustomerHandle
}

func newDirectory() *directory {
	d := &directory{}
	for i := range d.parts {
		d.parts[i].Store(&dirPart{base: map[string]*CustomerHandle{}, delta: map[string]*CustomerHandle{}})
	}
	return d
}

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
	p := d.parts[fnv64a(key)%directoryPartitions].Load()
	if h, ok := p.delta[key]; ok {
		return h // nil: removed since the base was built
	}
	return p.base[key]
}

// lookupBytes is lookup for a key held in a byte slice, without allocating.
func (d *directory) lookupBytes(key []byte) *CustomerHandle {
	p := d.parts[fnv64aBytes(key)%directoryPartitions].Load()
	if h, ok := p.delta[string(key)]; ok {
		return h
	}
	return p.base[string(key)]
}

// insert publishes key → h. Only the apply goroutine calls it.
func (d *directory) insert(key string, h *CustomerHandle) {
	slot := &d.parts[fnv64a(key)%directoryPartitions]
	old := slot.Load()
	if len(old.delta) >= directoryDeltaMax {
		base := make(map[string]*CustomerHandle, len(old.base)+len(old.delta)+1)
		for k, v := range old.base {
			base[k] = v
		}
		for k, v := range old.delta {
			if v == nil {
				delete(base, k)
			} else {
				base[k] = v
			}
		}
		if h == nil {
			delete(base, key)
		} else {
			base[key] = h
		}
		slot.Store(&dirPart{base: base, delta: map[string]*CustomerHandle{}})
		return
	}
	delta := make(map[string]*CustomerHandle, len(old.delta)+1)
	for k, v := range old.delta {
		delta[k] = v
	}
	delta[key] = h
	slot.Store(&dirPart{base: old.base, delta: delta})
}

// remove stops key from resolving (an ingest alias a customer gave up):
// a nil entry in the delta hides the base's until the base is rebuilt.
// Only the apply goroutine calls it.
func (d *directory) remove(key string) { d.insert(key, nil) }

// bulkLoad replaces the whole directory; used by Restore on a fresh engine.
func (d *directory) bulkLoad(entries map[string]*CustomerHandle) {
	parts := make([]map[string]*CustomerHandle, directoryPartitions)
	for i := range parts {
		parts[i] = map[string]*CustomerHandle{}
	}
	for k, h := range entries {
		parts[fnv64a(k)%directoryPartitions][k] = h
	}
	for i := range d.parts {
		d.parts[i].Store(&dirPart{base: parts[i], delta: map[string]*CustomerHandle{}})
	}
}
