package cluster

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"burndown/engine"
)

// The first dashboard key applied stays (a second proposal, as from two
// leaders racing, changes nothing); a key of the wrong size is refused by
// name; the key survives a snapshot and restore.
func TestDashboardKeyThroughTheLog(t *testing.T) {
	codec, err := newCodec()
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(engine.Config{Shards: 1})
	defer e.Close()
	f := newFSM(e, codec)
	first, second := bytes.Repeat([]byte{1}, DashboardKeySize), bytes.Repeat([]byte{2}, DashboardKeySize)
	rs := applyEntries(t, f, codec, [][]engine.Command{
		{&dashboardKeyCmd{Key: []byte{1, 2, 3}}},
		{&dashboardKeyCmd{Key: first}, &dashboardKeyCmd{Key: second}},
	})
	if rs[0][0].Err == nil || rs[0][0].Err.Message != "key: must be 32 bytes" || rs[1][0].Err != nil || rs[1][1].Err != nil {
		t.Fatalf("results %+v", rs)
	}
	if !bytes.Equal(f.dashboardKey(), first) {
		t.Fatal("the first key applied must stay")
	}
	restored := newFSM(e, codec)
	if err := restored.Restore(nopCloser{bytes.NewBuffer(fsmState(t, f))}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(restored.dashboardKey(), first) {
		t.Fatal("the key did not survive a snapshot")
	}
}

// The leader makes the key once; every node then reads the same one; a
// follower asked to make one sends the caller to the leader.
func TestDashboardKeyOnEveryNode(t *testing.T) {
	_, nodes := startThree(t)
	leader := nodes[0]
	if k, err := nodes[1].DashboardKey(ctxT(t, 10*time.Second), false); k != nil || err != nil {
		t.Fatalf("before any: %x %v", k, err)
	}
	if _, err := nodes[1].DashboardKey(ctxT(t, 10*time.Second), true); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("a follower making the key: %v, want ErrNotLeader", err)
	}
	key, err := leader.DashboardKey(ctxT(t, 10*time.Second), true)
	if err != nil || len(key) != DashboardKeySize {
		t.Fatalf("key: %d bytes, %v", len(key), err)
	}
	again, err := leader.DashboardKey(ctxT(t, 10*time.Second), true)
	if err != nil || !bytes.Equal(again, key) {
		t.Fatal("a second call made another key")
	}
	eventually(t, 5*time.Second, "the key on every node", func() bool {
		for _, n := range nodes {
			if k, _ := n.DashboardKey(ctxT(t, time.Second), false); !bytes.Equal(k, key) {
				return false
			}
		}
		return true
	})
}

// The key is made only once the upgrade is finalized: earlier releases
// stop on its kind.
func TestDashboardKeyNeedsAFinalizedUpgrade(t *testing.T) {
	n := openOldDataDir(t)
	defer n.Close()
	if _, err := n.DashboardKey(ctxT(t, 10*time.Second), true); !errors.Is(err, ErrUpgradeNotFinalized) {
		t.Fatalf("a key before finalizing: %v", err)
	}
}
