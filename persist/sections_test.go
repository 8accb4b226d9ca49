package persist

import (
	"bufio"
	"bytes"
	"fmt"
	"testing"

	"burndown/engine"
)

// A section this build does not know (written by a later build) is skipped,
// chunk by chunk, and the rest of the snapshot still restores.
func TestUnknownSectionIsSkipped(t *testing.T) {
	e := buildEngine(t, 2)
	defer e.Close()
	raw := snapshotBytes(t, e, ClusterMeta{NodeHTTPAddrs: map[string]string{"n1": "a"}})
	want, _, err := ReadSnapshot(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	// Splice an unknown section just before the end tag (the last byte).
	var extra bytes.Buffer
	sw := &sectionWriter{w: bufio.NewWriter(&extra)}
	if err := sw.section(sectionTag(999), 7, []byte("from the future"), bytes.Repeat([]byte{1}, 70000)); err != nil {
		t.Fatal(err)
	}
	sw.w.Flush()
	spliced := append(append(append([]byte(nil), raw[:len(raw)-1]...), extra.Bytes()...), raw[len(raw)-1])
	got, meta, err := ReadSnapshot(bytes.NewReader(spliced))
	if err != nil {
		t.Fatalf("snapshot with an unknown section: %v", err)
	}
	if meta.NodeHTTPAddrs["n1"] != "a" || len(got.Customers) != len(want.Customers) || len(got.Dedup) != len(want.Dedup) {
		t.Fatalf("restored %d customers, %d dedup buckets; want %d, %d", len(got.Customers), len(got.Dedup), len(want.Customers), len(want.Dedup))
	}
	e2 := engine.New(engine.Config{Shards: 2})
	defer e2.Close()
	if err := e2.Restore(got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(snapshotBytes(t, e2, meta), raw) {
		t.Fatal("state restored around an unknown section differs")
	}
}

// A known section at a version this build does not know is refused, not
// misread.
func TestUnknownSectionVersionIsRefused(t *testing.T) {
	var buf bytes.Buffer
	sw := &sectionWriter{w: bufio.NewWriter(&buf)}
	if err := sw.section(sectionCatalog, 9, []byte{0x80}); err != nil {
		t.Fatal(err)
	}
	sw.w.Flush()
	if _, _, err := readSectioned(&sectionReader{r: bufio.NewReader(&buf)}, &snapshotHeader{Format: SnapshotFormat}); err == nil {
		t.Fatal("catalog section version 9 was accepted")
	}
}

// The dedup floor left by the memory budget survives a snapshot: a restored
// replica rejects the same old events.
func TestDedupFloorSurvivesSnapshot(t *testing.T) {
	e := engine.New(engine.Config{Shards: 2, DedupMemoryBudget: 10 * engine.DedupBytesPerKey})
	defer e.Close()
	t0 := int64(1767225600000000000) // 2026-01-01
	day := int64(24 * 3600 * 1e9)
	cmds := []engine.Command{&engine.CreateRateCard{ID: "rc", Name: "rc"}, &engine.CreateCustomer{ID: "c"},
		&engine.CreateContract{CustomerID: "c", RateCardID: "rc", StartingAt: t0}}
	e.Apply([]engine.Entry{{Index: 1, Time: t0, Commands: cmds}})
	for d := int64(0); d < 3; d++ {
		in := &engine.Ingest{}
		for i := 0; i < 8; i++ {
			in.Events = append(in.Events, engine.Event{TransactionID: fmt.Sprint(d, "-", i), CustomerID: "c", EventType: "x", Timestamp: t0 + d*day})
		}
		e.Apply([]engine.Entry{{Index: uint64(2 + d), Time: t0 + d*day, Commands: []engine.Command{in}}})
	}
	if e.DedupFloor() == 0 {
		t.Fatal("the budget set no floor")
	}
	st, _, err := ReadSnapshot(bytes.NewReader(snapshotBytes(t, e, ClusterMeta{})))
	if err != nil {
		t.Fatal(err)
	}
	f := engine.New(engine.Config{Shards: 3, DedupMemoryBudget: 10 * engine.DedupBytesPerKey})
	defer f.Close()
	if err := f.Restore(st); err != nil {
		t.Fatal(err)
	}
	if f.DedupFloor() != e.DedupFloor() || f.DedupKeys() != e.DedupKeys() {
		t.Fatalf("restored floor %d keys %d, want %d %d", f.DedupFloor(), f.DedupKeys(), e.DedupFloor(), e.DedupKeys())
	}
}
