package engine

import (
	"testing"
	"time"
)

// Keys loaded from a snapshot of a build up to v0.1.0 (16-byte keys) still
// catch resent events, are written back into snapshots as legacy buckets,
// and expire with the window like current ones.
func TestLegacyDedupKeys(t *testing.T) {
	d := newDedupIndex()
	at := ns(t, "2026-03-02T10:00:00Z")
	k := makeLegacyKey("cu-1", "tx-old")
	d.load([]DedupBucket{{Day: dayOf(at), Keys: k[:], Legacy: true}})
	if d.insert(at, "cu-1", "tx-old") {
		t.Fatal("an event remembered under a legacy key was counted again")
	}
	if !d.insert(at, "cu-1", "tx-new") || d.insert(at, "cu-1", "tx-new") {
		t.Fatal("a new event must be accepted once, then be a duplicate")
	}
	img := dedupImage(d.freeze())
	d.thaw()
	if len(img) != 2 || img[0].Legacy || !img[1].Legacy || img[1].KeyCount() != 1 || img[0].KeyCount() != 1 {
		t.Fatalf("image %+v: want one current and one legacy bucket of one key each", img)
	}
	d.expire(at + 2*nanosPerDay)
	if d.legacy[dayOf(at)] != nil || d.buckets[dayOf(at)] != nil {
		t.Fatal("buckets before the cutoff day survived expiry")
	}
}

// Dedup buckets leave the window day by day even when no customer has any
// transition due: the engine's next due time includes the oldest bucket's
// expiry, and applying at or after it drops the bucket.
func TestDedupExpiresDailyWithoutTicks(t *testing.T) {
	h := newHarness(t, "2026-01-01T00:00:00Z")
	h.e = New(Config{Shards: 2, DedupWindow: 48 * time.Hour})
	defer h.e.Close()
	h.must(&CreateRateCard{ID: "rc", Name: "rc"})
	h.must(&CreateCustomer{ID: "c1", IngestAliases: []string{"a1"}})
	h.must(&CreateContract{CustomerID: "c1", RateCardID: "rc", StartingAt: ns(t, "2026-01-01T00:00:00Z")})
	h.must(&Ingest{Events: []Event{{TransactionID: "t1", CustomerID: "a1", EventType: "x", Timestamp: ns(t, "2026-01-01T05:00:00Z")}}})
	window := h.e.Config().DedupWindow
	want := ns(t, "2026-01-02T00:00:00Z") + window.Nanoseconds()
	if got := h.e.NextDue(); got != want {
		t.Fatalf("next due %v, want the oldest bucket's expiry %v", time.Unix(0, got).UTC(), time.Unix(0, want).UTC())
	}
	// An unrelated entry stamped after that time (not a Tick) expires it.
	h.now = time.Unix(0, want).UTC()
	h.must(&CreateCustomer{ID: "c2"})
	days := 0
	h.e.onEveryShard(func(_ int, s *shard) {
		if _, ok := s.dedup.oldestDay(); ok {
			days++
		}
	})
	if days != 0 || h.e.NextDue() <= want {
		t.Fatalf("%d shards still hold buckets, next due %d", days, h.e.NextDue())
	}
}

// A day expired while a snapshot held the index frozen is dropped when the
// index thaws, as it would have been without the snapshot: the index never
// depends on when a snapshot finished (TestSnapshotIsCopyOnWrite saw it
// otherwise, now and then).
func TestDedupExpiryWhileFrozen(t *testing.T) {
	d := newDedupIndex()
	old, recent := Nanos(0), Nanos(5*nanosPerDay)
	d.insert(old, "c", "t1")
	d.freeze()
	d.insert(recent, "c", "t2")
	d.expire(recent) // drops day 0 from the live layer; the frozen one keeps it
	d.thaw()
	if d.seen(old, "c", "t1") || !d.seen(recent, "c", "t2") || d.keys != 1 {
		t.Fatalf("after thaw: old seen %t, recent seen %t, keys %d", d.seen(old, "c", "t1"), d.seen(recent, "c", "t2"), d.keys)
	}
}
