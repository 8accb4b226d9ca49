package cluster

import (
	"strings"
	"sync"

	"github.com/hashicorp/raft"

	"burndown/telemetry"
)

// Status is this node's view of the cluster, shaped as /v1/cluster/status.
type Status struct {
	NodeID         string `json:"node_id"`
	State          string `json:"state"` // leader|follower|candidate|shutdown
	LeaderID       string `json:"leader_id"`
	LeaderHTTPAddr string `json:"leader_http_addr"`
	Term           uint64 `json:"term"`
	CommitIndex    uint64 `json:"commit_index"`
	AppliedIndex   uint64 `json:"applied_index"`
	// StateIndex is the log index of the last entry applied to this node's
	// state (raft's applied index counts entries handed over, not yet
	// applied): what a restarting follower compares with the leader's.
	StateIndex uint64 `json:"state_index"`
	// DataFormat is the cluster's data format (0: what earlier releases
	// read; 1: this release's, after finalize-upgrade).
	DataFormat uint8        `json:"data_format"`
	Nodes      []NodeStatus `json:"nodes"`
}

// NodeStatus is one member of the configuration. State is what this node
// knows of it: "leader", "follower", "unreachable" (the leader's heartbeats
// to it are failing), or this node's own state for itself.
type NodeStatus struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	HTTPAddr string `json:"http_addr"`
	Suffrage string `json:"suffrage"` // voter|nonvoter
	State    string `json:"state"`
}

// Status reports the node's raft state and the configuration.
func (n *Node) Status() Status {
	_, leader := n.raft.LeaderWithID()
	st := Status{
		NodeID:         n.cfg.NodeID,
		State:          strings.ToLower(n.raft.State().String()),
		LeaderID:       string(leader),
		LeaderHTTPAddr: n.LeaderHTTPAddr(),
		Term:           n.raft.CurrentTerm(),
		CommitIndex:    n.raft.CommitIndex(),
		AppliedIndex:   n.raft.AppliedIndex(),
		StateIndex:     n.eng.AppliedIndex(),
		DataFormat:     uint8(n.DataFormat()),
		Nodes:          []NodeStatus{},
	}
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return st
	}
	addrs := n.fsm.nodeAddrs()
	isLeader := st.State == "leader"
	for _, s := range f.Configuration().Servers {
		ns := NodeStatus{ID: string(s.ID), RaftAddr: string(s.Address), HTTPAddr: addrs[string(s.ID)], Suffrage: "voter", State: "follower"}
		if s.Suffrage != raft.Voter {
			ns.Suffrage = "nonvoter"
		}
		switch {
		case string(s.ID) == n.cfg.NodeID:
			ns.State = st.State
			if ns.HTTPAddr == "" {
				ns.HTTPAddr = n.cfg.HTTPAddr
			}
		case s.ID == leader:
			ns.State = "leader"
		case isLeader && n.peers.failing(string(s.ID)):
			ns.State = "unreachable"
		}
		st.Nodes = append(st.Nodes, ns)
	}
	return st
}

// peerHealth tracks, on the leader, which followers' heartbeats fail.
type peerHealth struct {
	mu      sync.Mutex
	failed  map[string]bool
	ch      chan raft.Observation
	obs     *raft.Observer
	stopped chan struct{}
	// metrics counts the leader changes observed.
	metrics *telemetry.Metrics
}

func newPeerHealth(m *telemetry.Metrics) *peerHealth {
	return &peerHealth{failed: map[string]bool{}, ch: make(chan raft.Observation, 64), stopped: make(chan struct{}), metrics: m}
}

func (p *peerHealth) observe(r *raft.Raft) {
	p.obs = raft.NewObserver(p.ch, false, func(o *raft.Observation) bool {
		switch o.Data.(type) {
		case raft.FailedHeartbeatObservation, raft.ResumedHeartbeatObservation, raft.LeaderObservation:
			return true
		}
		return false
	})
	r.RegisterObserver(p.obs)
	go func() {
		defer close(p.stopped)
		for o := range p.ch {
			p.mu.Lock()
			switch d := o.Data.(type) {
			case raft.FailedHeartbeatObservation:
				p.failed[string(d.PeerID)] = true
			case raft.ResumedHeartbeatObservation:
				delete(p.failed, string(d.PeerID))
			case raft.LeaderObservation:
				p.failed = map[string]bool{}
				p.metrics.LeaderChanged()
			}
			p.mu.Unlock()
		}
	}()
}

func (p *peerHealth) failing(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed[id]
}

// close stops observing; raft must be shut down (nothing sends any more).
func (p *peerHealth) close(r *raft.Raft) {
	if p.obs == nil {
		return
	}
	r.DeregisterObserver(p.obs)
	close(p.ch)
	<-p.stopped
}
