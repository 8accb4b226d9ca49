package cluster

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"

	"burndown/engine"
	"burndown/persist"
)

// The dashboard key signs the embeddable dashboard URLs (transport's
// /embed/ pages). A URL made on one node must verify on every other and
// after any restart, and the cluster holds no other secret every node
// shares (API tokens are kept as hashes and may be revoked; the bootstrap
// token is each node's own flag), so the key is replicated: the leader
// draws 32 random bytes the first time a URL is asked for and proposes
// them; the first key applied stays, and later proposals (two leaders
// racing) change nothing. It is kept in the snapshot metadata, so backups
// hold it too, and is never logged or shown.

// kindDashboardKey is the cluster command that records the key; stable
// forever.
const kindDashboardKey engine.Kind = persist.FirstClusterKind + 5

// DashboardKeySize is the key's length in bytes.
const DashboardKeySize = 32

// dashboardKeyCmd records the dashboard signing key.
type dashboardKeyCmd struct {
	Key []byte `msgpack:"Key"`
}

func (*dashboardKeyCmd) Kind() engine.Kind { return kindDashboardKey }

// String hides the key from any log line that prints the command.
func (*dashboardKeyCmd) String() string { return "dashboard_key{…}" }

// applyDashboardKey keeps the first well-formed key.
func (f *fsm) applyDashboardKey(c *dashboardKeyCmd) engine.Result {
	if len(c.Key) != DashboardKeySize {
		return invalid("key: must be %d bytes", DashboardKeySize)
	}
	if f.dashKey.Load() == nil {
		k := slices.Clone(c.Key)
		f.dashKey.Store(&k)
	}
	return engine.Result{}
}

// dashboardKey returns the applied key, nil before one is.
func (f *fsm) dashboardKey() []byte {
	if k := f.dashKey.Load(); k != nil {
		return *k
	}
	return nil
}

// restoreDashboardKey sets the key from a snapshot (none: unset).
func (f *fsm) restoreDashboardKey(key []byte) {
	if len(key) != DashboardKeySize {
		f.dashKey.Store(nil)
		return
	}
	k := slices.Clone(key)
	f.dashKey.Store(&k)
}

// DashboardKey returns the cluster's dashboard signing key as applied on
// this node. When none is applied yet, the leader makes one and replicates
// it (a follower returns ErrNotLeader: the request goes to the leader);
// with create false it only reads (nil, nil: none yet). The caller must
// not modify or log it.
func (n *Node) DashboardKey(ctx context.Context, create bool) ([]byte, error) {
	if k := n.fsm.dashboardKey(); k != nil || !create {
		return k, nil
	}
	key := make([]byte, DashboardKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("cluster: dashboard key: %w", err)
	}
	res, err := n.Propose(ctx, &dashboardKeyCmd{Key: key})
	if err != nil {
		return nil, fmt.Errorf("cluster: dashboard key: %w", err)
	}
	if res.Err != nil {
		return nil, fmt.Errorf("cluster: dashboard key: %s", res.Err.Message)
	}
	return n.fsm.dashboardKey(), nil
}
