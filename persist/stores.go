package persist

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

// logCacheSize is how many recent log entries are kept in memory, so
// followers catching up and the FSM read them without touching bolt. Entries
// are group commits of up to 1 MiB each, so the cache is kept short: 256
// entries covers replication in flight while bounding the memory it pins.
const logCacheSize = 256

// snapshotsRetained is how many snapshots the file store keeps: the newest
// plus one to fall back on if the newest turns out unreadable.
const snapshotsRetained = 2

// boltOptions keep the log's freelist off the disk. bbolt otherwise rewrites
// its whole freelist on every commit, and after log compaction frees the
// pages of hundreds of thousands of entries that list is large: each append
// then wrote megabytes and took 20-28 ms at 300k customers. Without it, bolt
// rebuilds the freelist by scanning the file when it opens (etcd, Consul and
// rqlite run the same way). The map freelist finds a run of free pages
// without scanning an array. A file written either way opens either way.
func boltOptions() *bbolt.Options {
	return &bbolt.Options{NoFreelistSync: true, FreelistType: bbolt.FreelistMapType}
}

// Stores are raft's durable stores in one data directory: the bolt file
// holding the log and the stable state (term, vote), the snapshot directory,
// and a log cache in front of bolt.
type Stores struct {
	Log       raft.LogStore
	Stable    raft.StableStore
	Snapshots raft.SnapshotStore
	bolt      *raftboltdb.BoltStore
	snaps     *pacedSnapshotStore
}

// OpenStores opens (creating if needed) the stores under dir.
func OpenStores(dir string, logger hclog.Logger) (*Stores, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("persist: data dir: %w", err)
	}
	bolt, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db"), BoltOptions: boltOptions()})
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
	return &Stores{Log: cache, Stable: bolt, Snapshots: snaps, bolt: bolt, snaps: snaps}, nil
}

// HasState reports whether the stores hold any raft state, i.e. whether this
// data dir already belongs to a cluster.
func (s *Stores) HasState() (bool, error) {
	return raft.HasExistingState(s.Log, s.Stable, s.Snapshots)
}

// Close stops deleting old snapshots and closes the bolt file. Raft must be
// shut down first.
func (s *Stores) Close() error {
	if s.bolt == nil {
		return errors.New("persist: stores already closed")
	}
	s.snaps.Close()
	err := s.bolt.Close()
	s.bolt = nil
	return err
}
