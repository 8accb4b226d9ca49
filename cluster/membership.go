package cluster

import (
	"context"
	"fmt"

	"github.com/hashicorp/raft"
)

// AddNode adds a voter (leader only). It is idempotent: a node already in the
// configuration at the same raft address is left alone, a node whose address
// changed is re-added; either way its HTTP address is recorded in the
// replicated metadata so the others can forward to it once it leads.
func (n *Node) AddNode(ctx context.Context, id, raftAddr, httpAddr string) error {
	if id == "" || raftAddr == "" {
		return fmt.Errorf("cluster: add node: id and raft address are required")
	}
	if !n.IsLeader() {
		return ErrNotLeader
	}
	servers, err := n.servers(ctx)
	if err != nil {
		return err
	}
	present := false
	for _, s := range servers {
		switch {
		case string(s.ID) == id && string(s.Address) == raftAddr && s.Suffrage == raft.Voter:
			present = true
		case string(s.ID) != id && string(s.Address) == raftAddr:
			// Another id holds that address (a node that was rebuilt): drop it.
			if err := n.waitFuture(ctx, n.raft.RemoveServer(s.ID, 0, timeoutOf(ctx))); err != nil {
				return fmt.Errorf("cluster: add node %s: remove stale %s: %w", id, s.ID, err)
			}
		}
	}
	if !present {
		f := n.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(raftAddr), 0, timeoutOf(ctx))
		if err := n.waitFuture(ctx, f); err != nil {
			return fmt.Errorf("cluster: add node %s: %w", id, err)
		}
	}
	if httpAddr != "" && n.fsm.nodeAddrs()[id] != httpAddr {
		if _, err := n.prop.propose(ctx, &nodeMetaCmd{ID: id, HTTPAddr: httpAddr}, 0); err != nil {
			return fmt.Errorf("cluster: add node %s: record http address: %w", id, err)
		}
	}
	return nil
}

// RemoveNode removes a node from the configuration (leader only); removing
// a node that is not a member is not an error.
func (n *Node) RemoveNode(ctx context.Context, id string) error {
	if !n.IsLeader() {
		return ErrNotLeader
	}
	if _, ok := n.fsm.nodeAddrs()[id]; ok {
		if _, err := n.prop.propose(ctx, &nodeMetaCmd{ID: id, Remove: true}, 0); err != nil {
			return fmt.Errorf("cluster: remove node %s: %w", id, err)
		}
	}
	servers, err := n.servers(ctx)
	if err != nil {
		return err
	}
	for _, s := range servers {
		if string(s.ID) == id {
			if err := n.waitFuture(ctx, n.raft.RemoveServer(s.ID, 0, timeoutOf(ctx))); err != nil {
				return fmt.Errorf("cluster: remove node %s: %w", id, err)
			}
		}
	}
	return nil
}

// TransferLeadership hands leadership to another voter (leader only), e.g.
// before upgrading or stopping this node.
func (n *Node) TransferLeadership() error {
	if !n.IsLeader() {
		return ErrNotLeader
	}
	if err := n.raft.LeadershipTransfer().Error(); err != nil {
		return fmt.Errorf("cluster: transfer leadership: %w", mapRaftError(err))
	}
	return nil
}

// IsMember reports whether this node belongs to a configuration already,
// so a restart with --join or --bootstrap knows there is nothing to do.
func (n *Node) IsMember() bool {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	for _, s := range f.Configuration().Servers {
		if string(s.ID) == n.cfg.NodeID {
			return true
		}
	}
	return false
}

func (n *Node) servers(ctx context.Context) ([]raft.Server, error) {
	f := n.raft.GetConfiguration()
	if err := n.waitFuture(ctx, f); err != nil {
		return nil, fmt.Errorf("cluster: read configuration: %w", err)
	}
	return f.Configuration().Servers, nil
}
