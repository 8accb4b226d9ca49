package engine

import (
	"bytes"
	"sync"
	"testing"
)

// A snapshot written while later entries are applied (concurrently, with
// the writer racing the shards for each customer) holds exactly the state at
// its index: the same bytes as a snapshot of an engine that stopped there.
func TestSnapshotIsCopyOnWrite(t *testing.T) {
	log := randomLog(t, 99)
	half := len(log) / 2

	stopped := New(Config{Shards: 2})
	defer stopped.Close()
	stopped.Apply(log[:half])
	want := snapshotBytes(t, stopped)

	live := New(Config{Shards: 2})
	defer live.Close()
	live.Apply(log[:half])
	snap, err := live.Snapshot(jsonEncoder)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := live.Snapshot(jsonEncoder); err != ErrSnapshotInProgress {
		t.Fatalf("second snapshot while one is open: %v, want ErrSnapshotInProgress", err)
	}
	var all [][]byte
	var dedup []DedupBucket
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the writer, as raft's Persist runs it
		defer wg.Done()
		all, dedup = collectSnapshot(t, snap)
	}()
	for i := half; i < len(log); i++ { // applies go on meanwhile
		live.Apply(log[i : i+1])
	}
	wg.Wait()
	got := snapshotBytesFrom(t, snap, all, dedup)
	if !bytes.Equal(got, want) {
		t.Fatalf("copy-on-write snapshot differs from the state at its index")
	}
	// The live engine went on and matches a full replay.
	full := New(Config{Shards: 3})
	defer full.Close()
	full.Apply(log)
	if !bytes.Equal(snapshotBytes(t, live), snapshotBytes(t, full)) {
		t.Fatal("engine state after a concurrent snapshot differs from a plain replay")
	}
}
