package engine

import (
	"fmt"
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
	var stop atomic.Bool
	failure := make(chan string, 1)
	go func() {
		defer close(failure)
		for !stop.Load() {
			idx := e.AppliedIndex()
			if n := e.CustomerCount(); n < int(idx)*perRound {
				failure <- fmt.Sprintf("applied index %d is visible with %d customers, want at least %d", idx, n, int(idx)*perRound)
				return
			}
			if idx > 0 && e.LookupCustomer(fmt.Sprintf("c-%d-%d", idx, perRound-1)) == nil {
				failure <- fmt.Sprintf("applied index %d is visible before its last customer", idx)
				return
			}
		}
	}()
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
			t.Fatal(err)
		}
	}
	stop.Store(true)
	if msg, failed := <-failure; failed {
		t.Fatal(msg)
	}
}
