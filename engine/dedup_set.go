package engine

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// keySet is a set of dedup keys for one day of one shard: open addressing
// with linear probing over the key's own hash bits (bytes 4-12 of a key are
// already a uniform 64-bit hash, so nothing is hashed again, and a probe
// compares that word before the whole key). At millions of keys every
// insert lands on a random cache line; a slot here holds the key itself,
// where Go's map reads a group's control word and then its slot
// (BenchmarkDedupInsertLarge).
//
// A small set is one table. Past keySetSplitAt slots it splits into
// keySetParts tables by the hash's top bits, so that growing one moves at
// most 1/keySetParts of the keys and the shard never stalls for a whole
// rehash. A slot whose hash word is zero is empty, so the keys whose hash
// word is zero (one in 2^64) are kept in a list beside the tables.
type keySet struct {
	small    keyTable
	parts    []keyTable // nil while the set is small
	n        int
	zeroHash []dedupKey
}

// keyTable is one open-addressing table; len(slots) is a power of two.
type keyTable struct {
	slots []dedupKey
	used  int
}

const (
	keySetPartBits = 10
	keySetParts    = 1 << keySetPartBits
	keySetSplitAt  = 8192 // slots in the small table before it splits
	keyTableMinCap = 8
)

// newKeySet returns a set with room for about n keys before it grows (a
// quarter more, as keys spread unevenly over the parts).
func newKeySet(n int) *keySet {
	s := &keySet{}
	for s.capacity() < n+n/4 { // sized once rather than grown as keys arrive
		s.grow()
	}
	return s
}

// capacity is how many keys fit before the next grow.
func (s *keySet) capacity() int {
	if s.parts != nil {
		return len(s.parts) * len(s.parts[0].slots) * 3 / 4
	}
	return len(s.small.slots) * 3 / 4
}

// grow doubles the small table, or splits it once it is large.
func (s *keySet) grow() {
	if s.parts == nil && len(s.small.slots) >= keySetSplitAt {
		s.split()
		return
	}
	if s.parts == nil {
		s.small.grow()
		return
	}
	for i := range s.parts {
		s.parts[i].grow()
	}
}

// keyHash is the 64 hash bits a key is placed by.
func keyHash(k *dedupKey) uint64 { return binary.BigEndian.Uint64(k[4:12]) }

// table returns the table that holds k.
func (s *keySet) table(h uint64) *keyTable {
	if s.parts == nil {
		return &s.small
	}
	return &s.parts[h>>(64-keySetPartBits)]
}

// has reports whether k is in the set (a nil set is empty).
func (s *keySet) has(k *dedupKey) bool {
	if s == nil {
		return false
	}
	h := keyHash(k)
	if h == 0 {
		return slices.Contains(s.zeroHash, *k)
	}
	return s.table(h).find(k, h) >= 0
}

// add inserts k and reports whether it was new.
func (s *keySet) add(k *dedupKey) bool {
	h := keyHash(k)
	if h == 0 {
		if slices.Contains(s.zeroHash, *k) {
			return false
		}
		s.zeroHash = append(s.zeroHash, *k)
		s.n++
		return true
	}
	if s.parts == nil && s.small.full() && len(s.small.slots) >= keySetSplitAt {
		s.split()
	}
	if !s.table(h).add(k, h) {
		return false
	}
	s.n++
	return true
}

// len is the number of keys.
func (s *keySet) len() int { return s.n }

// each calls f with every key, in no particular order.
func (s *keySet) each(f func(k *dedupKey)) {
	for i := range s.zeroHash {
		f(&s.zeroHash[i])
	}
	s.small.each(f)
	for i := range s.parts {
		s.parts[i].each(f)
	}
}

// sortedBytes concatenates the keys in byte order, as a snapshot lists them.
func (s *keySet) sortedBytes() []byte {
	keys := make([]dedupKey, 0, s.n)
	s.each(func(k *dedupKey) { keys = append(keys, *k) })
	slices.SortFunc(keys, func(a, b dedupKey) int { return bytes.Compare(a[:], b[:]) })
	flat := make([]byte, 0, dedupKeyLen*len(keys))
	for i := range keys {
		flat = append(flat, keys[i][:]...)
	}
	return flat
}

// split moves the small table's keys into keySetParts tables.
func (s *keySet) split() {
	per := len(s.small.slots) / keySetParts * 2
	if per < keyTableMinCap {
		per = keyTableMinCap
	}
	s.parts = make([]keyTable, keySetParts)
	for i := range s.parts {
		s.parts[i].slots = make([]dedupKey, per)
	}
	old := s.small
	s.small = keyTable{}
	old.each(func(k *dedupKey) {
		h := keyHash(k)
		s.table(h).add(k, h)
	})
}

// find returns the slot holding k (placed by h, not zero), or -1.
func (t *keyTable) find(k *dedupKey, h uint64) int {
	if len(t.slots) == 0 {
		return -1
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch keyHash(&t.slots[i]) {
		case 0:
			return -1
		case h:
			if t.slots[i] == *k {
				return int(i)
			}
		}
	}
}

// full reports whether one more key would take the table past 3/4 full
// (linear probing's runs grow quickly beyond).
func (t *keyTable) full() bool { return (t.used+1)*4 > len(t.slots)*3 }

// add stores k (placed by h, not zero) unless it is there already, growing
// the table first when it is full; it reports whether k was new. One probe
// finds k or the free slot it goes in.
func (t *keyTable) add(k *dedupKey, h uint64) bool {
	if t.full() {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch keyHash(&t.slots[i]) {
		case 0:
			t.slots[i] = *k
			t.used++
			return true
		case h:
			if t.slots[i] == *k {
				return false
			}
		}
	}
}

// grow doubles the table (or makes its first one).
func (t *keyTable) grow() {
	n := 2 * len(t.slots)
	if n < keyTableMinCap {
		n = keyTableMinCap
	}
	old := t.slots
	t.slots, t.used = make([]dedupKey, n), 0
	for i := range old {
		if h := keyHash(&old[i]); h != 0 {
			t.add(&old[i], h)
		}
	}
}

// each calls f with every key of the table.
func (t *keyTable) each(f func(k *dedupKey)) {
	for i := range t.slots {
		if keyHash(&t.slots[i]) != 0 {
			f(&t.slots[i])
		}
	}
}
