package cluster

import (
	"errors"
	"fmt"
	"io"

	"github.com/hashicorp/raft"
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
