package cluster

import (
	"fmt"
	"time"
)

// DefaultSnapshotCPUShare is the share of one core the snapshot writer
// takes by default. Unpaced, at 1M customers, it kept a core busy for about
// 13 s on a 2-core machine and the checks served meanwhile had a p99 three
// to four times their usual one: a goroutine that never blocks holds its
// scheduler slot until Go preempts it (10 ms), and requests ready behind it
// wait. Paced to half a core, the customers (nearly all of a snapshot's
// work) take twice as long to write and requests find a processor free
// every other millisecond.
const DefaultSnapshotCPUShare = 0.5

// MinSnapshotCPUShare is the smallest share accepted: a snapshot at most 20
// times as long as unpaced. Below it one typo could stretch a snapshot to
// hours, holding off log compaction and keeping every changed customer
// encoded in memory meanwhile.
const MinSnapshotCPUShare = 0.05

// snapshotPaceSlice is how long the writer works between two sleeps: short,
// so that a request seldom waits long behind it, long enough that the
// sleeps' own cost and overshoot stay small beside it.
const snapshotPaceSlice = time.Millisecond

// writerPacer keeps the snapshot writer to a share of one core: after each
// slice it sleeps so that slice ÷ (slice + sleep) is the share. A slice is
// wall time, so time the writer spends waiting for a CPU or for the disk
// counts as work: under load it takes less than its share, never more.
// The sleep it owes is carried over, so a sleep the timer lengthens is paid
// back by shorter ones, within one slice. Only the writer's goroutine calls
// step, once per customer; the snapshot's other sections (the order, each
// shard's sort, the dedup index) and copy-on-write encodes on the apply
// path are not paced.
type writerPacer struct {
	share float64
	slice time.Duration
	now   func() time.Time
	sleep func(time.Duration)
	// start is when the current slice of work began; owed is sleep due but
	// not slept yet (negative after an overshoot).
	start time.Time
	owed  time.Duration
	// slept is the total time spent sleeping, for the log and the metric.
	slept time.Duration
}

// newWriterPacer returns a pacer for share of one core (0:
// DefaultSnapshotCPUShare), or nil when share is 1 or more (unpaced). Its
// sleeps end early, and it stops sleeping, once stop is closed, so a node
// shutting down is not held by a paced snapshot's sleeps (nil: never).
func newWriterPacer(share float64, stop <-chan struct{}) *writerPacer {
	if share <= 0 {
		share = DefaultSnapshotCPUShare
	}
	if share >= 1 {
		return nil
	}
	sleep := func(d time.Duration) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-stop:
		}
	}
	return &writerPacer{share: share, slice: snapshotPaceSlice, now: time.Now, sleep: sleep, start: time.Now()}
}

// step is called after each customer written; it sleeps when a slice of
// work is over.
func (p *writerPacer) step() {
	now := p.now()
	worked := now.Sub(p.start)
	if worked < p.slice {
		return
	}
	p.owed += time.Duration(float64(worked) * (1 - p.share) / p.share)
	if p.owed <= 0 {
		p.start = now
		return
	}
	p.sleep(p.owed)
	after := p.now()
	p.slept += after.Sub(now)
	p.owed -= after.Sub(now)
	if p.owed < -p.slice {
		p.owed = -p.slice
	}
	p.start = after
}

// sleptSoFar is the time the pacer has slept; zero for no pacer (nil).
func (p *writerPacer) sleptSoFar() time.Duration {
	if p == nil {
		return 0
	}
	return p.slept
}

// ValidSnapshotCPUShare reports whether share can pace a writer: from
// MinSnapshotCPUShare to 1 (1: unpaced). Open checks Config with it; a
// command line checks its flag with it first, to name the flag.
func ValidSnapshotCPUShare(share float64) error {
	if !(share >= MinSnapshotCPUShare && share <= 1) {
		return fmt.Errorf("cluster: snapshot CPU share %v: want from %v to 1", share, MinSnapshotCPUShare)
	}
	return nil
}
