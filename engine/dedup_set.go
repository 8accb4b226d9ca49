package engine

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"slices"
)

// keySet is a set of dedup keys for one day of one shard: open addressing
// with linear probing, each slot holding a key itself. At millions of keys
// every insert lands on a random cache line; Go's map reads a group's
// control word and then its slot, often two lines and two TLB misses on a
// VM (BenchmarkDedupInsertLarge).
//
// Keys are placed by a hash seeded per set (hash/maphash), as Go's maps
// are: a key is mostly a murmur3 hash of ids a client chooses, and placing
// by those bits would let a client craft ids that pile into one probe run
// and stall the shard. A probe compares a key's bytes 4-12 (its murmur
// word) before the whole key; a slot whose word is zero is empty, so the
// keys whose word is zero (one in 2^64) are kept in a map beside.
//
// A small set is one table. Past keySetSplitAt slots it splits into
// keySetParts tables by the hash's top bits, so that growing one moves at
// most 1/keySetParts of the keys and the shard never stalls for a whole
// rehash. Results never depend on placement: sortedBytes sorts.
type keySet struct {
	seed     maphash.Seed
	small    keyTable
	parts    []keyTable // nil while the set is small
	n        int
	zeroWord map[dedupKey]struct{}
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
	s := &keySet{seed: maphash.MakeSeed()}
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

// grow doubles every table, or splits the small one once it is large.
func (s *keySet) grow() {
	switch {
	case s.parts == nil && len(s.small.slots) >= keySetSplitAt:
		s.split()
	case s.parts == nil:
		s.small.grow(s.seed)
	default:
		for i := range s.parts {
			s.parts[i].grow(s.seed)
		}
	}
}

// keyWord is the word a probe compares before the whole key.
func keyWord(k *dedupKey) uint64 { return binary.BigEndian.Uint64(k[4:12]) }

// place is the seeded hash a key is placed by.
func place(seed maphash.Seed, k *dedupKey) uint64 { return maphash.Bytes(seed, k[:]) }

// table returns the table that holds the keys placed at h.
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
	w := keyWord(k)
	if w == 0 {
		_, ok := s.zeroWord[*k]
		return ok
	}
	h := place(s.seed, k)
	return s.table(h).find(k, w, h) >= 0
}

// add inserts k and reports whether it was new.
func (s *keySet) add(k *dedupKey) bool {
	w := keyWord(k)
	if w == 0 {
		return s.addZeroWord(k)
	}
	if s.parts == nil && s.small.full() && len(s.small.slots) >= keySetSplitAt {
		s.split()
	}
	h := place(s.seed, k)
	if !s.table(h).add(k, w, h, s.seed) {
		return false
	}
	s.n++
	return true
}

// addZeroWord adds a key whose word marks empty slots.
func (s *keySet) addZeroWord(k *dedupKey) bool {
	if _, ok := s.zeroWord[*k]; ok {
		return false
	}
	if s.zeroWord == nil {
		s.zeroWord = map[dedupKey]struct{}{}
	}
	s.zeroWord[*k] = struct{}{}
	s.n++
	return true
}

// len is the number of keys.
func (s *keySet) len() int { return s.n }

// each calls f with every key, in no particular order.
func (s *keySet) each(f func(k *dedupKey)) {
	for k := range s.zeroWord {
		f(&k)
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
	per := max(len(s.small.slots)/keySetParts*2, keyTableMinCap)
	s.parts = make([]keyTable, keySetParts)
	for i := range s.parts {
		s.parts[i].slots = make([]dedupKey, per)
	}
	old := s.small
	s.small = keyTable{}
	old.each(func(k *dedupKey) {
		h := place(s.seed, k)
		s.table(h).add(k, keyWord(k), h, s.seed)
	})
}

// find returns the slot holding k (word w, placed at h), or -1.
func (t *keyTable) find(k *dedupKey, w, h uint64) int {
	if len(t.slots) == 0 {
		return -1
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch keyWord(&t.slots[i]) {
		case 0:
			return -1
		case w:
			if t.slots[i] == *k {
				return int(i)
			}
		}
	}
}

// full reports whether one more key would take the table past 3/4 full
// (linear probing's runs grow quickly beyond).
func (t *keyTable) full() bool { return (t.used+1)*4 > len(t.slots)*3 }

// add stores k (word w, not zero; placed at h) unless it is there already,
// growing the table first when it is full; it reports whether k was new.
// One probe finds k or the free slot it goes in.
func (t *keyTable) add(k *dedupKey, w, h uint64, seed maphash.Seed) bool {
	if t.full() {
		t.grow(seed)
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch keyWord(&t.slots[i]) {
		case 0:
			t.slots[i] = *k
			t.used++
			return true
		case w:
			if t.slots[i] == *k {
				return false
			}
		}
	}
}

// grow doubles the table (or makes its first one).
func (t *keyTable) grow(seed maphash.Seed) {
	old := t.slots
	t.slots, t.used = make([]dedupKey, max(2*len(old), keyTableMinCap)), 0
	for i := range old {
		if w := keyWord(&old[i]); w != 0 {
			t.add(&old[i], w, place(seed, &old[i]), seed)
		}
	}
}

// each calls f with every key of the table.
func (t *keyTable) each(f func(k *dedupKey)) {
	for i := range t.slots {
		if keyWord(&t.slots[i]) != 0 {
			f(&t.slots[i])
		}
	}
}
