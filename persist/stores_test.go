package persist

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

// noFreelist is the page id bbolt writes into its meta page when it keeps
// the freelist off the disk.
const noFreelist = ^uint64(0)

// metaFreelists reads the freelist page id of both bbolt meta pages: the
// page header is 16 bytes, then magic, version, page size and flags (4 bytes
// each) and the root bucket (16 bytes), then the freelist's page id.
func metaFreelists(t *testing.T, path string) [2]uint64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pageSize := int(binary.LittleEndian.Uint32(b[24:]))
	return [2]uint64{binary.LittleEndian.Uint64(b[48:]), binary.LittleEndian.Uint64(b[pageSize+48:])}
}

func storeEntries(t *testing.T, log raft.LogStore, from, to uint64) {
	t.Helper()
	var batch []*raft.Log
	for i := from; i <= to; i++ {
		batch = append(batch, &raft.Log{Index: i, Term: 1, Type: raft.LogCommand, Data: []byte(fmt.Sprintf("entry %d with some padding to fill pages", i))})
	}
	if err := log.StoreLogs(batch); err != nil {
		t.Fatal(err)
	}
}

func wantEntries(t *testing.T, log raft.LogStore, from, to uint64) {
	t.Helper()
	for i := from; i <= to; i++ {
		var l raft.Log
		if err := log.GetLog(i, &l); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if want := fmt.Sprintf("entry %d with some padding to fill pages", i); string(l.Data) != want {
			t.Fatalf("entry %d holds %q", i, l.Data)
		}
	}
}

// The log's bolt file keeps its freelist off the disk (each commit would
// otherwise rewrite it whole), and a file written that way and one written
// by an earlier build, which synced it, open either way with every entry.
func TestLogStoreKeepsFreelistOffDisk(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "raft.db")

	// An earlier build wrote the file with bolt's defaults.
	old, err := raftboltdb.New(raftboltdb.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	storeEntries(t, old, 1, 3000)
	if err := old.DeleteRange(1, 2000); err != nil {
		t.Fatal(err)
	}
	old.Close()
	if fl := metaFreelists(t, path); fl[0] == noFreelist && fl[1] == noFreelist {
		t.Fatal("bolt's defaults wrote no freelist: the check below cannot tell the options apart")
	}

	s, err := OpenStores(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantEntries(t, s.Log, 2001, 3000)
	storeEntries(t, s.Log, 3001, 3500)
	if err := s.Log.DeleteRange(2001, 2500); err != nil {
		t.Fatal(err)
	}
	storeEntries(t, s.Log, 3501, 3600)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if fl := metaFreelists(t, path); fl != [2]uint64{noFreelist, noFreelist} {
		t.Fatalf("meta pages name freelist pages %d and %d: the freelist was written to disk", fl[0], fl[1])
	}

	// An earlier build opens what this one wrote.
	old, err = raftboltdb.New(raftboltdb.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	wantEntries(t, old, 2501, 3600)
	if first, _ := old.FirstIndex(); first != 2501 {
		t.Fatalf("first index %d after reopening, want 2501", first)
	}
	old.Close()
}

// openCompactedLog opens the stores in dir with entries 1-3000 stored and
// 1-2000 compacted away, so the log file has free pages.
func openCompactedLog(t *testing.T, dir string) *Stores {
	t.Helper()
	s, err := OpenStores(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	storeEntries(t, s.Log, 1, 3000)
	if err := s.Log.DeleteRange(1, 2000); err != nil {
		t.Fatal(err)
	}
	return s
}

// A log file left as a crash leaves it (copied while the store is open, no
// freelist on disk) opens with its freelist rebuilt, passes bolt's own
// consistency check, and keeps working through appends, compaction and
// reopening.
func TestLogStoreOpensAfterCrash(t *testing.T) {
	dir := t.TempDir()
	s := openCompactedLog(t, dir)
	image, err := os.ReadFile(filepath.Join(dir, "raft.db"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	crashed := filepath.Join(t.TempDir(), "raft.db")
	if err := os.WriteFile(crashed, image, 0o600); err != nil {
		t.Fatal(err)
	}

	db, err := bbolt.Open(crashed, 0o600, boltOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	}); err != nil {
		t.Fatalf("bolt's check of the crashed file: %v", err)
	}
	db.Close()

	for round := uint64(0); round < 3; round++ {
		log, err := raftboltdb.New(raftboltdb.Options{Path: crashed, BoltOptions: boltOptions()})
		if err != nil {
			t.Fatal(err)
		}
		first := 2001 + round*500
		wantEntries(t, log, first, 3000+round*500)
		storeEntries(t, log, 3001+round*500, 3500+round*500)
		if err := log.DeleteRange(first, first+499); err != nil {
			t.Fatal(err)
		}
		log.Close()
	}
}

// writeLogFixture regenerates testdata/raftlog-nofreelist from this build:
// go test ./persist -run TestLogStoreFixtureOfThisBuild -write-log-fixture
var writeLogFixture = flag.Bool("write-log-fixture", false, "rewrite testdata/raftlog-nofreelist/raft.db")

// The committed raft.db was written by the build that first kept bolt's
// freelist off the disk (entries 1-3000 stored, 1-2000 compacted away, so
// it has free pages and no freelist on disk). Every later build must open
// it with every remaining entry, as TestUpgradeDataDirs does for the
// files earlier builds wrote.
func TestLogStoreFixtureOfThisBuild(t *testing.T) {
	fixture := filepath.Join("testdata", "raftlog-nofreelist", "raft.db")
	if *writeLogFixture {
		dir := t.TempDir()
		openCompactedLog(t, dir).Close()
		b, err := os.ReadFile(filepath.Join(dir, "raft.db"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fixture, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if fl := metaFreelists(t, fixture); fl != [2]uint64{noFreelist, noFreelist} {
		t.Fatalf("the fixture's meta pages name freelist pages %d and %d: it is not the variant it stands for", fl[0], fl[1])
	}
	dir := t.TempDir()
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "raft.db"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := OpenStores(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if first, _ := s.Log.FirstIndex(); first != 2001 {
		t.Fatalf("first index %d, want 2001", first)
	}
	if last, _ := s.Log.LastIndex(); last != 3000 {
		t.Fatalf("last index %d, want 3000", last)
	}
	wantEntries(t, s.Log, 2001, 3000)
	storeEntries(t, s.Log, 3001, 3100)
	wantEntries(t, s.Log, 3001, 3100)
}
