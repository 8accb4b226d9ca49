package cluster

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/raft"
)

// suffixGuard keeps raft's view of its log and the log store in step when a
// write fails. A follower handed entries that conflict with the end of its
// log deletes that suffix, then stores the new entries: two writes. When
// the second fails (a full disk), raft v1.7 keeps its cached last index
// pointing at entries the store no longer has (its own TODO says so), and
// every later append fails looking them up: the node never catches up until
// it restarts (found by TestFaultDiskFullLeader). The guard defers such a
// suffix delete to the write that follows it: the new entries overwrite
// the same indexes first, and only what lies beyond them is deleted after.
// A failed write leaves the old suffix in place, as raft believes.
type suffixGuard struct {
	raft.LogStore
	mu      sync.Mutex
	pending *[2]uint64 // a deferred suffix delete, [min, max]
	// deferred mirrors pending != nil, so reads (the leader's replication
	// reads every entry it sends) take no lock when nothing is deferred.
	deferred atomic.Bool
}

func newSuffixGuard(s raft.LogStore) *suffixGuard { return &suffixGuard{LogStore: s} }

// DeleteRange defers a delete that ends at the last index and does not
// start at the first (a conflicting suffix); any other goes through.
func (g *suffixGuard) DeleteRange(min, max uint64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pending != nil && max < g.pending[0] {
		// Below a deferred suffix (log compaction while a follower replaces
		// its tail): independent of it, so the suffix stays deferred.
		return g.LogStore.DeleteRange(min, max)
	}
	if err := g.flushLocked(); err != nil {
		return err
	}
	first, err := g.LogStore.FirstIndex()
	if err != nil {
		return fmt.Errorf("cluster: raft log: %w", err)
	}
	last, err := g.LogStore.LastIndex()
	if err != nil {
		return fmt.Errorf("cluster: raft log: %w", err)
	}
	if min > first && max >= last {
		g.pending = &[2]uint64{min, max}
		g.deferred.Store(true)
		return nil
	}
	return g.LogStore.DeleteRange(min, max)
}

// StoreLog stores one entry (see StoreLogs).
func (g *suffixGuard) StoreLog(l *raft.Log) error { return g.StoreLogs([]*raft.Log{l}) }

// StoreLogs writes the entries, then deletes what a deferred suffix delete
// covered beyond them. When the entries do not start where that delete
// did, the delete is done first, as raft asked.
func (g *suffixGuard) StoreLogs(logs []*raft.Log) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.pending
	g.pending = nil
	g.deferred.Store(false)
	if p != nil && (len(logs) == 0 || logs[0].Index != p[0]) {
		if err := g.LogStore.DeleteRange(p[0], p[1]); err != nil {
			return err
		}
		p = nil
	}
	if err := g.LogStore.StoreLogs(logs); err != nil {
		return err
	}
	if end := logs[len(logs)-1].Index; p != nil && p[1] > end {
		return g.LogStore.DeleteRange(end+1, p[1])
	}
	return nil
}

// flushLocked carries out a deferred delete before anything reads the log.
func (g *suffixGuard) flushLocked() error {
	if g.pending == nil {
		return nil
	}
	p := g.pending
	g.pending = nil
	g.deferred.Store(false)
	return g.LogStore.DeleteRange(p[0], p[1])
}

// FirstIndex is the same with or without a deferred suffix delete (one is
// only deferred when it starts after the first entry), so it does not carry
// the delete out: log compaction asks for it often.
func (g *suffixGuard) FirstIndex() (uint64, error) {
	return g.LogStore.FirstIndex()
}

// storedLastIndex is the last index in the store, a deferred suffix delete
// still included, without carrying that delete out.
func (g *suffixGuard) storedLastIndex() (uint64, error) {
	return g.LogStore.LastIndex()
}

// LastIndex and GetLog see the log as raft left it.
func (g *suffixGuard) LastIndex() (uint64, error) {
	if !g.deferred.Load() {
		return g.LogStore.LastIndex()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.flushLocked(); err != nil {
		return 0, err
	}
	return g.LogStore.LastIndex()
}

func (g *suffixGuard) GetLog(index uint64, log *raft.Log) error {
	if !g.deferred.Load() {
		return g.LogStore.GetLog(index, log)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.flushLocked(); err != nil {
		return err
	}
	return g.LogStore.GetLog(index, log)
}
