package cluster

import (
	"testing"
	"time"
)

func TestSnapshotSpacingInterval(t *testing.T) {
	s := &snapshotSpacer{base: 2 * time.Minute, spacing: defaultSnapshotSpacing}
	for _, c := range []struct{ took, want time.Duration }{
		{40 * time.Millisecond, 2 * time.Minute},      // small state: raft's own interval
		{17 * time.Second, 170 * time.Second},         // 1M customers: ten times the snapshot
		{12345 * time.Millisecond, 123 * time.Second}, // whole seconds
	} {
		if got := s.interval(c.took); got != c.want {
			t.Errorf("after a snapshot of %v: interval %v, want %v", c.took, got, c.want)
		}
	}
}

// After a snapshot, raft's snapshot interval is the spacer's choice for
// that snapshot's duration, so the next automatic one waits accordingly.
func TestSnapshotWidensRaftInterval(t *testing.T) {
	spec := newSpec(t, "n1", true)
	spec.snapshotThreshold = 64
	n := spec.open(t)
	waitLeader(t, n)
	base := n.raft.ReloadableConfig().SnapshotInterval
	if base != time.Second {
		t.Fatalf("base interval %v, want 1s (set with --snapshot-threshold)", base)
	}
	// A snapshot here takes milliseconds; a large spacing makes that
	// measurable against the one-second base.
	n.fsm.spacer.spacing = 100000
	setupCatalog(t, n, n.Now().UnixNano())
	began := time.Now()
	if err := n.Snapshot(); err != nil {
		t.Fatal(err)
	}
	bound := (n.fsm.spacer.spacing * time.Since(began)).Round(time.Second)
	got := n.raft.ReloadableConfig().SnapshotInterval
	if got <= base || got > bound || got%time.Second != 0 {
		t.Fatalf("interval after the snapshot %v, want whole seconds in (%v, %v]", got, base, bound)
	}
}
