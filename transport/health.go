package transport

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// healthz answers 200 while the process serves HTTP (liveness).
func (s *Server) healthz(ctx *fasthttp.RequestCtx) {
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType("application/json")
	ctx.SetBodyString(`{"status":"ok"}`)
}

// DefaultReadyMaxLag is how many entries a follower may have applied short
// of the leader's commit index and still be ready.
const DefaultReadyMaxLag = 1000

// readyz answers 200 when this node can serve current answers: it leads, or
// it follows a known leader and has applied within cfg.ReadyMaxLag entries
// of that leader's commit index, and, since it started, it has once applied
// all the leader had committed (catchup.go) (a node that just restarted, or fell
// behind, is not ready until it catches up, so a load balancer keeps its
// stale entitlement answers from clients). 503 with Retry-After otherwise.
func (s *Server) readyz(ctx *fasthttp.RequestCtx) {
	if !s.node.IsLeader() {
		leader := s.node.LeaderHTTPAddr()
		if leader == "" {
			writeError(ctx, unavailable("no leader is elected"))
			return
		}
		commit, err := s.leaderCommit.get(s, leader)
		if err != nil {
			writeError(ctx, unavailable("the leader at %s does not say how far it is: %v", leader, err))
			return
		}
		if applied := s.node.Status().AppliedIndex; commit > applied+s.cfg.ReadyMaxLag {
			writeError(ctx, unavailable("catching up: applied %d of the leader's %d entries", applied, commit))
			return
		}
	}
	if !s.readsOpen() {
		writeError(ctx, unavailable("catching up since it started: not yet applied all the leader had committed"))
		return
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType("application/json")
	ctx.SetBodyString(`{"status":"ready"}`)
}

// legacyPositions reads a leader's state index and serving flag. A leader
// of an earlier release (a rolling upgrade upgrades followers first)
// reports neither: the follower then serves reads as earlier releases did,
// rather than refuse them all until the leader is upgraded.
func legacyPositions(state *uint64, serving *bool) (uint64, bool) {
	if state == nil || serving == nil {
		return 0, true
	}
	return *state, *serving
}

// leaderCommitCache keeps the leader's commit index for a moment, so
// frequent probes cost the leader one status request per leaderCommitTTL.
type leaderCommitCache struct {
	mu     sync.Mutex
	leader string
	commit uint64
	state  uint64 // the leader's state index (catchup.go)
	// serving says the leader serves reads, so its state index holds all
	// it had committed (a new leader may still be applying its log).
	serving bool
	at      time.Time
}

// leaderCommitTTL is how long a fetched commit index is reused.
const leaderCommitTTL = 250 * time.Millisecond

// get returns the commit index of the leader at addr, asking it (with this
// node's admin token, over the forwarder's connections) when the cached one
// is older than leaderCommitTTL or of another leader.
func (c *leaderCommitCache) get(s *Server, addr string) (uint64, error) {
	commit, _, _, err := c.positions(s, addr)
	return commit, err
}

// positions returns the leader's commit index, its state index and whether
// it serves reads (see get).
func (c *leaderCommitCache) positions(s *Server, addr string) (commit, state uint64, serving bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.leader == addr && time.Since(c.at) < leaderCommitTTL {
		return c.commit, c.state, c.serving, nil
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(s.fwd.scheme() + "://" + addr + "/v1/cluster/status")
	req.Header.Set(fasthttp.HeaderAuthorization, "Bearer "+string(s.token))
	if err := s.fwd.client(addr).DoTimeout(req, resp, time.Second); err != nil {
		return 0, 0, false, fmt.Errorf("status: %w", err)
	}
	var st struct {
		CommitIndex  uint64  `json:"commit_index"`
		StateIndex   *uint64 `json:"state_index"`
		ServingReads *bool   `json:"serving_reads"`
	}
	if resp.StatusCode() != fasthttp.StatusOK || json.Unmarshal(resp.Body(), &st) != nil {
		return 0, 0, false, fmt.Errorf("status answered %d", resp.StatusCode())
	}
	state, serving = legacyPositions(st.StateIndex, st.ServingReads)
	c.leader, c.commit, c.state, c.serving, c.at = addr, st.CommitIndex, state, serving, time.Now()
	return st.CommitIndex, state, serving, nil
}
