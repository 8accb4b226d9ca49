package cluster

import (
	"fmt"
	"io"
	"sync"

	"github.com/hashicorp/raft"
)

// followerLag remembers, on the leader, each follower's last log index as
// it reported it in its latest AppendEntries answer (heartbeats included),
// for burndown_follower_lag_entries. Raft keeps its followers' positions
// to itself, so the node reads them off the wire: lagTransport wraps raft's
// transport and sees every answer.
type followerLag struct {
	mu   sync.Mutex
	last map[raft.ServerID]uint64
}

func newFollowerLag() *followerLag { return &followerLag{last: map[raft.ServerID]uint64{}} }

// wrap returns t with its AppendEntries answers observed. The embedded
// transport keeps every other method (and the optional interfaces raft
// looks for: WithClose, WithPeers, WithPreVote) as they are.
func (l *followerLag) wrap(t *raft.NetworkTransport) raft.Transport {
	return &lagTransport{NetworkTransport: t, lag: l}
}

func (l *followerLag) record(id raft.ServerID, lastLog uint64) {
	l.mu.Lock()
	l.last[id] = lastLog
	l.mu.Unlock()
}

func (l *followerLag) lastLog(id raft.ServerID) (uint64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.last[id]
	return v, ok
}

type lagTransport struct {
	*raft.NetworkTransport
	lag *followerLag
}

// AppendEntries sends the request and records the follower's last index.
func (t *lagTransport) AppendEntries(id raft.ServerID, target raft.ServerAddress, args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse) error {
	err := t.NetworkTransport.AppendEntries(id, target, args, resp)
	if err == nil {
		t.lag.record(id, resp.LastLog)
	}
	return err
}

// writeFollowerLag writes burndown_follower_lag_entries{peer}: on the
// leader, how many entries each follower's log is behind the leader's
// (nothing on a follower, nor for a follower that has not answered yet).
func (n *Node) writeFollowerLag(w io.Writer) {
	if !n.IsLeader() {
		return
	}
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return
	}
	last := n.raft.LastIndex()
	header := false
	for _, s := range f.Configuration().Servers {
		if string(s.ID) == n.cfg.NodeID {
			continue
		}
		theirs, ok := n.lag.lastLog(s.ID)
		if !ok {
			continue
		}
		if !header {
			fmt.Fprintf(w, "# HELP burndown_follower_lag_entries Entries a follower's log is behind the leader's.\n# TYPE burndown_follower_lag_entries gauge\n")
			header = true
		}
		lag := uint64(0)
		if last > theirs {
			lag = last - theirs
		}
		fmt.Fprintf(w, "burndown_follower_lag_entries{peer=%q} %d\n", s.ID, lag)
	}
}
