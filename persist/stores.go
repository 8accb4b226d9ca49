package persist

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// logCacheSize is how many recent log entries are kept in memory, so
// followers catching up and the FSM read them without touching bolt. Entries
// are group commits of up to 1 MiB each, so the cache is kept short: 256
// entries covers replication in flight while bounding the memory it pins.
const logCacheSize = 256

// snapshotsRetained is how many snapshots the file store keeps: the newest
// plus one to fall back on if the newest turns out unreadable.
const snapshotsRetained = 2

// Stores are raft's durable stores in one data directory: the bolt file
// holding the log and the stable state (term, vote), the snapshot directory,
// and a log cache in front of bolt.
type Stores struct {
	Log       raft.LogStore
	Stable    raft.StableStore
	Snapshots raft.SnapshotStore
	bolt      *raftboltdb.BoltStore
}

// OpenStores opens (creating if needed) the stores under dir.
func OpenStores(dir string, logger hclog.Logger) (*Stores, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("persist: data dir: %w", err)
	}
	bolt, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db")})
	if err != nil {
		return nil, fmt.Errorf("persist: open raft.db: %w", err)
	}
	cache, err := raft.NewLogCache(logCacheSize, bolt)
	if err != nil {
		bolt.Close()
		return nil, fmt.Errorf("persist: log cache: %w", err)
	}
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	snaps, err := newPacedSnapshotStore(dir, snapshotsRetained, logger)
	if err != nil {
		bolt.Close()
		return nil, fmt.Errorf("persist: snapshot store: %w", err)
	}
	return &Stores{Log: cache, Stable: bolt, Snapshots: snaps, bolt: bolt}, nil
}

// HasState reports whether the stores hold any raft state, i.e. whether this
// data dir already belongs to a cluster.
func (s *Stores) HasState() (bool, error) {
	return raft.HasExistingState(s.Log, s.Stable, s.Snapshots)
}

// Close closes the bolt file. Raft must be shut down first.
func (s *Stores) Close() error {
	if s.bolt == nil {
		return errors.New("persist: stores already closed")
	}
	err := s.bolt.Close()
	s.bolt = nil
	return err
}
