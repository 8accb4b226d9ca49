package persist_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"burndown/engine"
	"burndown/persist"
	"burndown/persist/golden"
)

// The current build writes the newest release's snapshots byte for byte:
// replaying v0.5.0's log and snapshotting where that release did gives
// exactly its snapshot files. A change to an in-memory struct (a field
// moved behind an accessor, an amount's layout) that changed what a
// snapshot holds fails here, even when the old files still load.
func TestGoldenV050SnapshotsRewriteByteForByte(t *testing.T) {
	codec, entries := goldenLog(t, "v0.5.0")
	codec.SetDataFormat(persist.LatestDataFormat)
	at := map[uint64]string{
		uint64(golden.SnapshotAfter):        "snapshot.bin",
		uint64(golden.LateSnapshotAfter()):  "snapshot-late.bin",
		uint64(golden.AdminSnapshotAfter()): "snapshot-admin.bin",
	}
	e := engine.New(engine.Config{Shards: 3})
	defer e.Close()
	for _, le := range entries {
		ts, cmds, err := codec.DecodeEntry(le.Data)
		if err != nil {
			t.Fatal(err)
		}
		e.Apply([]engine.Entry{{Index: le.Index, Time: ts, Commands: cmds}})
		name, ok := at[le.Index]
		if !ok {
			continue
		}
		want, err := os.ReadFile(filepath.Join(goldenDir("v0.5.0"), name))
		if err != nil {
			t.Fatal(err)
		}
		if got := snapshotBytes(t, e); !bytes.Equal(got, want) {
			t.Errorf("%s: the current build writes %d bytes, the fixture holds %d (first difference at byte %d)",
				name, len(got), len(want), firstDifference(got, want))
		}
		delete(at, le.Index)
	}
	if len(at) != 0 {
		t.Fatalf("the log never reached the snapshots %v", at)
	}
}

// snapshotBytes is e's snapshot as cmd/burndown-golden writes it.
func snapshotBytes(t *testing.T, e *engine.Engine) []byte {
	t.Helper()
	snap, err := e.Snapshot(persist.EncodeCustomer)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	var buf bytes.Buffer
	meta := persist.ClusterMeta{NodeHTTPAddrs: map[string]string{"n1": "127.0.0.1:8080"}, DataFormat: persist.LatestDataFormat}
	if err := persist.WriteSnapshot(&buf, snap, meta); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func firstDifference(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
