package engine

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// randomKey is a dedup key of random bytes; with few, every byte of the
// hash comes from a handful of values, so keys collide in their placement.
func randomKey(r *rand.Rand, few bool) dedupKey {
	var k dedupKey
	for i := range k {
		if few {
			k[i] = byte(r.IntN(3))
		} else {
			k[i] = byte(r.Uint32())
		}
	}
	return k
}

// The set agrees with a Go map through growth, the split into parts and
// the zero key, and lists each key once in byte order.
func TestKeySetMatchesAMap(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		few  bool
	}{
		{"small", 100, false},
		{"past the split", 3 * keySetSplitAt, false},
		{"clustered placement", 5000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(tc.n), 7))
			s, want := newKeySet(0), map[dedupKey]bool{}
			for i := 0; i < tc.n; i++ {
				k := randomKey(r, tc.few)
				if i%97 == 0 { // a zero hash word, which marks empty slots
					copy(k[4:12], make([]byte, 8))
				}
				if i%5 == 0 && len(want) > 0 { // re-add a key already in
					for old := range want {
						k = old
						break
					}
				}
				if got := s.add(&k); got != !want[k] {
					t.Fatalf("add %d: new=%v, the map says %v", i, got, !want[k])
				}
				want[k] = true
				probe := randomKey(r, tc.few)
				if s.has(&probe) != want[probe] {
					t.Fatalf("has(%x) = %v, the map says %v", probe, !want[probe], want[probe])
				}
			}
			if s.len() != len(want) {
				t.Fatalf("len %d, want %d", s.len(), len(want))
			}
			if tc.n > keySetSplitAt && s.parts == nil {
				t.Fatal("a set past the split point is still one table")
			}
			flat := s.sortedBytes()
			if len(flat) != dedupKeyLen*len(want) {
				t.Fatalf("%d bytes for %d keys", len(flat), len(want))
			}
			for off := 0; off < len(flat); off += dedupKeyLen {
				k := dedupKey(flat[off : off+dedupKeyLen])
				if !want[k] {
					t.Fatalf("listed %x, never added", k)
				}
				if off > 0 && bytes.Compare(flat[off-dedupKeyLen:off], flat[off:off+dedupKeyLen]) >= 0 {
					t.Fatalf("keys out of order at %d", off/dedupKeyLen)
				}
			}
		})
	}
}

func TestNilKeySetIsEmpty(t *testing.T) {
	var s *keySet
	k, zero := dedupKey{1}, dedupKey{}
	if s.has(&k) || s.has(&zero) {
		t.Fatal("a nil set has keys")
	}
}

// Keys a client could craft to share their murmur word (the bytes a probe
// compares first) still spread over the table: placement is seeded, so no
// probe run grows with them.
func TestKeySetSpreadsKeysThatShareTheirWord(t *testing.T) {
	s := newKeySet(0)
	for i := 0; i < 20000; i++ {
		k := dedupKey{4: 0xAB, 11: 0xCD}
		binary.BigEndian.PutUint64(k[12:20], uint64(i))
		if !s.add(&k) {
			t.Fatalf("key %d not new", i)
		}
	}
	if s.len() != 20000 {
		t.Fatalf("len %d", s.len())
	}
	if d := longestDisplacement(s); d > 64 {
		t.Fatalf("a key sits %d slots past its home", d)
	}
}

// longestDisplacement is how far past its home slot the furthest key sits.
func longestDisplacement(s *keySet) int {
	worst := 0
	measure := func(t *keyTable) {
		mask := len(t.slots) - 1
		for i := range t.slots {
			if keyWord(&t.slots[i]) == 0 {
				continue
			}
			home := int(place(s.seed, &t.slots[i])) & mask
			worst = max(worst, (i-home+len(t.slots))&mask)
		}
	}
	measure(&s.small)
	for i := range s.parts {
		measure(&s.parts[i])
	}
	return worst
}

// Keys whose hash word is zero (the mark of an empty slot) are kept apart,
// each once, and listed with the others.
func TestKeySetKeepsKeysWithAZeroHashWord(t *testing.T) {
	s := newKeySet(0)
	a, b := dedupKey{}, dedupKey{19: 1}
	for _, k := range []*dedupKey{&a, &b} {
		if s.has(k) || !s.add(k) || !s.has(k) || s.add(k) {
			t.Fatalf("%x: not added exactly once", *k)
		}
	}
	if s.len() != 2 || s.small.used != 0 || len(s.zeroWord) != 2 || len(s.sortedBytes()) != 2*dedupKeyLen {
		t.Fatalf("len %d, %d in the table, %d bytes listed", s.len(), s.small.used, len(s.sortedBytes()))
	}
}

