package persist

import (
	"bytes"
	"io"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// The paced store finds the file raft's sink writes (so a raft upgrade that
// moves it fails here rather than silently turning pacing off), writes it
// back as it goes, and the snapshot reads back whole.
func TestPacedSnapshotFindsItsFile(t *testing.T) {
	store, err := newPacedSnapshotStore(t.TempDir(), 2, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	store.every = 1 << 10
	_, trans := raft.NewInmemTransport("")
	sink, err := store.Create(raft.SnapshotVersionMax, 7, 2, raft.Configuration{}, 1, trans)
	if err != nil {
		t.Fatal(err)
	}
	paced, ok := sink.(*pacedSink)
	if !ok {
		t.Fatalf("sink is %T, want a paced sink over raft's state file", sink)
	}
	want := bytes.Repeat([]byte("burndown snapshot "), 1000) // 18 KB
	for off := 0; off < len(want); off += 700 {
		chunk := want[off:min(off+700, len(want))]
		if _, err := sink.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if paced.synced < int64(len(want))-2*paced.every {
		t.Fatalf("%d of %d bytes written back before close, want all but the last KiB or two", paced.synced, len(want))
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	metas, err := store.List()
	if err != nil || len(metas) != 1 {
		t.Fatalf("snapshots after close: %v %v", metas, err)
	}
	_, rc, err := store.Open(metas[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("snapshot read back %d bytes (err %v), want the %d written", len(got), err, len(want))
	}
}
