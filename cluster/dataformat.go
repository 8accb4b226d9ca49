package cluster

import (
	"context"
	"errors"
	"fmt"

	"burndown/engine"
	"burndown/persist"
)

// The cluster's data format (persist.DataFormat): which layouts every node
// reads, so which the leader may write. A cluster upgraded in place from an
// earlier release keeps writing what that release reads until the operator
// finalizes the upgrade (FinalizeUpgrade, once every node runs this
// release); a cluster bootstrapped by this release finalizes itself at its
// first leadership. The format is replicated (set_data_format, kept in
// snapshots) and only moves forward; each node's codec follows it as the
// command is applied.

// kindDataFormat is the cluster command that moves the data format. Its
// number is stable forever; earlier releases do not know it and stop on it,
// which is why it is proposed only once every node runs this release.
const kindDataFormat engine.Kind = persist.FirstClusterKind + 2

// dataFormatCmd moves the cluster's data format forward to Format.
type dataFormatCmd struct {
	Format persist.DataFormat `msgpack:"Format"`
}

func (*dataFormatCmd) Kind() engine.Kind { return kindDataFormat }

// ErrUpgradeNotFinalized is returned for what needs every node on this
// release while the cluster's data format says some may not be.
var ErrUpgradeNotFinalized = errors.New("cluster: the upgrade to this release is not finalized (burndown cluster finalize-upgrade, once every node runs it)")

// applyDataFormat moves the format forward; a format this release does not
// know (written by a newer leader) is refused, and the node will stop on the
// first entry it cannot read.
func (f *fsm) applyDataFormat(c *dataFormatCmd) engine.Result {
	if c.Format > persist.LatestDataFormat {
		return engine.Result{Err: &engine.Error{Code: engine.Invalid, Message: fmt.Sprintf("format: data format %d is newer than this release's %d", c.Format, persist.LatestDataFormat)}}
	}
	if c.Format > f.dataFormat() {
		f.setDataFormat(c.Format)
	}
	return engine.Result{}
}

// dataFormat returns the cluster's data format as applied here.
func (f *fsm) dataFormat() persist.DataFormat { return persist.DataFormat(f.format.Load()) }

// setDataFormat records the format, has the codec write it and the engine
// send what every node of the format sends: invoice.finalized from
// v0.5.0's format on (a replica replaying older entries queues what their
// release queued). ApplyBatch applies the entries before a format change
// first, so where raft cuts batches never matters.
func (f *fsm) setDataFormat(df persist.DataFormat) {
	f.format.Store(uint32(df))
	f.codec.SetDataFormat(df)
	f.eng.SetInvoiceFinalizedNotes(df >= persist.DataFormatCompactAmounts)
}

// hasDataFormat reports whether an entry moves the data format.
func hasDataFormat(cmds []engine.Command) bool {
	for _, c := range cmds {
		if _, ok := c.(*dataFormatCmd); ok {
			return true
		}
	}
	return false
}

// DataFormat returns the cluster's data format as applied on this node.
func (n *Node) DataFormat() persist.DataFormat { return n.fsm.dataFormat() }

// FinalizeUpgrade moves the cluster to this release's data format: from
// then on the leader writes what only this release and later ones read. Run
// it once every node runs this release (a node of an earlier release stops
// on the entry, and resumes once restarted on this one). It is idempotent;
// on a follower it returns ErrNotLeader.
func (n *Node) FinalizeUpgrade(ctx context.Context) error {
	if !n.IsLeader() {
		return ErrNotLeader
	}
	if n.DataFormat() >= persist.LatestDataFormat {
		return nil
	}
	res, err := n.prop.propose(ctx, &dataFormatCmd{Format: persist.LatestDataFormat}, 0)
	if err != nil {
		return fmt.Errorf("cluster: finalize upgrade: %w", err)
	}
	if res.Err != nil {
		return fmt.Errorf("cluster: finalize upgrade: %s", res.Err.Message)
	}
	return nil
}

// ensureDataFormat finalizes a cluster this node bootstrapped on a fresh
// data dir: every node of it runs this release or a later one.
func (n *Node) ensureDataFormat(ctx context.Context) {
	if !n.bootstrapped || n.DataFormat() >= persist.LatestDataFormat {
		return
	}
	if err := n.FinalizeUpgrade(ctx); err != nil && ctx.Err() == nil {
		n.log.Warn("setting a new cluster's data format failed", "err", err)
	}
}
