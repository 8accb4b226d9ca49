package engine

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
)

// A reader that sees the applied index of a restored snapshot sees all of
// that snapshot's customers: the index is published only once the state is
// in place. The transport serves reads once AppliedIndex has reached the
// state it must reflect, so an index published early would let it answer
// from a half-restored engine.
func TestRestorePublishesIndexLast(t *testing.T) {
	const rounds, perRound = 120, 40
	e := New(Config{Shards: 2})
	defer e.Close()
	check := func() string {
		idx := e.AppliedIndex()
		if n := e.CustomerCount(); n < int(idx)*perRound {
			return fmt.Sprintf("applied index %d is visible with %d customers, want at least %d", idx, n, int(idx)*perRound)
		}
		if idx > 0 && e.LookupCustomer(fmt.Sprintf("c-%d-%d", idx, perRound-1)) == nil {
			return fmt.Sprintf("applied index %d is visible before its last customer", idx)
		}
		return ""
	}
	whileRestoring(t, check, func() {
		var ids []string
		for k := 1; k <= rounds; k++ {
			st := &State{Index: uint64(k)}
			for i := 0; i < perRound; i++ {
				ids = append(ids, fmt.Sprintf("c-%d-%d", k, i))
			}
			for _, id := range ids {
				st.Customers = append(st.Customers, &Customer{ID: id})
			}
			st.CustomerOrder = append([]string(nil), ids...)
			if err := e.Restore(st); err != nil {
				t.Error(err)
				return
			}
		}
	})
}

// whileRestoring calls check in a loop on another goroutine while restore
// runs. The test fails with the first message check returns, or when check
// never ran while restore did (it would then have checked nothing).
func whileRestoring(t *testing.T, check func() string, restore func()) {
	t.Helper()
	var stop, restoring atomic.Bool
	var during atomic.Int64
	failure := make(chan string, 1)
	go func() {
		defer close(failure)
		for !stop.Load() {
			if restoring.Load() {
				during.Add(1)
			}
			if msg := check(); msg != "" {
				failure <- msg
				return
			}
		}
	}()
	restoring.Store(true)
	restore()
	restoring.Store(false)
	stop.Store(true)
	if msg, failed := <-failure; failed {
		t.Fatal(msg)
	}
	if during.Load() == 0 {
		t.Fatal("the reader never ran while the engine restored: the test checked nothing")
	}
}

// While an engine restores a snapshot (a follower installing the leader's),
// a gateway's check of a customer that has a contract in the old state and
// in the new one answers from one or the other, never from the empty view
// of a customer without a contract in between.
func TestRestoreNeverShowsEmptyViews(t *testing.T) {
	src := New(Config{Shards: 2})
	defer src.Close()
	src.Apply(randomLog(t, 7))
	fresh := snapshotState(t, src)
	ids, _ := src.CustomerIDs(0, 1<<20)
	var contracted []string
	for _, id := range ids {
		if len(src.LookupCustomer(id).View().Products) > 0 {
			contracted = append(contracted, id)
		}
	}
	if len(contracted) == 0 {
		t.Fatal("no customer has a contract: the test would check nothing")
	}
	states := make([]*State, 40)
	for i := range states {
		states[i] = fresh()
	}
	e := New(Config{Shards: 2})
	defer e.Close()
	if err := e.Restore(fresh()); err != nil {
		t.Fatal(err)
	}
	check := func() string {
		for _, id := range contracted {
			h := e.LookupCustomer(id)
			if h == nil {
				return "customer " + id + " not found during a restore"
			}
			if len(h.View().Products) == 0 {
				return "customer " + id + " answered with an empty view during a restore"
			}
		}
		return ""
	}
	whileRestoring(t, check, func() {
		for _, st := range states {
			if err := e.Restore(st); err != nil {
				t.Error(err)
				return
			}
		}
	})
}

// A snapshot taken after a Restore onto an engine that already held
// customers holds exactly the restored ones: the shards' capture lists
// are replaced with their maps, not appended to.
func TestSnapshotAfterRestoreHoldsOnlyTheRestored(t *testing.T) {
	e := New(Config{Shards: 2})
	defer e.Close()
	e.Apply(randomLog(t, 7))
	if e.CustomerCount() == 0 {
		t.Fatal("the log created no customer: the test would check nothing")
	}
	st := &State{Index: 1 << 20, CustomerOrder: []string{"restored-a", "restored-b"},
		Customers: []*Customer{{ID: "restored-a"}, {ID: "restored-b"}}}
	if err := e.Restore(st); err != nil {
		t.Fatal(err)
	}
	raws, _ := collectSnapshot(t, mustSnapshot(t, e))
	var ids []string
	for _, raw := range raws {
		var c Customer
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	slices.Sort(ids) // written shard by shard
	if want := []string{"restored-a", "restored-b"}; !slices.Equal(ids, want) {
		t.Fatalf("snapshot after the restore holds %v, want %v", ids, want)
	}
}

func mustSnapshot(t *testing.T, e *Engine) *Snapshot {
	t.Helper()
	snap, err := e.Snapshot(jsonEncoder)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}
