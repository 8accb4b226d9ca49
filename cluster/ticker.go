package cluster

import (
	"context"
	"sync"
	"time"

	"burndown/engine"
)

// tickPoll is how often the leader looks at the engine's next due time. A
// transition is applied at most this late (its stamp is still exact: a tick
// applies everything due up to its stamped time).
const tickPoll = 50 * time.Millisecond

// watchLeadership runs the leader-only loops while this node is leader and
// stops them as soon as leadership is lost.
func (n *Node) watchLeadership(notify <-chan bool) {
	defer n.wg.Done()
	var (
		cancel context.CancelFunc
		loops  sync.WaitGroup
	)
	stop := func() {
		if cancel != nil {
			cancel()
			loops.Wait()
			cancel = nil
		}
	}
	defer stop()
	for {
		select {
		case leader := <-notify:
			if !leader {
				stop()
				continue
			}
			if cancel == nil {
				cancel = n.startLeaderLoop(&loops)
			}
		case <-n.closing:
			return
		}
	}
}

// startLeaderLoop runs leaderLoop until the returned cancel is called.
func (n *Node) startLeaderLoop(loops *sync.WaitGroup) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	loops.Add(1)
	go func() {
		defer loops.Done()
		n.leaderLoop(ctx)
	}()
	return cancel
}

// leaderLoop first catches the FSM up with everything committed in earlier
// terms, opens the term for AwaitLeadership, makes sure this node's HTTP
// address is in the replicated metadata, then proposes a Tick whenever a
// scheduled transition is due.
func (n *Node) leaderLoop(ctx context.Context) {
	if err := n.waitFuture(ctx, n.raft.Barrier(0)); err != nil {
		n.log.Warn("leader barrier failed", "err", err)
		return
	}
	n.clock.reset()
	// The outbox is caught up (the barrier): the term opens for the
	// leader-only work outside this package (AwaitLeadership: effects'
	// dispatcher delivers what is not marked), until ctx ends.
	n.lead.set(ctx)
	defer n.lead.set(nil)
	n.ensureOwnAddr(ctx)
	n.ensureDataFormat(ctx)
	t := time.NewTicker(tickPoll)
	defer t.Stop()
	var stuck engine.Nanos // a due time a tick did not move: do not spin on it
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		due := n.eng.NextDue()
		if due == 0 || due > n.clock.now() || due == stuck {
			continue
		}
		if _, err := n.prop.propose(ctx, &engine.Tick{}, 0); err != nil {
			if ctx.Err() == nil {
				n.log.Warn("tick failed", "err", err)
			}
			continue
		}
		if n.eng.NextDue() == due {
			stuck = due
			n.log.Warn("a tick left the engine's next due time unchanged", "due", time.Unix(0, due).UTC())
		}
	}
}

// ensureOwnAddr proposes this node's HTTP address if the replicated metadata
// lacks it or holds an old one, so followers can forward to the new leader.
func (n *Node) ensureOwnAddr(ctx context.Context) {
	if n.cfg.HTTPAddr == "" || n.fsm.nodeAddrs()[n.cfg.NodeID] == n.cfg.HTTPAddr {
		return
	}
	cmd := &nodeMetaCmd{ID: n.cfg.NodeID, HTTPAddr: n.cfg.HTTPAddr}
	if _, err := n.prop.propose(ctx, cmd, 0); err != nil && ctx.Err() == nil {
		n.log.Warn("recording this node's http address failed", "err", err)
	}
}
