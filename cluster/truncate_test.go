package cluster

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/raft"
)

func entries(term uint64, from, to uint64) []*raft.Log {
	var out []*raft.Log
	for i := from; i <= to; i++ {
		out = append(out, &raft.Log{Index: i, Term: term, Type: raft.LogCommand, Data: []byte{byte(i)}})
	}
	return out
}

func termAt(t *testing.T, s raft.LogStore, i uint64) uint64 {
	t.Helper()
	var l raft.Log
	if err := s.GetLog(i, &l); err != nil {
		t.Fatalf("entry %d: %v", i, err)
	}
	return l.Term
}

// A conflicting suffix replaced while the disk is full stays in place (as
// raft's cached last index says), and is replaced once space returns; a
// shorter replacement deletes what lies beyond it; compaction from the
// head goes through at once.
func TestSuffixGuard(t *testing.T) {
	full := &atomic.Bool{}
	g := newSuffixGuard(&fullLog{LogStore: raft.NewInmemStore(), full: full})
	if err := g.StoreLogs(entries(1, 1, 8)); err != nil {
		t.Fatal(err)
	}
	// raft truncates 6..8 and stores term-2 entries 6..7: the disk is full.
	full.Store(true)
	if err := g.DeleteRange(6, 8); err != nil {
		t.Fatal(err)
	}
	if err := g.StoreLogs(entries(2, 6, 7)); !errors.Is(err, errDiskFull) {
		t.Fatalf("store on a full disk: %v", err)
	}
	if last, _ := g.LastIndex(); last != 8 || termAt(t, g, 7) != 1 {
		t.Fatalf("after a failed replacement the log ends at %d (term of 7: %d), want the old suffix, 8", last, termAt(t, g, 7))
	}
	// Space returns; raft tries again.
	full.Store(false)
	if err := g.DeleteRange(6, 8); err != nil {
		t.Fatal(err)
	}
	if err := g.StoreLogs(entries(2, 6, 7)); err != nil {
		t.Fatal(err)
	}
	if last, _ := g.LastIndex(); last != 7 || termAt(t, g, 6) != 2 || termAt(t, g, 7) != 2 {
		t.Fatalf("after the replacement the log ends at %d, want 7 in term 2", last)
	}
	var l raft.Log
	if err := g.GetLog(8, &l); !errors.Is(err, raft.ErrLogNotFound) {
		t.Fatalf("entry 8 beyond the replacement: %v", err)
	}
	// Compaction from the head is not deferred.
	if err := g.DeleteRange(1, 3); err != nil {
		t.Fatal(err)
	}
	if first, _ := g.FirstIndex(); first != 4 {
		t.Fatalf("first index after compaction %d, want 4", first)
	}
	// A suffix delete followed by a read is carried out before the read.
	if err := g.DeleteRange(7, 7); err != nil {
		t.Fatal(err)
	}
	if last, _ := g.LastIndex(); last != 6 {
		t.Fatalf("last index after a suffix delete %d, want 6", last)
	}
}
