package persist

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"burndown/engine"
)

// FuzzReadSnapshot feeds arbitrary streams to the snapshot reader: a
// corrupt or hostile backup must be refused with an error, never a panic or
// an unbounded allocation, and what it accepts must restore and snapshot
// again. Seeds: a current snapshot and every golden snapshot of earlier
// builds.
func FuzzReadSnapshot(f *testing.F) {
	e := buildEngine(f, 2)
	f.Add(snapshotBytes(f, e, ClusterMeta{NodeHTTPAddrs: map[string]string{"n1": "x"}}))
	f.Add(snapshotBytes(f, e, ClusterMeta{NodeHTTPAddrs: map[string]string{"n1": "x"}, Idempotency: sampleIdempotency()}))
	e.Close()
	golden, _ := filepath.Glob(filepath.Join("testdata", "golden", "*", "snapshot*.bin"))
	for _, p := range golden {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(snapshotMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, meta, err := ReadSnapshot(bytes.NewReader(data))
		if err != nil {
			return
		}
		e := engine.New(engine.Config{Shards: 2})
		defer e.Close()
		if err := e.Restore(st); err != nil {
			return
		}
		snap, err := e.Snapshot(EncodeCustomer)
		if err != nil {
			t.Fatal(err)
		}
		defer snap.Release()
		var sink countingWriter
		if err := WriteSnapshot(&sink, snap, meta); err != nil {
			t.Fatal(err)
		}
	})
}