// A set sized for n keys holds them without growing.
func TestNewKeySetIsSizedOnce(t *testing.T) {
	s := newKeySet(20000)
	if s.parts == nil {
		t.Fatal("20000 keys fit one table only past the split point")
	}
	sizes := map[int]bool{}
	for i := range s.parts {
		sizes[len(s.parts[i].slots)] = true
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		k := randomKey(r, false)
		s.add(&k)
	}
	grown := 0
	for i := range s.parts {
		if !sizes[len(s.parts[i].slots)] {
			grown++
		}
	}
	// Keys spread unevenly over the parts: a few may grow, most must not.
	if grown > keySetParts/10 {
		t.Fatalf("%d of %d parts grew", grown, keySetParts)
	}
}

// benchSink keeps what a benchmark read from being optimised away.
var benchSink uint64

// BenchmarkDedupInsertLarge is the cost of inserting a new key into one
// day's set that already holds 4M keys, where every insert misses the
// caches (BenchmarkDedupInsert's sets stay small), beside the same loop over
// the Go map the index used before.
//
//	go test ./engine -run '^$' -bench DedupInsertLarge -benchtime 2000000x
func BenchmarkDedupInsertLarge(b *testing.B) {
	const held = 4_000_000
	keys := func() func() dedupKey {
		r := rand.New(rand.NewPCG(1, 2))
		return func() dedupKey {
			var k dedupKey
			binary.BigEndian.PutUint32(k[0:4], r.Uint32())
			binary.BigEndian.PutUint64(k[4:12], r.Uint64())
			binary.BigEndian.PutUint64(k[12:20], r.Uint64())
			return k
		}
	}
	// fresh are the keys a run inserts, made before the clock starts.
	fresh := func(b *testing.B, next func() dedupKey) []dedupKey {
		ks := make([]dedupKey, b.N)
		for i := range ks {
			ks[i] = next()
		}
		return ks
	}
	b.Run("keySet", func(b *testing.B) {
		s, next := newKeySet(0), keys()
		for i := 0; i < held; i++ {
			k := next()
			s.add(&k)
		}
		ks := fresh(b, next)
		b.ResetTimer()
		for i := range ks {
			s.add(&ks[i])
		}
	})
	// keySetWarmed inserts runs of 128 keys as a shard run does with
	// warmDedup: every key's slot is read first, then the keys are added.
	b.Run("keySetWarmed", func(b *testing.B) {
		s, next := newKeySet(0), keys()
		for i := 0; i < held; i++ {
			k := next()
			s.add(&k)
		}
		ks := fresh(b, next)
		var sink uint64
		b.ResetTimer()
		for i := 0; i < len(ks); i += 128 {
			run := ks[i:min(i+128, len(ks))]
			for j := range run {
				sink += s.touch(&run[j])
			}
			for j := range run {
				s.add(&run[j])
			}
		}
		benchSink = sink
	})
	b.Run("goMap", func(b *testing.B) {
		m, next := map[dedupKey]struct{}{}, keys()
		for i := 0; i < held; i++ {
			m[next()] = struct{}{}
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			m[next()] = struct{}{}
		}
	})
}

// An event's dedup key is its customer's id and transaction id, however
// the event names the customer: warmDedup computes it from the handle
// before rating, and the entry's second copy of an event (sent under the
// customer's alias) is a duplicate of the first (sent under its id).
func TestWarmedDedupKeyIsTheCustomersID(t *testing.T) {
	e, h := benchEngine(t, 10, 2)
	ts := h.now.UnixNano()
	ev := func(customer, tx string) Event {
		return Event{TransactionID: tx, CustomerID: customer, EventType: "call", Timestamp: ts}
	}
	h.index++
	res := e.Apply([]Entry{{Index: h.index, Time: ts, Commands: []Command{&Ingest{Events: []Event{
		ev("cust-0000003", "tx-1"), ev("alias-cust-0000003", "tx-1"), ev("alias-cust-0000004", "tx-1"),
	}}}}})[0][0]
	if res.Ingest == nil || res.Ingest.Accepted != 2 || res.Ingest.Duplicates != 1 {
		t.Fatalf("outcome %+v, want 2 accepted (one per customer) and 1 duplicate", res.Ingest)
	}
	for _, id := range []string{"cust-0000003", "cust-0000004"} {
		hd := e.dir.lookup(id)
		if hd == nil || !e.shards[hd.Shard].dedup.seen(ts, id, "tx-1") {
			t.Errorf("%s: tx-1 is not recorded under the customer's id", id)
		}
	}
}
