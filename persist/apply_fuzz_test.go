package persist

import (
	"strings"
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
	// The numbers that once stalled a replica, in a SUM property.
	for _, n := range hostileNumbers() {
		entry, err := c.EncodeEntry(15, []engine.Command{&engine.Ingest{Events: []engine.Event{
			{TransactionID: "h", CustomerID: "c1", EventType: "api", Timestamp: 15, Properties: map[string]string{"n": n}}}}})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(entry)
	}
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

// hostileNumbers are decimal strings whose exponent or length made an
// unbounded decimal spin or panic.
func hostileNumbers() []string {
	return []string{"1e-2147483648", "9e999999999", "1e-4000000", "0e999999999", "-1e2147483647",
		"1" + strings.Repeat("0", 200000), "0." + strings.Repeat("0", 5000) + "1", "NaN", "Inf", "0x10", "1_000"}
}
