package cluster

import (
	"testing"
	"time"
)

// The interval after a snapshot is ten times its duration in whole
// seconds, never below the configured base nor above the ceiling.
func TestSnapshotSpacingInterval(t *testing.T) {
	s := &snapshotSpacer{base: 2 * time.Minute, factor: defaultSnapshotSpacing}
	for _, c := range []struct{ took, want time.Duration }{
		{40 * time.Millisecond, 2 * time.Minute},      // small state: raft's own interval
		{17 * time.Second, 170 * time.Second},         // 1M customers: ten times the snapshot
		{12345 * time.Millisecond, 123 * time.Second}, // whole seconds
		{5 * time.Minute, maxSnapshotInterval},        // one slow snapshot: the ceiling
	} {
		if got := s.interval(c.took); got != c.want {
			t.Errorf("after a snapshot of %v: interval %v, want %v", c.took, got, c.want)
		}
	}
	// A base configured above the ceiling is kept.
	high := &snapshotSpacer{base: time.Hour, factor: defaultSnapshotSpacing}
	if got := high.interval(5 * time.Minute); got != time.Hour {
		t.Errorf("base 1h: interval %v, want 1h", got)
	}
	// A paced snapshot is spaced by the time its writer worked: 27 s of
	// which 14 s asleep space like a 13 s unpaced one.
	if got, want := s.intervalAfter(27*time.Second, 14*time.Second), s.interval(13*time.Second); got != want {
		t.Errorf("paced snapshot of 27 s, 14 s asleep: interval %v, want %v", got, want)
	}
}

// After a snapshot, raft's snapshot interval is the spacer's choice for
// that snapshot's duration, so the next automatic one waits accordingly.
func TestSnapshotWidensRaftInterval(t *testing.T) {
	spec := newSpec(t, "n1", true)
	spec.snapshotThreshold = 64
	n := spec.open(t)
	waitLeader(t, n)
	before := n.raft.ReloadableConfig()
	base := before.SnapshotInterval
	if base != time.Second {
		t.Fatalf("base interval %v, want 1s (set with --snapshot-threshold)", base)
	}
	// A snapshot here takes milliseconds; a large factor makes that
	// measurable against the one-second base.
	n.fsm.spacer.factor = 100000
	setupCatalog(t, n, n.Now().UnixNano())
	began := time.Now()
	if err := n.Snapshot(); err != nil {
		t.Fatal(err)
	}
	bound := min(time.Duration(n.fsm.spacer.factor)*time.Since(began), maxSnapshotInterval).Round(time.Second)
	after := n.raft.ReloadableConfig()
	got := after.SnapshotInterval
	if got <= base || got > bound || got%time.Second != 0 {
		t.Fatalf("interval after the snapshot %v, want whole seconds in (%v, %v]", got, base, bound)
	}
	if after.SnapshotThreshold != before.SnapshotThreshold || after.TrailingLogs != before.TrailingLogs || after.HeartbeatTimeout != before.HeartbeatTimeout {
		t.Fatalf("raft's other reloadable settings changed: %+v, were %+v", after, before)
	}
}
