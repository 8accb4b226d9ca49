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
// data to the disk as they go (see snapshotWritebackEvery), and whose old
// snapshots are deleted a step at a time (see reapStep).
type pacedSnapshotStore struct {
	*raft.FileSnapshotStore
	dir    string // the directory raft's store keeps its snapshots in
	every  int64
	retain int // snapshots kept; raft's store itself keeps one more
	reaper *reaper
	logger hclog.Logger
}

func newPacedSnapshotStore(dir string, retain int, logger hclog.Logger) (*pacedSnapshotStore, error) {
	// One more than retain, so raft's store never deletes a snapshot in one
	// go itself: retireOld hands the extra one to the reaper.
	fs, err := raft.NewFileSnapshotStoreWithLogger(dir, retain+1, logger)
	if err != nil {
		return nil, err
	}
	r, err := newReaper(dir, reapStep, reapPause, logger)
	if err != nil {
		return nil, err
	}
	return &pacedSnapshotStore{FileSnapshotStore: fs, dir: filepath.Join(dir, "snapshots"), every: snapshotWritebackEvery,
		retain: retain, reaper: r, logger: logger}, nil
}

// retireOld hands every snapshot past the newest retain to the reaper.
func (s *pacedSnapshotStore) retireOld() error {
	metas, err := s.FileSnapshotStore.List() // newest first
	if err != nil {
		return fmt.Errorf("persist: list snapshots: %w", err)
	}
	for _, m := range metas[min(s.retain, len(metas)):] {
		if err := s.reaper.retire(filepath.Join(s.dir, m.ID)); err != nil {
			return err
		}
	}
	return nil
}

// Close stops the reaper; what it has not deleted yet is deleted after the
// next start.
func (s *pacedSnapshotStore) Close() { s.reaper.Close() }

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
		f = nil
	}
	return &pacedSink{SnapshotSink: sink, store: s, file: f, every: s.every}, nil
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
	store   *pacedSnapshotStore
	file    *os.File // a second, read-only handle on the state file; nil: no pacing
	every   int64
	written int64 // bytes handed to the sink
	synced  int64 // offset up to which the data is known to be on disk
}

func (p *pacedSink) Write(b []byte) (int, error) {
	n, err := p.SnapshotSink.Write(b)
	p.written += int64(n)
	if err == nil && p.file != nil && p.written-p.synced >= p.every {
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

// Close completes the snapshot, then retires the snapshots it makes
// redundant. A snapshot that failed to retire stays where it is, one more
// kept than configured, and is retired after the next snapshot.
func (p *pacedSink) Close() error {
	p.closeFile()
	if err := p.SnapshotSink.Close(); err != nil {
		return err
	}
	if err := p.store.retireOld(); err != nil {
		p.store.logger.Warn("an old snapshot was kept", "error", err)
	}
	return nil
}

func (p *pacedSink) Cancel() error {
	p.closeFile()
	return p.SnapshotSink.Cancel()
}

func (p *pacedSink) closeFile() {
	if p.file != nil {
		p.file.Close()
	}
}
