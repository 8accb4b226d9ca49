package cluster

import (
	"fmt"
	"testing"
	"time"

	"burndown/money"
)

// A follower that misses more entries than the leader keeps in its log is
// sent the leader's snapshot (InstallSnapshot), restores it and catches up;
// writes applied meanwhile, and during the leader's own snapshots (taken
// copy-on-write while applies go on), are all there.
func TestFollowerCatchesUpBySnapshotInstall(t *testing.T) {
	specs := []nodeSpec{newSpec(t, "n1", true), newSpec(t, "n2", false), newSpec(t, "n3", false)}
	for i := range specs {
		specs[i].snapshotThreshold, specs[i].trailing = 64, 16
	}
	nodes := []*Node{specs[0].open(t), specs[1].open(t), specs[2].open(t)}
	leader := waitLeader(t, nodes[0])
	for _, s := range specs[1:] {
		if err := leader.AddNode(ctxT(t, 15*time.Second), s.id, s.raftAddr, s.httpAddr); err != nil {
			t.Fatal(err)
		}
	}
	start := leader.Now().UnixNano()
	setupCatalog(t, leader, start)
	want := map[string]int64{}
	for i := 0; i < 20; i++ {
		id := fmt.Sprintf("c%02d", i)
		c1, c2 := customerCmds(id, start, 100000)
		mustPropose(t, leader, c1)
		mustPropose(t, leader, c2)
		want[id] = 100000
	}
	converge(t, leader, nodes...)

	behind := nodes[2].Engine().AppliedIndex()
	if err := nodes[2].Close(); err != nil {
		t.Fatal(err)
	}
	// Far more entries than TrailingLogs, one per proposal, so the leader
	// snapshots several times and compacts what n3 would need.
	for r := 0; r < 400; r++ {
		id := fmt.Sprintf("c%02d", r%20)
		mustPropose(t, leader, usage("alias-"+id, fmt.Sprintf("tx-%d", r), start, 3))
		want[id] -= 3
	}
	// Raft snapshots on its own timer (1-2 s here); take one now so the
	// log is compacted however fast the proposals went.
	if err := leader.Snapshot(); err != nil {
		t.Fatal(err)
	}
	first, _ := leader.stores.Log.FirstIndex()
	if first <= behind+1 {
		t.Fatalf("the leader's log starts at %d, n3 stopped at %d: n3 could catch up from the log, InstallSnapshot would not be exercised", first, behind)
	}
	nodes[2] = specs[2].open(t)
	converge(t, leader, nodes...)
	for id, w := range want {
		if b, ok := balance(nodes[2].Engine(), id); !ok || !b.Equal(money.FromInt(w)) {
			t.Fatalf("n3: %s balance %s (found %v), want %d", id, b, ok, w)
		}
	}
}
