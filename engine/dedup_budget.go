package engine

import "sort"

// enforceDedupBudget drops the dedup index's oldest days, on every shard at
// once, while it holds more keys than the memory budget allows; the newest
// day is always kept. It runs on the apply goroutine after an entry, when
// the shards are idle, and decides only from replicated state, so every
// replica drops the same days whatever its shard count.
func (e *Engine) enforceDedupBudget() {
	var total int64
	for _, s := range e.shards {
		total += s.dedup.keys
	}
	e.dedupKeys.Store(total)
	if e.cfg.DedupMemoryBudget <= 0 {
		return
	}
	limit := e.cfg.DedupMemoryBudget / DedupBytesPerKey
	if total <= limit {
		return
	}
	counts := map[int64]int64{}
	parts := make([]map[int64]int64, len(e.shards))
	e.onEveryShard(func(i int, s *shard) {
		parts[i] = map[int64]int64{}
		s.dedup.dayCounts(parts[i])
	})
	for _, p := range parts {
		for day, n := range p {
			counts[day] += n
		}
	}
	floor := budgetFloor(counts, limit)
	if floor <= e.dedupFloor.Load() {
		return
	}
	e.dedupFloor.Store(floor)
	e.onEveryShard(func(_ int, s *shard) { s.dedup.dropBefore(floor) })
	total = 0
	for _, s := range e.shards {
		total += s.dedup.keys
	}
	e.dedupKeys.Store(total)
}

// budgetFloor returns the first day to keep so that the days from it on
// hold at most limit keys, never dropping the newest day.
func budgetFloor(counts map[int64]int64, limit int64) int64 {
	days := make([]int64, 0, len(counts))
	for day := range counts {
		days = append(days, day)
	}
	sort.Slice(days, func(i, j int) bool { return days[i] > days[j] }) // newest first
	var kept int64
	for i, day := range days {
		kept += counts[day]
		if kept > limit && i > 0 {
			return days[i-1]
		}
	}
	return days[len(days)-1]
}

// DedupFloor is the first UTC day (days since the epoch) the dedup index
// still covers after the memory budget dropped older days; 0 when the
// window alone decides.
func (e *Engine) DedupFloor() int64 { return e.dedupFloor.Load() }

// DedupKeys is the number of transaction keys the dedup index holds, as of
// the last applied entry. Safe from any goroutine.
func (e *Engine) DedupKeys() int64 { return e.dedupKeys.Load() }
