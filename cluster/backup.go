package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/raft"

	"burndown/persist"
)

// Snapshot takes a snapshot now (and lets raft truncate the log behind it).
// Nothing new since the last snapshot is not an error.
func (n *Node) Snapshot() error {
	if err := n.raft.Snapshot().Error(); err != nil && !errors.Is(err, raft.ErrNothingNewToSnapshot) {
		return fmt.Errorf("cluster: snapshot: %w", mapRaftError(err))
	}
	return nil
}

// Backup takes a snapshot if anything changed since the last one and streams
// the newest snapshot to w. The stream is the persist snapshot format, which
// persist.ReadSnapshot reads back.
func (n *Node) Backup(w io.Writer) error {
	if err := n.Snapshot(); err != nil {
		return err
	}
	metas, err := n.stores.Snapshots.List()
	if err != nil {
		return fmt.Errorf("cluster: backup: list snapshots: %w", err)
	}
	if len(metas) == 0 {
		return errors.New("cluster: backup: no snapshot yet")
	}
	_, rc, err := n.stores.Snapshots.Open(metas[0].ID)
	if err != nil {
		return fmt.Errorf("cluster: backup: open snapshot %s: %w", metas[0].ID, err)
	}
	defer rc.Close()
	if _, err := io.Copy(w, rc); err != nil {
		return fmt.Errorf("cluster: backup: %w", err)
	}
	return nil
}

// Restore replaces the whole state of the cluster with a backup taken by
// Backup (leader only; for disaster recovery into a fresh cluster). The backup
// is first copied to the data dir and checked end to end, so a damaged file
// is refused before anything changes. The members' HTTP addresses are the
// current ones, not the backup's.
func (n *Node) Restore(ctx context.Context, r io.Reader) error {
	if !n.IsLeader() {
		return ErrNotLeader
	}
	tmp, err := os.CreateTemp(n.cfg.DataDir, "restore-*.snap")
	if err != nil {
		return fmt.Errorf("cluster: restore: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	size, err := io.Copy(tmp, r)
	if err != nil {
		return fmt.Errorf("cluster: restore: copy backup: %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("cluster: restore: %w", err)
	}
	if _, _, err := persist.ReadSnapshot(tmp); err != nil {
		return fmt.Errorf("%w: %w", ErrBadBackup, err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("cluster: restore: %w", err)
	}
	// Raft refuses a restore until the latest configuration is committed.
	if err := n.waitFuture(ctx, n.raft.Barrier(timeoutOf(ctx))); err != nil {
		return fmt.Errorf("cluster: restore: %w", err)
	}
	before := n.fsm.nodeAddrs()
	meta := &raft.SnapshotMeta{Version: raft.SnapshotVersionMax, Size: size}
	if err := n.raft.Restore(meta, tmp, timeoutOf(ctx)); err != nil {
		return fmt.Errorf("cluster: restore: %w", mapRaftError(err))
	}
	return n.reconcileAddrs(ctx, before)
}

// reconcileAddrs makes the replicated HTTP addresses match the current
// members again after a restore brought in another cluster's.
func (n *Node) reconcileAddrs(ctx context.Context, before map[string]string) error {
	servers, err := n.servers(ctx)
	if err != nil {
		return err
	}
	after := n.fsm.nodeAddrs()
	members := map[string]bool{}
	for _, s := range servers {
		id := string(s.ID)
		members[id] = true
		want := before[id]
		if id == n.cfg.NodeID {
			want = n.cfg.HTTPAddr
		}
		if want != "" && after[id] != want {
			if _, err := n.prop.propose(ctx, &nodeMetaCmd{ID: id, HTTPAddr: want}, 0); err != nil {
				return fmt.Errorf("cluster: restore: record %s's http address: %w", id, err)
			}
		}
	}
	for id := range after {
		if !members[id] {
			if _, err := n.prop.propose(ctx, &nodeMetaCmd{ID: id, Remove: true}, 0); err != nil {
				return fmt.Errorf("cluster: restore: forget %s: %w", id, err)
			}
		}
	}
	return nil
}
