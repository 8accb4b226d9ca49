package engine

// warmDedup computes, before the shard rates the run's first event, the
// dedup key of each of its events and reads the slot that key's probe
// starts at. At millions of keys each probe is a miss of every cache (and
// often of the TLB), which one event at a time the CPU waits for in turn;
// reads that do not depend on one another it overlaps, so the run pays
// for its misses a few at a time instead of one by one
// (BenchmarkDedupInsertLarge's keySetWarmed against keySet). It reads state
// and writes only the tasks: it changes no outcome, and rating inserts the
// keys it computed (keyFor).
func (s *shard) warmDedup(tasks []task) {
	var sink uint64
	for i := range tasks {
		t := &tasks[i]
		if t.event == nil || t.h == nil {
			continue
		}
		t.dedupKey = makeDedupKey(t.h.ID, t.event.TransactionID)
		t.keyedFor = t.h.ID
		sink += s.dedup.touch(t.event.Timestamp, &t.dedupKey)
	}
	s.warmSink = sink // kept so the reads are not optimised away
}

// keyFor is the dedup key of t's event for customer c: the one warmDedup
// computed when it was for c, else computed now.
func (t *task) keyFor(c *Customer) *dedupKey {
	if t.keyedFor != c.ID {
		t.dedupKey = makeDedupKey(c.ID, t.event.TransactionID)
		t.keyedFor = c.ID
	}
	return &t.dedupKey
}

// touch reads the slot where the probe for k (an event at t) starts and
// returns its word; it changes nothing.
func (d *dedupIndex) touch(t Nanos, k *dedupKey) uint64 {
	b := d.buckets[dayOf(t)]
	if b == nil {
		return 0
	}
	return b.touch(k)
}

// touch reads the slot where the probe for k starts.
func (s *keySet) touch(k *dedupKey) uint64 {
	if keyWord(k) == 0 {
		return 0
	}
	h := place(s.seed, k)
	t := s.table(h)
	if len(t.slots) == 0 {
		return 0
	}
	return keyWord(&t.slots[h&uint64(len(t.slots)-1)])
}
