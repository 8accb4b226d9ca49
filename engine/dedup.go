package engine

import (
	"bytes"
	"encoding/binary"
	"sort"
)

const nanosPerDay = int64(24 * 60 * 60 * 1_000_000_000)

// dedupKeyLen is the size of a dedup key: 4 bytes routing the key to its
// customer's shard, then a 128-bit hash of the customer id and the
// transaction id. With 128 bits a collision (which would drop a real event)
// is out of reach even for billions of ids per customer and window.
const dedupKeyLen = 20

// legacyKeyLen is the size of the keys of builds up to v0.1.0: 8 bytes of
// customer hash and 64 bits of (customer, transaction) hash. Indexes loaded
// from their snapshots keep those keys, checked alongside, until they expire.
const legacyKeyLen = 16

type dedupKey [dedupKeyLen]byte
type legacyKey [legacyKeyLen]byte

// maxStackHashInput is how long a customer and transaction id may be
// together to be hashed from a stack buffer; longer ones allocate.
const maxStackHashInput = 256

// makeDedupKey identifies one (customer, transaction id) pair.
func makeDedupKey(customerID, transactionID string) dedupKey {
	var k dedupKey
	binary.BigEndian.PutUint32(k[0:4], routeHash(customerID))
	var stack [maxStackHashInput]byte
	in := stack[:0]
	if len(customerID)+1+len(transactionID) > maxStackHashInput {
		in = make([]byte, 0, len(customerID)+1+len(transactionID))
	}
	in = append(append(append(in, customerID...), 0), transactionID...)
	h1, h2 := murmur3x64_128(in)
	binary.BigEndian.PutUint64(k[4:12], h1)
	binary.BigEndian.PutUint64(k[12:20], h2)
	return k
}

