package cluster

import (
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// defaultSnapshotSpacing is how many times a snapshot's own duration raft
// waits, at least, before it considers the next one. Raft's trigger is a
// count of new log entries, but a snapshot's cost grows with the state: at
// 1M customers one took about 17 s (wall clock, a standalone scale run),
// and a busy node reaching the count every minute would spend a third of
// its time writing snapshots. Raft waits between one and two intervals, so
// a node spends at most a tenth of its time on the snapshots it takes on
// its own.
const defaultSnapshotSpacing = 10

// maxSnapshotInterval bounds the widened interval: after one slow snapshot
// (a loaded disk) the log must still be compacted within the hour, or it
// grows on disk, restarts replay more of it and a lagging follower is more
// likely to need a whole snapshot.
const maxSnapshotInterval = 15 * time.Minute

// snapshotSpacer widens raft's snapshot interval after each snapshot to
// factor times that snapshot's duration, never below the configured base
// nor above maxSnapshotInterval. Raft reads the interval each time it arms
// its snapshot timer, so the next wait already uses the new value. A
// restart starts again from the base.
type snapshotSpacer struct {
	base   time.Duration
	factor int
	raft   *atomic.Pointer[raft.Raft]
	log    hclog.Logger
}

// interval is the snapshot interval to use after a snapshot that lasted
// took: factor times it in whole seconds, within [base, maxSnapshotInterval]
// (base wins if it is configured above the ceiling).
func (s *snapshotSpacer) interval(took time.Duration) time.Duration {
	want := (time.Duration(s.factor) * took).Round(time.Second)
	return max(min(want, maxSnapshotInterval), s.base)
}

// intervalAfter is the interval after a snapshot that lasted took, of which
// its writer slept slept for pacing.
func (s *snapshotSpacer) intervalAfter(took, slept time.Duration) time.Duration {
	return s.interval(took - slept)
}

// written adjusts raft's snapshot interval after a snapshot that lasted
// took, of which its paced writer slept slept: the interval follows the
// time it worked, so pacing makes snapshots gentler, not rarer (the log
// replayed at a restart stays as long as it was unpaced). It is called
// from raft's snapshot goroutine, one snapshot at a time, which keeps the
// read-modify-write of the reloadable config safe.
func (s *snapshotSpacer) written(took, slept time.Duration) {
	r := s.raft.Load()
	if r == nil {
		return
	}
	cur := r.ReloadableConfig()
	next := s.intervalAfter(took, slept)
	if next == cur.SnapshotInterval {
		return
	}
	cur.SnapshotInterval = next
	if err := r.ReloadConfig(cur); err != nil {
		s.log.Warn("snapshot interval unchanged", "error", err)
		return
	}
	s.log.Info("snapshot interval set from the last snapshot's duration", "took", took.Round(time.Millisecond),
		"paced_sleep", slept.Round(time.Millisecond), "interval", next)
}
