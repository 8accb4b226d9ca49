package persist

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// snapshotWritebackEvery is how many bytes of a snapshot may sit dirty in the
// page cache before the writer waits for them to reach the disk. Without it a
// snapshot of a large state (100 MB at 100k customers) is written back all at
// once when the sink is closed, and the raft log's fsync queues behind it on
// the same disk: ingest acknowledgements stalled for 100–300 ms at the end of
// every snapshot. Bounded, each log fsync waits behind at most this much.
const snapshotWritebackEvery = 4 << 20

// pacedSnapshotStore is raft's file snapshot store whose sinks push their
// data to the disk as they go (see snapshotWritebackEvery).
type pacedSnapshotStore struct {
	*raft.FileSnapshotStore
	dir    string // the directory raft's store keeps its snapshots in
	every  int64
	logger hclog.Logger
}

func newPacedSnapshotStore(dir string, retain int, logger hclog.Logger) (*pacedSnapshotStore, error) {
	fs, err := raft.NewFileSnapshotStoreWithLogger(dir, retain, logger)
	if err != nil {
		return nil, err
	}
	return &pacedSnapshotStore{FileSnapshotStore: fs, dir: filepath.Join(dir, "snapshots"), every: snapshotWritebackEvery, logger: logger}, nil
}

// Create opens raft's sink and the file it writes, for the writeback.
func (s *pacedSnapshotStore) Create(version raft.SnapshotVersion, index, term uint64,
	configuration raft.Configuration, configurationIndex uint64, trans raft.Transport) (raft.SnapshotSink, error) {
	sink, err := s.FileSnapshotStore.Create(version, index, term, configuration, configurationIndex, trans)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(sinkStatePath(s.dir, sink.ID()))
	if err != nil {
		// raft's layout changed under us: the snapshot is still correct, only
		// written back in one go at the end (TestPacedSnapshotFindsItsFile).
		s.logger.Warn("snapshot writeback pacing is off", "error", err)
		return sink, nil
	}
	return &pacedSink{SnapshotSink: sink, file: f, every: s.every}, nil
}

// sinkStatePath is where raft's file store writes the state of snapshot id
// while it is open: <dir>/<id>.tmp/state.bin.
func sinkStatePath(dir, id string) string {
	return filepath.Join(dir, id+".tmp", "state.bin")
}

// pacedSink waits for each snapshotWritebackEvery bytes to be written back
// before taking more.
type pacedSink struct {
	raft.SnapshotSink
	file    *os.File // a second, read-only handle on the state file
	every   int64
	written int64 // bytes handed to the sink
	synced  int64 // offset up to which the data is known to be on disk
}

func (p *pacedSink) Write(b []byte) (int, error) {
	n, err := p.SnapshotSink.Write(b)
	p.written += int64(n)
	if err == nil && p.written-p.synced >= p.every {
		err = p.writeback()
	}
	return n, err
}

// writeback waits until what the sink has passed to the file is on disk. The
// sink buffers its last few KiB; the next range starts after them, so they
// are left to the sink's fsync at Close.
func (p *pacedSink) writeback() error {
	if err := writeBackRange(p.file, p.synced); err != nil {
		return fmt.Errorf("persist: snapshot writeback: %w", err)
	}
	p.synced = p.written
	return nil
}

func (p *pacedSink) Close() error {
	p.file.Close()
	return p.SnapshotSink.Close()
}

func (p *pacedSink) Cancel() error {
	p.file.Close()
	return p.SnapshotSink.Cancel()
}
