package persist

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// writeSnapshot writes one snapshot of size bytes at index through store.
func writeSnapshot(t *testing.T, store *pacedSnapshotStore, index uint64, size int) string {
	t.Helper()
	_, trans := raft.NewInmemTransport("")
	sink, err := store.Create(raft.SnapshotVersionMax, index, 2, raft.Configuration{}, 1, trans)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sink.Write(bytes.Repeat([]byte{byte(index)}, size)); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	return sink.ID()
}

// waitGone waits until path no longer exists.
func waitGone(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); os.IsNotExist(err) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s still exists", path)
}

// A new snapshot moves the one it makes redundant out of raft's store at
// once (raft lists only the retained ones), and the reaper then deletes it
// a step at a time; the retained snapshots still read back whole.
func TestOldSnapshotIsRetiredThenDeleted(t *testing.T) {
	dir := t.TempDir()
	store, err := newPacedSnapshotStore(dir, 2, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	first := writeSnapshot(t, store, 10, 8<<10)
	second := writeSnapshot(t, store, 20, 8<<10)
	third := writeSnapshot(t, store, 30, 8<<10)

	metas, err := store.List()
	if err != nil || len(metas) != 2 || metas[0].ID != third || metas[1].ID != second {
		t.Fatalf("raft lists %v (%v), want %s then %s", metas, err, third, second)
	}
	if _, err := os.Stat(filepath.Join(dir, "snapshots", first)); !os.IsNotExist(err) {
		t.Fatalf("the retired snapshot is still in raft's store (stat: %v)", err)
	}
	waitGone(t, filepath.Join(dir, reapDirName, first))
	for _, m := range metas {
		_, rc, err := store.Open(m.ID)
		if err != nil {
			t.Fatal(err)
		}
		n, err := rc.Read(make([]byte, 16<<10))
		rc.Close()
		if n != 8<<10 {
			t.Fatalf("snapshot %s reads %d bytes (%v), want %d", m.ID, n, err, 8<<10)
		}
	}
}

// The reaper frees a file from its end a step at a time: stopped between
// steps, it leaves the file shorter but not gone, and the next start
// deletes what is left.
func TestReaperShrinksInStepsAndResumesAfterARestart(t *testing.T) {
	dir := t.TempDir()
	leftover := filepath.Join(dir, reapDirName, "1-9-123")
	if err := os.MkdirAll(leftover, 0o755); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(leftover, "state.bin")
	if err := os.WriteFile(state, make([]byte, 64<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &reaper{dir: filepath.Join(dir, reapDirName), step: 4 << 10, pause: time.Hour, logger: hclog.NewNullLogger(),
		stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		time.Sleep(50 * time.Millisecond)
		close(r.stop)
	}()
	if err := r.shrink(state); err != errReaperStopped {
		t.Fatalf("shrink stopped with %v, want errReaperStopped", err)
	}
	st, err := os.Stat(state)
	if err != nil || st.Size() != 60<<10 {
		t.Fatalf("after one step the file is %v (%v), want %d bytes", st.Size(), err, 60<<10)
	}

	restarted, err := newReaper(dir, 4<<10, 0, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer restarted.Close()
	waitGone(t, leftover)
}
