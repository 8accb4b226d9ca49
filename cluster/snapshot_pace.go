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
// wait. Half a core doubles the write's duration and leaves requests a
// processor every other millisecond.
const DefaultSnapshotCPUShare = 0.5

// snapshotPaceSlice is how long the writer works between two sleeps: short,
// so that a request never waits long behind it, long enough that the
// sleeps' own cost and overshoot stay small beside it.
const snapshotPaceSlice = time.Millisecond

// writerPacer keeps the snapshot writer to a share of one core: after each
// slice of work it sleeps so that work ÷ (work + sleep) is the share. The
// sleep it owes is carried over, so a sleep the timer lengthens is paid
// back by shorter ones, within one slice. Only the writer's goroutine
// calls step; copy-on-write encodes on the apply path are never paced.
type writerPacer struct {
	share float64
	slice time.Duration
	now   func() time.Time
	sleep func(time.Duration)
	// start is when the current slice of work began; owed is sleep due but
	// not slept yet (negative after an overshoot).
	start time.Time
	owed  time.Duration
	// slept is the total time spent sleeping, for the log.
	slept time.Duration
}

// newWriterPacer returns a pacer for share of one core (0:
// DefaultSnapshotCPUShare), or nil when share is 1 or more (unpaced).
func newWriterPacer(share float64) *writerPacer {
	if share <= 0 {
		share = DefaultSnapshotCPUShare
	}
	if share >= 1 {
		return nil
	}
	return &writerPacer{share: share, slice: snapshotPaceSlice, now: time.Now, sleep: time.Sleep, start: time.Now()}
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

// validSnapshotCPUShare reports whether share can pace a writer: above 0,
// at most 1 (1: unpaced).
func validSnapshotCPUShare(share float64) error {
	if !(share > 0 && share <= 1) {
		return fmt.Errorf("cluster: snapshot CPU share %v: want above 0 and at most 1", share)
	}
	return nil
}