// makeLegacyKey computes the key builds up to v0.1.0 used, to look up the
// entries loaded from their snapshots.
func makeLegacyKey(customerID, transactionID string) legacyKey {
	var k legacyKey
	binary.BigEndian.PutUint64(k[0:8], fnv64a(customerID))
	h := fnv64a(customerID)
	h ^= 0xff
	h *= 1099511628211
	for i := 0; i < len(transactionID); i++ {
		h ^= uint64(transactionID[i])
		h *= 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	binary.BigEndian.PutUint64(k[8:16], h)
	return k
}

// routeHash is the customer hash both the shard assignment and the dedup
// key's routing bytes use, so a key can be sent to its customer's shard
// without knowing the customer.
func routeHash(customerID string) uint32 { return uint32(fnv64a(customerID)) }

// keyShard returns the shard of a dedup key of either layout.
func keyShard(k []byte, shards int) int {
	if len(k) == legacyKeyLen {
		return int(uint32(binary.BigEndian.Uint64(k[0:8])) % uint32(shards))
	}
	return int(binary.BigEndian.Uint32(k[0:4]) % uint32(shards))
}

type dayBuckets = map[int64]*keySet
type legacyBuckets = map[int64]map[legacyKey]struct{}

// dedupIndex remembers the transaction ids seen, bucketed by the UTC day of
// the event's timestamp. A resent event keeps its timestamp, so it lands in
// the same bucket; buckets older than the window are dropped whole, and the
// engine rejects events older than the window, so nothing is counted twice.
type dedupIndex struct {
	// keys counts the keys held in every layer, for the memory budget.
	keys    int64
	buckets dayBuckets
	// frozen holds the index as of a snapshot being written: read-only
	// until merged back, while new keys go to buckets.
	frozen dayBuckets
	// legacy holds keys loaded from snapshots of builds up to v0.1.0. It
	// only shrinks (expiry replaces the map, never edits it), so a snapshot
	// can share it.
	legacy legacyBuckets
	// cut is the latest day dropBefore was asked to keep from (cutSet: it
	// was asked): thaw drops what the frozen layer still holds before it,
	// so the index never depends on when a snapshot finished.
	cut    int64
	cutSet bool
}

func newDedupIndex() *dedupIndex {
	return &dedupIndex{buckets: dayBuckets{}}
}

func dayOf(t Nanos) int64 {
	d := t / nanosPerDay
	if t < 0 && t%nanosPerDay != 0 {
		d--
	}
	return d
}

// freeze hands the current index to a snapshot and starts an empty live
// layer; the snapshot reads the frozen maps while the shard goes on.
func (d *dedupIndex) freeze() dedupImageSource {
	d.thaw()
	d.frozen, d.buckets = d.buckets, dayBuckets{}
	return dedupImageSource{current: d.frozen, legacy: d.legacy}
}

// thaw merges the live layer back into the frozen maps once no snapshot
// reads them any more.
func (d *dedupIndex) thaw() {
	if d.frozen == nil {
		return
	}
	for day, m := range d.buckets {
		if f := d.frozen[day]; f != nil {
			m.each(func(k *dedupKey) { f.add(k) })
		} else {
			d.frozen[day] = m
		}
	}
	d.buckets, d.frozen = d.frozen, nil
	if d.cutSet {
		d.dropBefore(d.cut)
	}
}

// seen reports whether the pair is recorded for t's day, without recording
// it: a consume whose events were all metered already is a retry.
func (d *dedupIndex) seen(t Nanos, customerID, transactionID string) bool {
	day := dayOf(t)
	k := makeDedupKey(customerID, transactionID)
	if d.buckets[day].has(&k) || d.frozen[day].has(&k) {
		return true
	}
	if l := d.legacy[day]; l != nil {
		_, ok := l[makeLegacyKey(customerID, transactionID)]
		return ok
	}
	return false
}

// insert records the pair at t and reports whether it was new, with one
// hash operation on the live layer in the common case (the frozen and
// legacy layers are only consulted while they exist).
func (d *dedupIndex) insert(t Nanos, customerID, transactionID string) bool {
	k := makeDedupKey(customerID, transactionID)
	return d.insertKey(t, &k, customerID, transactionID)
}

// insertKey is insert with the pair's key k already computed.
func (d *dedupIndex) insertKey(t Nanos, k *dedupKey, customerID, transactionID string) bool {
	day := dayOf(t)
	if d.frozen[day].has(k) {
		return false
	}
	if l := d.legacy[day]; l != nil {
		if _, ok := l[makeLegacyKey(customerID, transactionID)]; ok {
			return false
		}
	}
	b := d.buckets[day]
	if b == nil {
		b = newKeySet(0)
		d.buckets[day] = b
	}
	if b.add(k) {
		d.keys++
		return true
	}
	return false
}

// expire drops buckets whose whole day lies before cutoff (frozen ones are
// dropped after they are merged back).
func (d *dedupIndex) expire(cutoff Nanos) {
	d.dropBefore(dayOf(cutoff))
}

// dropBefore drops every bucket of a day before cut (frozen ones after they
// are merged back).
func (d *dedupIndex) dropBefore(cut int64) {
	if !d.cutSet || cut > d.cut {
		d.cut, d.cutSet = cut, true
	}
	for day, m := range d.buckets {
		if day < cut {
			d.keys -= int64(m.len())
			delete(d.buckets, day)
		}
	}
	stale := false
	for day := range d.legacy {
		stale = stale || day < cut
	}
	if stale {
		kept := legacyBuckets{}
		for day, m := range d.legacy {
			if day >= cut {
				kept[day] = m
			} else {
				d.keys -= int64(len(m))
			}
		}
		d.legacy = kept
	}
}

// oldestDay is the earliest day with keys, and false when there is none.
func (d *dedupIndex) oldestDay() (int64, bool) {
	oldest, found := int64(0), false
	consider := func(day int64) {
		if !found || day < oldest {
			oldest, found = day, true
		}
	}
	for day := range d.buckets {
		consider(day)
	}
	for day := range d.frozen {
		consider(day)
	}
	for day := range d.legacy {
		consider(day)
	}
	return oldest, found
}

// dedupImageSource is what a snapshot holds of a shard's dedup index.
type dedupImageSource struct {
	current dayBuckets
	legacy  legacyBuckets
}

// dedupImage lists buckets sorted by day, keys sorted, for a snapshot: the
// current keys, then any legacy keys.
func dedupImage(src dedupImageSource) []DedupBucket {
	out := make([]DedupBucket, 0, len(src.current)+len(src.legacy))
	for _, day := range sortedDays(src.current) {
		out = append(out, DedupBucket{Day: day, Keys: src.current[day].sortedBytes()})
	}
	for _, day := range sortedDays(src.legacy) {
		out = append(out, DedupBucket{Day: day, Keys: flatten(src.legacy[day], legacyKeyLen, func(k *legacyKey) []byte { return k[:] }), Legacy: true})
	}
	return out
}

func sortedDays[V any](m map[int64]V) []int64 {
	days := make([]int64, 0, len(m))
	for day := range m {
		days = append(days, day)
	}
	sort.Slice(days, func(i, j int) bool { return days[i] < days[j] })
	return days
}

// flatten concatenates a set's keys in byte order.
func flatten[K comparable](set map[K]struct{}, size int, bytesOf func(*K) []byte) []byte {
	keys := make([]K, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(bytesOf(&keys[i]), bytesOf(&keys[j])) < 0 })
	flat := make([]byte, 0, size*len(keys))
	for i := range keys {
		flat = append(flat, bytesOf(&keys[i])...)
	}
	return flat
}

func (d *dedupIndex) load(buckets []DedupBucket) {
	for _, b := range buckets {
		d.keys += int64(b.KeyCount())
		if b.Legacy {
			if d.legacy == nil {
				d.legacy = legacyBuckets{}
			}
			loadInto(d.legacy, b, legacyKeyLen, func(k *legacyKey) []byte { return k[:] })
			continue
		}
		set := d.buckets[b.Day]
		if set == nil {
			set = newKeySet(len(b.Keys) / dedupKeyLen)
			d.buckets[b.Day] = set
		}
		for off := 0; off+dedupKeyLen <= len(b.Keys); off += dedupKeyLen {
			set.add((*dedupKey)(b.Keys[off : off+dedupKeyLen]))
		}
	}
}

// loadInto adds a bucket's keys to a day-bucketed set.
func loadInto[K comparable](into map[int64]map[K]struct{}, b DedupBucket, size int, bytesOf func(*K) []byte) {
	m := into[b.Day]
	if m == nil {
		m = make(map[K]struct{}, len(b.Keys)/size)
		into[b.Day] = m
	}
	for off := 0; off+size <= len(b.Keys); off += size {
		var k K
		copy(bytesOf(&k), b.Keys[off:off+size])
		m[k] = struct{}{}
	}
}

// dayCounts adds the index's key count per day to counts.
func (d *dedupIndex) dayCounts(counts map[int64]int64) {
	for day, m := range d.buckets {
		counts[day] += int64(m.len())
	}
	for day, m := range d.frozen {
		counts[day] += int64(m.len())
	}
	for day, m := range d.legacy {
		counts[day] += int64(len(m))
	}
}
