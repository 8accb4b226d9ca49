package cluster

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"burndown/engine"
	"burndown/money"
)

// startThree bootstraps n1 and joins n2 and n3 through the leader.
func startThree(t *testing.T) ([]nodeSpec, []*Node) {
	t.Helper()
	specs := []nodeSpec{newSpec(t, "n1", true), newSpec(t, "n2", false), newSpec(t, "n3", false)}
	nodes := []*Node{specs[0].open(t), specs[1].open(t), specs[2].open(t)}
	leader := waitLeader(t, nodes[0])
	for _, s := range specs[1:] {
		if err := leader.AddNode(ctxT(t, 15*time.Second), s.id, s.raftAddr, s.httpAddr); err != nil {
			t.Fatal(err)
		}
	}
	// Joining again is a no-op.
	if err := leader.AddNode(ctxT(t, 15*time.Second), "n2", specs[1].raftAddr, specs[1].httpAddr); err != nil {
		t.Fatalf("idempotent join: %v", err)
	}
	return specs, nodes
}

func TestThreeNodes(t *testing.T) {
	specs, nodes := startThree(t)
	leader := nodes[0]
	eventually(t, 10*time.Second, "joined nodes to see themselves in the configuration", func() bool {
		return nodes[1].IsMember() && nodes[2].IsMember()
	})
	start := leader.Now().UnixNano()
	setupCatalog(t, leader, start)
	acked := map[string]int64{} // customer → expected balance
	create := func(l *Node, id string, amount, used int64) {
		c1, c2 := customerCmds(id, start, amount)
		mustPropose(t, l, c1)
		mustPropose(t, l, c2)
		mustPropose(t, l, usage("alias-"+id, "tx-"+id, start, int(used)))
		acked[id] = amount - used
	}
	for i := 0; i < 20; i++ {
		create(leader, fmt.Sprintf("c%02d", i), 1000, int64(i))
	}
	for _, f := range nodes[1:] {
		if _, err := f.Propose(ctxT(t, time.Second), &engine.Tick{}); !errors.Is(err, ErrNotLeader) {
			t.Fatalf("propose on follower %s: %v", f.cfg.NodeID, err)
		}
		if err := f.Barrier(ctxT(t, time.Second)); !errors.Is(err, ErrNotLeader) {
			t.Fatalf("barrier on follower: %v", err)
		}
	}
	converge(t, leader, nodes...)
	for _, f := range nodes[1:] {
		if got := f.LeaderHTTPAddr(); got != "http-n1" {
			t.Fatalf("%s: leader http addr %q", f.cfg.NodeID, got)
		}
		st := f.Status()
		if st.State != "follower" || st.LeaderID != "n1" || len(st.Nodes) != 3 {
			t.Fatalf("%s status %+v", f.cfg.NodeID, st)
		}
		for _, ns := range st.Nodes {
			if ns.HTTPAddr != "http-"+ns.ID {
				t.Fatalf("%s sees node %+v", f.cfg.NodeID, ns)
			}
		}
	}

	// A follower stops (its own snapshot taken first), misses writes, comes back.
	if err := nodes[2].Snapshot(); err != nil {
		t.Fatal(err)
	}
	if err := nodes[2].Close(); err != nil {
		t.Fatal(err)
	}
	for i := 20; i < 40; i++ {
		create(leader, fmt.Sprintf("c%02d", i), 2000, int64(i))
	}
	nodes[2] = specs[2].open(t)
	converge(t, leader, nodes...)

	// The leader dies; one of the others takes over with every acked write.
	if err := leader.Close(); err != nil {
		t.Fatal(err)
	}
	leader = waitLeader(t, nodes[1], nodes[2])
	if err := leader.Barrier(ctxT(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	for i := 40; i < 50; i++ {
		create(leader, fmt.Sprintf("c%02d", i), 3000, int64(i))
	}
	eventually(t, 10*time.Second, "the new leader's http addr to be known", func() bool {
		return leader.LeaderHTTPAddr() == "http-"+leader.cfg.NodeID
	})
	live := []*Node{nodes[1], nodes[2]}
	converge(t, leader, live...)
	for _, n := range live {
		for id, want := range acked {
			if b, ok := balance(n.Engine(), id); !ok || !b.Equal(money.FromInt(want)) {
				t.Fatalf("%s: customer %s balance %s (found %v), want %d", n.cfg.NodeID, id, b, ok, want)
			}
		}
	}
	// The old leader comes back as a follower and catches up.
	nodes[0] = specs[0].open(t)
	converge(t, leader, nodes...)
}

func TestMembershipChanges(t *testing.T) {
	_, nodes := startThree(t)
	leader := nodes[0]
	if err := nodes[1].AddNode(ctxT(t, time.Second), "x", "127.0.0.1:1", ""); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("join through a follower: %v", err)
	}
	if err := leader.RemoveNode(ctxT(t, 10*time.Second), "n3"); err != nil {
		t.Fatal(err)
	}
	if st := leader.Status(); len(st.Nodes) != 2 {
		t.Fatalf("after remove: %+v", st.Nodes)
	}
	if err := leader.RemoveNode(ctxT(t, 10*time.Second), "n3"); err != nil {
		t.Fatalf("removing twice: %v", err)
	}
	if err := leader.TransferLeadership(); err != nil {
		t.Fatal(err)
	}
	newLeader := waitLeader(t, nodes[1])
	if _, err := newLeader.Propose(ctxT(t, 10*time.Second), &engine.Tick{}); err != nil {
		t.Fatalf("propose on the new leader: %v", err)
	}
}

func TestGroupCommit(t *testing.T) {
	n := newSpec(t, "n1", true).open(t)
	waitLeader(t, n)
	start := n.Now().UnixNano()
	setupCatalog(t, n, start)
	c1, c2 := customerCmds("c1", start, 1_000_000)
	mustPropose(t, n, c1)
	mustPropose(t, n, c2)
	const calls = 2000
	before := n.raft.LastIndex()
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for i := 0; i < calls; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := n.Propose(ctxT(t, 30*time.Second), usage("c1", fmt.Sprint("tx", i), start, 1))
			if err == nil && (r.Ingest == nil || r.Ingest.Accepted != 1) {
				err = fmt.Errorf("call %d: outcome %+v", i, r.Ingest)
			}
			if err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	entries := n.raft.LastIndex() - before
	t.Logf("%d proposals in %d log entries", calls, entries)
	if entries > calls/4 {
		t.Fatalf("%d concurrent proposals took %d log entries: no group commit", calls, entries)
	}
	if b, _ := balance(n.Engine(), "c1"); !b.Equal(money.FromInt(1_000_000 - calls)) {
		t.Fatalf("balance %s: some proposals were lost or doubled", b)
	}
}
