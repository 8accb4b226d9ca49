package cluster

import (
	"fmt"

	"github.com/hashicorp/raft"
)

// compactionChunk is how many entries one delete of a log compaction removes
// at a time. After each snapshot raft deletes the log's old prefix in one
// call; at 100k customers that was 16k entries in one bolt transaction that
// held the log for 125 ms, and every ingest acknowledged behind it waited as
// long. In chunks, the appends of new entries go between them; about 8 ms of
// work each on the development machine.
const compactionChunk = 1024

// pacedCompaction splits raft's prefix deletes (log compaction after a
// snapshot) into chunks of compactionChunk entries, each its own store
// call, so that appends are not held up for the whole compaction. Prefix
// entries are covered by a snapshot already on disk: a crash between chunks
// leaves a shorter prefix to delete next time, nothing the log needs. Any
// other delete (a conflicting suffix, the whole log) goes through at once.
type pacedCompaction struct {
	raft.LogStore
	chunk uint64
}

func newPacedCompaction(s raft.LogStore) *pacedCompaction {
	return &pacedCompaction{LogStore: s, chunk: compactionChunk}
}

func (p *pacedCompaction) DeleteRange(from, to uint64) error {
	first, err := p.LogStore.FirstIndex()
	if err != nil {
		return fmt.Errorf("cluster: raft log: %w", err)
	}
	last, err := p.lastIndex()
	if err != nil {
		return fmt.Errorf("cluster: raft log: %w", err)
	}
	if from > first || to >= last || to-from < p.chunk {
		return p.LogStore.DeleteRange(from, to)
	}
	for lo := from; ; lo += p.chunk {
		hi := min(lo+p.chunk-1, to)
		if err := p.LogStore.DeleteRange(lo, hi); err != nil {
			return fmt.Errorf("cluster: compact raft log [%d, %d]: %w", lo, hi, err)
		}
		if hi == to {
			return nil
		}
	}
}

// lastIndex asks the suffix guard below for its stored last index, which
// leaves a deferred suffix delete deferred (its LastIndex would carry it out
// in the middle of a follower's replacement of its tail, the window the
// guard exists to close); any other store is asked directly.
func (p *pacedCompaction) lastIndex() (uint64, error) {
	if g, ok := p.LogStore.(interface{ storedLastIndex() (uint64, error) }); ok {
		return g.storedLastIndex()
	}
	return p.LogStore.LastIndex()
}
