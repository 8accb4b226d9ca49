package cluster

import (
	"testing"

	"github.com/hashicorp/raft"
)

// deleteCounter records the ranges each DeleteRange call asked for.
type deleteCounter struct {
	raft.LogStore
	ranges [][2]uint64
}

func (d *deleteCounter) DeleteRange(from, to uint64) error {
	d.ranges = append(d.ranges, [2]uint64{from, to})
	return d.LogStore.DeleteRange(from, to)
}

// A compaction of a long prefix reaches the store in chunks that together
// delete exactly that prefix; short prefixes, suffixes and the whole log go
// through in one call.
func TestPacedCompaction(t *testing.T) {
	rec := &deleteCounter{LogStore: raft.NewInmemStore()}
	p := newPacedCompaction(rec)
	p.chunk = 100
	if err := p.StoreLogs(entries(1, 1, 1000)); err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteRange(1, 750); err != nil {
		t.Fatal(err)
	}
	if len(rec.ranges) != 8 || rec.ranges[0] != [2]uint64{1, 100} || rec.ranges[7] != [2]uint64{701, 750} {
		t.Fatalf("prefix 1..750 in chunks of 100 reached the store as %v", rec.ranges)
	}
	for i := 1; i < len(rec.ranges); i++ {
		if rec.ranges[i][0] != rec.ranges[i-1][1]+1 {
			t.Fatalf("chunks %v leave a gap or overlap", rec.ranges)
		}
	}
	if first, _ := p.FirstIndex(); first != 751 {
		t.Fatalf("after compaction the log starts at %d, want 751", first)
	}
	if termAt(t, p, 751) != 1 {
		t.Fatal("entry 751 lost")
	}

	rec.ranges = nil
	for _, r := range [][2]uint64{{751, 800}, {990, 1000}, {801, 989}} {
		if err := p.DeleteRange(r[0], r[1]); err != nil {
			t.Fatal(err)
		}
	}
	want := [][2]uint64{{751, 800}, {990, 1000}, {801, 989}}
	if len(rec.ranges) != len(want) {
		t.Fatalf("a short prefix, a suffix and the rest reached the store as %v, want %v", rec.ranges, want)
	}
	for i := range want {
		if rec.ranges[i] != want[i] {
			t.Fatalf("delete %d reached the store as %v, want %v", i, rec.ranges[i], want[i])
		}
	}
}

// Log compaction while a follower's suffix delete is deferred leaves that
// delete deferred (carrying it out early reopens the window the guard
// closes), and the replacement that follows still lands as raft expects.
func TestPacedCompactionKeepsSuffixDeferred(t *testing.T) {
	inner := raft.NewInmemStore()
	g := newSuffixGuard(inner)
	p := newPacedCompaction(g)
	p.chunk = 100
	if err := p.StoreLogs(entries(1, 1, 3000)); err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteRange(2990, 3000); err != nil { // a conflicting suffix
		t.Fatal(err)
	}
	if err := p.DeleteRange(1, 2000); err != nil { // compaction meanwhile
		t.Fatal(err)
	}
	if first, _ := p.FirstIndex(); first != 2001 {
		t.Fatalf("after compaction the log starts at %d, want 2001", first)
	}
	if !g.deferred.Load() {
		t.Fatal("compaction carried out the deferred suffix delete")
	}
	if last, _ := inner.LastIndex(); last != 3000 {
		t.Fatalf("the store ends at %d before the replacement, want the old suffix to 3000", last)
	}
	if err := p.StoreLogs(entries(2, 2990, 2992)); err != nil {
		t.Fatal(err)
	}
	if last, _ := p.LastIndex(); last != 2992 || termAt(t, p, 2992) != 2 {
		t.Fatalf("after the replacement the log ends at %d, want 2992 in term 2", last)
	}
}
