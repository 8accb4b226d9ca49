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
// 1M customers one takes 17 s of a core, and a busy node reaching the count
// every minute would spend a third of a core writing snapshots. Raft waits
// between one and two intervals, so a node spends at most a tenth of its
// time on the snapshots it takes on its own.
const defaultSnapshotSpacing = 10

// snapshotSpacer widens raft's snapshot interval after each snapshot to
// spacing times what that snapshot took, never below the configured base.
// Raft reads the interval each time it arms its snapshot timer, so the
// next wait already uses the new value.
type snapshotSpacer struct {
	base    time.Duration
	spacing time.Duration
	raft    *atomic.Pointer[raft.Raft]
	log     hclog.Logger
}

// interval is the snapshot interval that follows a snapshot that took took:
// spacing times it, in whole seconds, and never below base.
func (s *snapshotSpacer) interval(took time.Duration) time.Duration {
	want := (s.spacing * took).Round(time.Second)
	return max(want, s.base)
}

// written adjusts raft's snapshot interval after a snapshot that took took.
func (s *snapshotSpacer) written(took time.Duration) {
	r := s.raft.Load()
	if r == nil {
		return
	}
	cur := r.ReloadableConfig()
	next := s.interval(took)
	if next == cur.SnapshotInterval {
		return
	}
	cur.SnapshotInterval = next
	if err := r.ReloadConfig(cur); err != nil {
		s.log.Warn("snapshot interval unchanged", "error", err)
		return
	}
	s.log.Info("snapshot interval set from the last snapshot's duration", "took", took.Round(time.Millisecond), "interval", next)
}
