package persist

import (
	"testing"

	"burndown/engine"
)

// FuzzApplyNeverPanics feeds arbitrary decodable log entries to an engine:
// whatever a log holds, applying it must answer with results, never panic
// (a panic in apply would stop every replica at once). The engine starts
// from the sample catalog, customer and contract so entries reach deep code.
func FuzzApplyNeverPanics(f *testing.F) {
	c, err := NewCodec()
	if err != nil {
		f.Fatal(err)
	}
	for _, cmd := range sampleCommands() {
		entry, err := c.EncodeEntry(15, []engine.Command{cmd})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(entry)
	}
	all, err := c.EncodeEntry(12, sampleCommands())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(all)
	f.Fuzz(func(t *testing.T, entry []byte) {
		at, cmds, err := c.DecodeEntry(entry)
		if err != nil {
			return
		}
		e := engine.New(engine.Config{Shards: 2})
		defer e.Close()
		e.Apply([]engine.Entry{{Index: 1, Time: 12, Commands: sampleCommands()[1:]}})
		results := e.Apply([]engine.Entry{{Index: 2, Time: at, Commands: cmds}, {Index: 3, Time: at + 1e12, Commands: []engine.Command{&engine.Tick{}}}})
		if len(results[0]) != len(cmds) {
			t.Fatalf("%d results for %d commands", len(results[0]), len(cmds))
		}
		// The state it leaves can still be snapshotted.
		snap, err := e.Snapshot(EncodeCustomer)
		if err != nil {
			t.Fatal(err)
		}
		defer snap.Release()
		var sink countingWriter
		if err := WriteSnapshot(&sink, snap, ClusterMeta{}); err != nil {
			t.Fatal(err)
		}
	})
}

type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }
