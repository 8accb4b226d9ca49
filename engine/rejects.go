package engine

import "sync/atomic"

// RejectReasons lists every reason an event is kept as a counted reject.
// TestRejectReasonsListEveryConstant keeps it complete: a reason missing
// here would never reach /metrics nor a customer's reject totals.
var RejectReasons = []RejectReason{RejectUnknownCustomer, RejectNoContract, RejectFinalized, RejectTooOld, RejectFuture, RejectUniqueLimit}

// rejectTotals counts a shard's rejects by reason (indexed as
// RejectReasons), for /metrics. They are derived from the customers'
// replicated counts: a restore recounts them.
type rejectTotals [6]atomic.Int64

func rejectIndex(r RejectReason) int {
	for i, x := range RejectReasons {
		if x == r {
			return i
		}
	}
	return -1
}

func (s *shard) countReject(r RejectReason, n int64) {
	if i := rejectIndex(r); i >= 0 {
		s.rejects[i].Add(n)
	}
}

// recountRejects rebuilds the shard's totals from its customers.
func (s *shard) recountRejects() {
	for i := range s.rejects {
		s.rejects[i].Store(0)
	}
	for _, c := range s.customers {
		for r, n := range c.Rejects() {
			s.countReject(r, n)
		}
	}
}

// RejectCounts returns the events kept as counted rejects since the
// beginning of the log, by reason, over all customers (unknown customers
// included). Safe to call from any goroutine.
func (e *Engine) RejectCounts() map[RejectReason]int64 {
	out := make(map[RejectReason]int64, len(RejectReasons))
	for _, r := range RejectReasons {
		out[r] = 0
	}
	for _, s := range e.shards {
		for i, r := range RejectReasons {
			out[r] += s.rejects[i].Load()
		}
	}
	out[RejectUnknownCustomer] += e.unknownRejects.Load()
	return out
}
