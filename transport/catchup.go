package transport

import (
	"context"
	"time"

	"github.com/valyala/fasthttp"
)

// A node answers checks and reads from its own state. Right after it starts,
// that state is its snapshot plus whatever part of its log has been applied
// so far: answers from it could be from before it stopped, or half-way
// through (a customer without its contract). So local reads answer 503
// with Retry-After (the client asks another node) until the node has caught
// up once: a leader once a raft barrier says everything before it is
// applied, a follower once its state index reaches that of a leader that
// serves reads itself (a new leader may still be applying its log; fetched
// at most leaderCommitTTL before). It opens once: later lag is the
// replication pipeline's (milliseconds), and a node that falls far behind
// is kept from clients by /readyz.

// catchUpPoll is how often a starting node checks its progress.
const catchUpPoll = 50 * time.Millisecond

// openIfCaughtUp checks once and opens the gate when the node has caught
// up; New calls it so a server in front of a current leader serves at once.
func (s *Server) openIfCaughtUp() bool {
	if s.caughtUp.Load() {
		return true
	}
	if !s.caughtUpNow() {
		return false
	}
	s.caughtUp.Store(true)
	s.log.Info("caught up since start: serving reads from this node's state", "state_index", s.node.Engine().AppliedIndex())
	return true
}

// watchCatchUp polls until the gate opens or done is closed.
func (s *Server) watchCatchUp(done <-chan struct{}) {
	t := time.NewTicker(catchUpPoll)
	defer t.Stop()
	for !s.openIfCaughtUp() {
		select {
		case <-done:
			return
		case <-t.C:
		}
	}
}

// caughtUpNow reports whether this node's state holds all the leader had
// applied when asked.
func (s *Server) caughtUpNow() bool {
	if s.node.IsLeader() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return s.node.Barrier(ctx) == nil
	}
	leader := s.node.LeaderHTTPAddr()
	if leader == "" {
		return false
	}
	_, state, serving, err := s.leaderCommit.positions(s, leader)
	return err == nil && serving && s.node.Engine().AppliedIndex() >= state
}

// readsOpen reports whether local reads are served (one atomic load).
func (s *Server) readsOpen() bool { return s.caughtUp.Load() }

// notCaughtUp answers a local read on a node still catching up.
func (s *Server) notCaughtUp(ctx *fasthttp.RequestCtx) {
	writeError(ctx, unavailable("this node is catching up after it started and answers no reads yet; retry on another node"))
}
