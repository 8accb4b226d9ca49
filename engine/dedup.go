package engine

import (
	"bytes"
	"encoding/binary"
	"sort"
)

const nanosPerDay = int64(24 * 60 * 60 * 1_000_000_000)

// dedupKey identifies one (customer, transaction id) pair in 16 bytes: the
// first 8 are a hash of the customer id alone, so a key can be routed to its
// customer's shard without knowing the customer; the last 8 hash both.
type dedupKey [16]byte

func makeDedupKey(customerID, transactionID string) dedupKey {
	var k dedupKey
	binary.BigEndian.PutUint64(k[0:8], fnv64a(customerID))
	h := fnv64a(customerID)
	h ^= 0xff
	h *= 1099511628211
	for i := 0; i < len(transactionID); i++ {
		h ^= uint64(transactionID[i])
		h *= 1099511628211
	}
	// Mix the tail so short ids spread over all 64 bits.
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	binary.BigEndian.PutUint64(k[8:16], h)
	return k
}

func dedupKeyCustomerHash(k []byte) uint64 { return binary.BigEndian.Uint64(k[0:8]) }

// dedupIndex remembers the transaction ids seen, bucketed by the UTC day of
// the event's timestamp. A resent event keeps its timestamp, so it lands in
// the same bucket; buckets older than the window are dropped whole, and the
// engine rejects events older than the window, so nothing is counted twice.
type dedupIndex struct {
	buckets map[int64]map[dedupKey]struct{}
	// frozen holds the index as of a snapshot being written: read-only
	// until merged back, while new keys go to buckets.
	frozen map[int64]map[dedupKey]struct{}
}

func newDedupIndex() *dedupIndex {
	return &dedupIndex{buckets: map[int64]map[dedupKey]struct{}{}}
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
func (d *dedupIndex) freeze() map[int64]map[dedupKey]struct{} {
	d.thaw()
	d.frozen, d.buckets = d.buckets, map[int64]map[dedupKey]struct{}{}
	return d.frozen
}

// thaw merges the live layer back into the frozen maps once no snapshot
// reads them any more.
func (d *dedupIndex) thaw() {
	if d.frozen == nil {
		return
	}
	for day, m := range d.buckets {
		if f := d.frozen[day]; f != nil {
			for k := range m {
				f[k] = struct{}{}
			}
		} else {
			d.frozen[day] = m
		}
	}
	d.buckets, d.frozen = d.frozen, nil
}

// insert records the key and reports whether it was new, with one hash
// operation on the live layer (the frozen layer is only consulted while a
// snapshot is being written).
func (d *dedupIndex) insert(t Nanos, k dedupKey) bool {
	day := dayOf(t)
	if f := d.frozen[day]; f != nil {
		if _, ok := f[k]; ok {
			return false
		}
	}
	b := d.buckets[day]
	if b == nil {
		b = map[dedupKey]struct{}{}
		d.buckets[day] = b
	}
	n := len(b)
	b[k] = struct{}{}
	return len(b) > n
}

// expire drops buckets whose whole day lies before cutoff (frozen ones are
// dropped after they are merged back).
func (d *dedupIndex) expire(cutoff Nanos) {
	cut := dayOf(cutoff)
	for day := range d.buckets {
		if day < cut {
			delete(d.buckets, day)
		}
	}
}

// dedupImage lists buckets sorted by day, keys sorted, for a snapshot.
func dedupImage(buckets map[int64]map[dedupKey]struct{}) []DedupBucket {
	days := make([]int64, 0, len(buckets))
	for day := range buckets {
		days = append(days, day)
	}
	sort.Slice(days, func(i, j int) bool { return days[i] < days[j] })
	out := make([]DedupBucket, 0, len(days))
	for _, day := range days {
		b := buckets[day]
		keys := make([]dedupKey, 0, len(b))
		for k := range b {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i][:], keys[j][:]) < 0 })
		flat := make([]byte, 0, 16*len(keys))
		for _, k := range keys {
			flat = append(flat, k[:]...)
		}
		out = append(out, DedupBucket{Day: day, Keys: flat})
	}
	return out
}

func (d *dedupIndex) load(buckets []DedupBucket) {
	for _, b := range buckets {
		m := d.buckets[b.Day]
		if m == nil {
			m = make(map[dedupKey]struct{}, len(b.Keys)/16)
			d.buckets[b.Day] = m
		}
		for off := 0; off+16 <= len(b.Keys); off += 16 {
			var k dedupKey
			copy(k[:], b.Keys[off:off+16])
			m[k] = struct{}{}
		}
	}
}
