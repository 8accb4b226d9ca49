package engine

import "sync"

// owners maps object ids (alerts, payment workflows) to their customer's
// handle, for routing commands that name only the object. A plain map
// under a read-write lock: an entry costs the map slot alone (the id string
// is the object's own), where a sync.Map spent about 130 bytes an entry on
// its trie nodes, and the owners of a million customers' alerts are
// millions of entries.
type owners struct {
	mu sync.RWMutex
	m  map[string]*CustomerHandle
}

// load returns the owner of id, if known.
func (o *owners) load(id string) (*CustomerHandle, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	h, ok := o.m[id]
	return h, ok
}

// store records id's owner.
func (o *owners) store(id string, h *CustomerHandle) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[string]*CustomerHandle{}
	}
	o.m[id] = h
}

// reset replaces every entry with m (restore).
func (o *owners) reset(m map[string]*CustomerHandle) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.m = m
}
