package cluster

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"burndown/engine"
	"burndown/money"
)

// TestRestartWith100kCustomers creates 100k customers, each with a contract
// and a prepaid commit, burns some of them down, snapshots, writes more (so
// restart needs snapshot and log), restarts the node and checks every
// balance exactly.
func TestRestartWith100kCustomers(t *testing.T) {
	customers := 100_000
	if testing.Short() || raceEnabled {
		customers = 10_000
	}
	s := newSpec(t, "n1", true)
	n := s.open(t)
	waitLeader(t, n)
	start := n.Now().UnixNano()
	setupCatalog(t, n, start)

	began := time.Now()
	const workers = 128
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := ctxT(t, 120*time.Second)
			for {
				i := int(next.Add(1)) - 1
				if i >= customers {
					return
				}
				id := fmt.Sprintf("cust-%06d", i)
				c1, c2 := customerCmds(id, start, int64(1000+i%977))
				cmds := []engine.Command{c1, c2}
				if i%3 == 0 {
					cmds = append(cmds, usage(id, "u-"+id, start, i%500))
				}
				for _, cmd := range cmds {
					r, err := n.Propose(ctx, cmd)
					if err == nil && r.Err != nil {
						err = r.Err
					}
					if err != nil {
						errs <- fmt.Errorf("%s: %w", id, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("created %d customers in %v", customers, time.Since(began))
	if err := n.Snapshot(); err != nil {
		t.Fatal(err)
	}
	// More usage after the snapshot: restart must replay it from the log.
	for i := 0; i < customers; i += 97 {
		mustPropose(t, n, usage(fmt.Sprintf("cust-%06d", i), fmt.Sprint("late-", i), start, 7))
	}
	want := make([]money.Amount, customers)
	for i := range want {
		b, ok := balance(n.Engine(), fmt.Sprintf("cust-%06d", i))
		if !ok {
			t.Fatalf("customer %d missing before restart", i)
		}
		want[i] = b
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	began = time.Now()
	n = s.open(t)
	waitLeader(t, n)
	if err := n.Barrier(ctxT(t, 60*time.Second)); err != nil {
		t.Fatal(err)
	}
	t.Logf("restarted in %v", time.Since(began))
	for i := range want {
		id := fmt.Sprintf("cust-%06d", i)
		b, ok := balance(n.Engine(), id)
		if !ok || !b.Equal(want[i]) {
			t.Fatalf("%s: balance %s after restart (found %v), want %s", id, b, ok, want[i])
		}
	}
	if _, total := n.Engine().CustomerIDs(0, 0); total != customers {
		t.Fatalf("%d customers after restart, want %d", total, customers)
	}
}
