package cluster

import (
	"sync/atomic"
	"time"

	"burndown/engine"
)

// clock gives the leader the time it stamps entries with. Stamps never go
// backwards, across entries in flight and across leaders: a stamp is at least
// the engine's replicated Now and at least the previous stamp of this leader.
// Under a test clock time stands still: the clock reads the engine's Now, so
// a new leader continues exactly where the old one stopped, and only SetClock
// moves it.
type clock struct {
	test bool
	eng  *engine.Engine
	// last is the latest stamp this node handed out while leader.
	last atomic.Int64
}

// now returns the current time as the leader would stamp it.
func (c *clock) now() engine.Nanos {
	t := max(c.eng.Now(), c.last.Load())
	if !c.test {
		t = max(t, time.Now().UnixNano())
	}
	// A fresh test-clock cluster stands at the Unix epoch until SetClock
	// moves it, so scenarios can be played from any date, past ones included.
	return t
}

// stamp returns the time for the next entry, at least atLeast. Only the
// proposer's goroutine calls it.
func (c *clock) stamp(atLeast engine.Nanos) engine.Nanos {
	t := max(c.now(), atLeast)
	c.last.Store(t)
	return t
}

// reset forgets stamps handed out in an earlier term, some of which may never
// have committed; called when this node becomes leader, after a barrier.
func (c *clock) reset() { c.last.Store(0) }
