package engine

import (
	"fmt"
	"testing"
	"time"
)

// budgetLog ingests 30 events a day for 5 days for 3 customers, on an
// engine whose dedup budget holds 100 keys.
func budgetEngine(t *testing.T, shards int) (*harness, []Result) {
	h := newHarness(t, "2026-01-01T00:00:00Z")
	h.e = New(Config{Shards: shards, DedupMemoryBudget: 100 * DedupBytesPerKey})
	t.Cleanup(h.e.Close)
	h.must(&CreateRateCard{ID: "rc", Name: "rc"})
	for c := 0; c < 3; c++ {
		id := fmt.Sprint("c", c)
		h.must(&CreateCustomer{ID: id})
		h.must(&CreateContract{CustomerID: id, RateCardID: "rc", StartingAt: ns(t, "2026-01-01T00:00:00Z")})
	}
	var out []Result
	for day := 0; day < 5; day++ {
		h.now = mustTime(t, "2026-01-01T12:00:00Z").Add(time.Duration(day) * 24 * time.Hour)
		in := &Ingest{}
		for i := 0; i < 30; i++ {
			in.Events = append(in.Events, Event{TransactionID: fmt.Sprintf("d%d-%d", day, i), CustomerID: fmt.Sprint("c", i%3), EventType: "x", Timestamp: h.now.UnixNano()})
		}
		out = append(out, h.must(in))
	}
	return h, out
}

// Past the memory budget the oldest days are dropped; an event stamped on a
// dropped day is then rejected as older than the window the index covers
// (never counted twice), while the days kept still catch duplicates.
func TestDedupMemoryBudget(t *testing.T) {
	h, _ := budgetEngine(t, 3)
	if keys := h.e.DedupKeys(); keys > 100 {
		t.Fatalf("%d keys held, budget is 100", keys)
	}
	floor := h.e.DedupFloor()
	if want := dayOf(ns(t, "2026-01-03T00:00:00Z")); floor != want {
		t.Fatalf("floor day %d, want %d (the newest 3 days of 30 keys fit in 100)", floor, want)
	}
	old := &Ingest{Events: []Event{
		{TransactionID: "d0-1", CustomerID: "c1", EventType: "x", Timestamp: ns(t, "2026-01-01T12:00:00Z")},
		{TransactionID: "d4-2", CustomerID: "c2", EventType: "x", Timestamp: ns(t, "2026-01-05T12:00:00Z")},
		{TransactionID: "d4-new", CustomerID: "c2", EventType: "x", Timestamp: ns(t, "2026-01-05T12:00:00Z")},
	}}
	r := h.must(old).Ingest
	if r.Rejected[RejectTooOld] != 1 || r.Duplicates != 1 || r.Accepted != 1 {
		t.Fatalf("outcome %+v: want the dropped day's event rejected as too old, one duplicate, one accepted", r)
	}
	// Replicas with other shard counts drop the same days.
	one, _ := budgetEngine(t, 1)
	if one.e.DedupFloor() != floor || one.e.DedupKeys() != h.e.DedupKeys()-1 {
		t.Fatalf("1 shard: floor %d keys %d; 3 shards: floor %d keys %d", one.e.DedupFloor(), one.e.DedupKeys(), floor, h.e.DedupKeys())
	}
}

// The newest day is kept even when it alone exceeds the budget.
func TestBudgetFloorKeepsTheNewestDay(t *testing.T) {
	if got := budgetFloor(map[int64]int64{10: 5, 11: 500}, 100); got != 11 {
		t.Fatalf("floor %d, want 11", got)
	}
	if got := budgetFloor(map[int64]int64{10: 5, 11: 50, 12: 50}, 100); got != 11 {
		t.Fatalf("floor %d, want 11", got)
	}
	if got := budgetFloor(map[int64]int64{10: 5, 11: 50, 12: 40}, 100); got != 10 {
		t.Fatalf("floor %d, want 10 (everything fits)", got)
	}
}
