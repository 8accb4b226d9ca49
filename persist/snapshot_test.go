package persist

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"burndown/engine"
)

// buildEngine applies a small but complete history: catalog, customers with
// contracts and commits, and usage that burns them down.
func buildEngine(t testing.TB, shards int) *engine.Engine {
	t.Helper()
	e := engine.New(engine.Config{Shards: shards})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	day := int64(24 * time.Hour)
	cmds := sampleCommands()
	cmds = cmds[1:8] // catalog, customer c1 and its contract
	for i := 0; i < 50; i++ {
		id := fmt.Sprintf("cust-%03d", i)
		cmds = append(cmds, &engine.CreateCustomer{ID: id, Name: id, IngestAliases: []string{"alias-" + id}},
			&engine.CreateContract{CustomerID: id, RateCardID: "rc1", StartingAt: t0 - day,
				Commits: []engine.CommitInput{{Type: engine.CommitPrepaid, ProductID: "p1", CreditTypeID: engine.USDCreditTypeID,
					AccessSchedule: []engine.ScheduleItem{{Amount: dec("1000"), StartingAt: t0 - day, EndingBefore: t0 + 30*day}}}}})
	}
	entries := []engine.Entry{{Index: 1, Time: t0, Commands: cmds}}
	var evs []engine.Event
	for i := 0; i < 200; i++ {
		evs = append(evs, engine.Event{TransactionID: fmt.Sprintf("tx-%d", i), CustomerID: fmt.Sprintf("alias-cust-%03d", i%50),
			EventType: "api", Timestamp: t0 + int64(i)*int64(time.Minute), Properties: map[string]string{"n": "3", "region": "eu"}})
	}
	entries = append(entries, engine.Entry{Index: 2, Time: t0 + day, Commands: []engine.Command{&engine.Ingest{Events: evs}, &engine.Tick{}}})
	for _, rs := range e.Apply(entries) {
		for i, r := range rs {
			if r.Err != nil {
				t.Fatalf("command %d: %v", i, r.Err)
			}
		}
	}
	return e
}

func snapshotBytes(t testing.TB, e *engine.Engine, meta ClusterMeta) []byte {
	t.Helper()
	snap, err := e.Snapshot(EncodeCustomer)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	var buf bytes.Buffer
	if err := WriteSnapshot(&buf, snap, meta); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSnapshotRoundTripIsByteIdentical(t *testing.T) {
	e := buildEngine(t, 4)
	defer e.Close()
	meta := ClusterMeta{NodeHTTPAddrs: map[string]string{"n2": "127.0.0.1:2", "n1": "127.0.0.1:1", "n3": "127.0.0.1:3"}}
	first := snapshotBytes(t, e, meta)
	if again := snapshotBytes(t, e, meta); !bytes.Equal(first, again) {
		t.Fatal("two snapshots of the same state differ")
	}
	for _, shards := range []int{4, 3} { // same and different shard count
		st, gotMeta, err := ReadSnapshot(bytes.NewReader(first))
		if err != nil {
			t.Fatal(err)
		}
		if len(gotMeta.NodeHTTPAddrs) != 3 || gotMeta.NodeHTTPAddrs["n2"] != "127.0.0.1:2" {
			t.Fatalf("cluster metadata: %+v", gotMeta)
		}
		if len(st.Customers) != 51 || st.Index != 2 {
			t.Fatalf("state holds %d customers at index %d", len(st.Customers), st.Index)
		}
		f := engine.New(engine.Config{Shards: shards})
		if err := f.Restore(st); err != nil {
			t.Fatal(err)
		}
		if shards == 4 {
			if got := snapshotBytes(t, f, gotMeta); !bytes.Equal(first, got) {
				t.Fatalf("re-snapshot after restore differs (%d vs %d bytes)", len(first), len(got))
			}
		}
		// Whatever the shard count, the restored engine holds the same customers.
		for _, id := range []string{"c1", "cust-000", "alias-cust-049"} {
			var a, b []byte
			readCopy(e, context.Background(), id, func(c *engine.Customer, _ *engine.Catalog, _ engine.Nanos) { a, _ = EncodeCustomer(nil, c) })
			readCopy(f, context.Background(), id, func(c *engine.Customer, _ *engine.Catalog, _ engine.Nanos) { b, _ = EncodeCustomer(nil, c) })
			if len(a) == 0 || !bytes.Equal(a, b) {
				t.Fatalf("customer %s differs after restore into %d shards", id, shards)
			}
		}
		f.Close()
	}
}

func TestSnapshotRejectsDamage(t *testing.T) {
	e := buildEngine(t, 2)
	defer e.Close()
	good := snapshotBytes(t, e, ClusterMeta{})
	cases := map[string][]byte{
		"empty":     nil,
		"magic":     append([]byte("NOTBURND"), good[8:]...),
		"truncated": good[:len(good)-10],
		"half":      good[:len(good)/2],
	}
	for name, b := range cases {
		if _, _, err := ReadSnapshot(bytes.NewReader(b)); err == nil {
			t.Errorf("%s: damaged snapshot was accepted", name)
		} else if !strings.HasPrefix(err.Error(), "persist: read snapshot") {
			t.Errorf("%s: error %q does not say where it came from", name, err)
		}
	}
}

func TestEmptyEngineSnapshot(t *testing.T) {
	e := engine.New(engine.Config{Shards: 2})
	defer e.Close()
	b := snapshotBytes(t, e, ClusterMeta{})
	st, _, err := ReadSnapshot(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	f := engine.New(engine.Config{Shards: 2})
	defer f.Close()
	if err := f.Restore(st); err != nil {
		t.Fatal(err)
	}
	if got := snapshotBytes(t, f, ClusterMeta{}); !bytes.Equal(b, got) {
		t.Fatal("empty engine re-snapshot differs")
	}
}

// Pacing changes when the writer works, never what it writes: the bytes
// are WriteSnapshot's and Pace runs once per customer.
func TestPacedSnapshotWritesTheSameBytes(t *testing.T) {
	e := buildEngine(t, 4)
	defer e.Close()
	meta := ClusterMeta{NodeHTTPAddrs: map[string]string{"n1": "127.0.0.1:1"}}
	want := snapshotBytes(t, e, meta)
	snap, err := e.Snapshot(EncodeCustomer)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	paced := 0
	var buf bytes.Buffer
	if err := WriteSnapshotWith(&buf, snap, meta, WriteOptions{Pace: func() { paced++ }}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("paced snapshot differs: %d bytes vs %d", buf.Len(), len(want))
	}
	if paced != snap.CustomerCount() {
		t.Errorf("Pace ran %d times for %d customers", paced, snap.CustomerCount())
	}
}
