package persist

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Deleting an old snapshot frees its blocks all at once. On a file system
// mounted with discard (this project's CI and bench machine: ext4 on a
// virtual disk) the freed blocks are trimmed at the next journal commit, and
// every fsync waits behind it: removing a 1.1 GB snapshot (1M customers)
// stalled the raft log's fsyncs for 70-190 ms, several times over the next
// four seconds, so ingest acknowledgements stalled at the end of every
// snapshot. Freeing reapStep bytes every reapPause (20 MB/s) kept every
// fsync under 20 ms in the same test. So raft's file store keeps one
// snapshot more than snapshotsRetained; the store moves the extra one out of
// raft's sight (reapDirName, beside the snapshot directory, on the same
// file system) as soon as a new one is written, and a reaper shrinks its
// files a step at a time before removing them. A 1.1 GB snapshot takes
// about a minute to go, well inside raft's two-minute snapshot interval.
const (
	reapStep  = 2 << 20
	reapPause = 100 * time.Millisecond
)

// reapDirName is the directory under the data dir that holds snapshots
// being deleted. Nothing in it is ever read: whatever a crash leaves there
// is deleted by the next start.
const reapDirName = "snapshots-reaping"

// reaper deletes the snapshot directories handed to it (retire), a step at
// a time, on its own goroutine, until Close.
type reaper struct {
	dir    string
	step   int64
	pause  time.Duration
	logger hclog.Logger
	wake   chan struct{}
	stop   chan struct{}
	done   chan struct{}
}

// newReaper starts a reaper over dataDir/reapDirName that frees step bytes
// every pause; it first deletes whatever an earlier process left there.
func newReaper(dataDir string, step int64, pause time.Duration, logger hclog.Logger) (*reaper, error) {
	dir := filepath.Join(dataDir, reapDirName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("persist: snapshot reaping dir: %w", err)
	}
	r := &reaper{dir: dir, step: step, pause: pause, logger: logger,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	r.wake <- struct{}{}
	go r.run()
	return r, nil
}

// retire moves the snapshot directory out of raft's store, at once, and
// leaves its deletion to the reaper.
func (r *reaper) retire(snapshotDir string) error {
	to := filepath.Join(r.dir, filepath.Base(snapshotDir))
	if err := os.Rename(snapshotDir, to); err != nil {
		return fmt.Errorf("persist: retire snapshot %s: %w", filepath.Base(snapshotDir), err)
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return nil
}

// Close stops the reaper, leaving what it has not deleted yet to the next
// start.
func (r *reaper) Close() {
	close(r.stop)
	<-r.done
}

func (r *reaper) run() {
	defer close(r.done)
	for {
		select {
		case <-r.stop:
			return
		case <-r.wake:
		}
		if err := r.reapAll(); err != nil && !errors.Is(err, errReaperStopped) {
			r.logger.Warn("deleting an old snapshot failed", "error", err)
		}
	}
}

// errReaperStopped ends a deletion cut short by Close.
var errReaperStopped = errors.New("persist: snapshot reaper stopped")

// reapAll deletes every directory in the reaping dir.
func (r *reaper) reapAll() error {
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return fmt.Errorf("persist: read %s: %w", r.dir, err)
	}
	for _, e := range entries {
		path := filepath.Join(r.dir, e.Name())
		if err := r.shrinkFiles(path); err != nil {
			return err
		}
		if err := os.RemoveAll(path); err != nil {
			return fmt.Errorf("persist: remove %s: %w", path, err)
		}
	}
	return nil
}

// shrinkFiles truncates every regular file under path to nothing, step
// bytes at a time with a pause between steps.
func (r *reaper) shrinkFiles(path string) error {
	return filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		return r.shrink(p)
	})
}

// shrink truncates one file to nothing from its end, syncing each step so
// the journal commits (and the disk trims) a bounded amount at a time.
func (r *reaper) shrink(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("persist: open %s to delete it: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("persist: stat %s: %w", path, err)
	}
	for size := st.Size(); size > 0; {
		size = max(size-r.step, 0)
		if err := f.Truncate(size); err != nil {
			return fmt.Errorf("persist: truncate %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("persist: sync %s: %w", path, err)
		}
		select {
		case <-r.stop:
			return errReaperStopped
		case <-time.After(r.pause):
		}
	}
	return nil
}
