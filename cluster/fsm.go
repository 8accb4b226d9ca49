package cluster

import (
	"fmt"
	"io"
	"sync/atomic"

	"github.com/hashicorp/raft"

	"burndown/engine"
	"burndown/persist"
)

// fsm adapts the engine to raft. It implements raft.BatchingFSM so that a
// batch of committed entries is decoded once and handed to the engine in one
// Apply call, which lets the engine's shards work on all of it in parallel.
type fsm struct {
	eng   *engine.Engine
	codec *persist.Codec
	// meta maps node id to HTTP address; replaced, never mutated, on change.
	meta atomic.Pointer[map[string]string]
	// idem is the table of idempotency keys (FSM goroutine only).
	idem *idemTable
	// outbox holds the notifications waiting for delivery and the webhook
	// destinations (outbox.go).
	outbox *outboxTable
}

var _ raft.BatchingFSM = (*fsm)(nil)

func newFSM(eng *engine.Engine, codec *persist.Codec) *fsm {
	f := &fsm{eng: eng, codec: codec, idem: newIdemTable(), outbox: newOutboxTable()}
	empty := map[string]string{}
	f.meta.Store(&empty)
	return f
}

// nodeAddrs returns the replicated node id → HTTP address map (read-only).
func (f *fsm) nodeAddrs() map[string]string { return *f.meta.Load() }

// Apply applies a single log; raft uses ApplyBatch, this is for completeness.
func (f *fsm) Apply(l *raft.Log) any { return f.ApplyBatch([]*raft.Log{l})[0] }

// ApplyBatch decodes every command log of the batch and applies them to the
// engine in one call. Each command log's response is its []engine.Result,
// one per command, in order. A log that does not decode is a bug or a
// corruption; applying around it would let this replica diverge silently, so
// it panics and stops the node.
//
// Cluster-layer commands are applied here, in log order, before the engine
// commands of their entry. An idempotency guard decides whether the command
// after it reaches the engine at all (see idempotency.go); a new key's record
// gets its answer once the engine has applied the entry. Raft hands each
// replica its own batches, so that decision must not depend on them: before
// an entry with a guard, the entries gathered so far are applied when any
// of them recorded a key, so every guard sees the table exactly as if entries
// were applied one at a time.
func (f *fsm) ApplyBatch(logs []*raft.Log) []any {
	out := make([]any, len(logs))
	b := &applyBatch{out: out}
	for i, l := range logs {
		if l.Type != raft.LogCommand {
			continue
		}
		at, cmds, err := f.codec.DecodeEntry(l.Data)
		if err != nil {
			panic(fmt.Sprintf("cluster: log %d does not decode, refusing to diverge: %v", l.Index, err))
		}
		if len(b.fresh) > 0 && hasGuard(cmds) {
			f.applyEngine(b)
		}
		f.idem.expire(at)
		o := origin{log: i}
		engineCmds := cmds
		if hasClusterCommand(cmds) {
			o.results = make([]engine.Result, len(cmds))
			engineCmds = make([]engine.Command, 0, len(cmds))
			o.enginePos = []int{}
			skip := -1 // a guarded command answered without the engine
			for pos, c := range cmds {
				switch c := c.(type) {
				case *nodeMetaCmd:
					f.applyNodeMeta(c)
					continue
				case *idemGuardCmd:
					if f.guard(b, c, cmds, pos, at, &o, len(engineCmds)) {
						skip = pos + 1
					}
					continue
				case *webhookCreateCmd:
					o.results[pos] = f.outbox.createDest(c, l.Index, pos, at)
					continue
				case *webhookArchiveCmd:
					o.results[pos] = f.outbox.setDest(c.ID, at, false)
					continue
				case *webhookDisableCmd:
					o.results[pos] = f.outbox.setDest(c.ID, at, true)
					continue
				case *outboxDeliveredCmd:
					// Marks may name notifications of entries gathered in
					// this batch but not yet applied: apply those first.
					f.applyEngine(b)
					f.outbox.mark(c.Marks)
					continue
				case *outboxFailedCmd:
					f.applyEngine(b)
					f.outbox.fail(c, l.Index, pos, at)
					continue
				case *outboxReplayCmd:
					o.results[pos] = f.outbox.replay(c, l.Index, pos, at)
					continue
				}
				if pos == skip || c.Kind() >= persist.FirstClusterKind {
					continue
				}
				engineCmds = append(engineCmds, c)
				o.enginePos = append(o.enginePos, pos)
			}
		}
		b.entries = append(b.entries, engine.Entry{Index: l.Index, Time: at, Commands: engineCmds})
		b.origins = append(b.origins, o)
	}
	f.applyEngine(b)
	return out
}

// applyBatch gathers entries for one call of the engine.
type applyBatch struct {
	out     []any
	entries []engine.Entry
	origins []origin
	// fresh: records of new keys waiting for their command's result;
	// replays: commands answered by a record of this batch.
	fresh   []freshKey
	replays []replayKey
}

// origin says, for an entry, which log it came from and, when cluster
// commands were filtered out, where each engine result goes.
type origin struct {
	log       int
	results   []engine.Result
	enginePos []int // nil: the entry holds engine commands only
}

type freshKey struct {
	rec        *persist.IdempotencyRecord
	entry, pos int // origins[entry].results[pos] is the guarded command's
	engineIdx  int // its index among the entry's engine commands
}

type replayKey struct {
	rec        *persist.IdempotencyRecord
	entry, pos int
}

// guard applies the idempotency guard at cmds[pos] of the entry being
// gathered (o, stamped at) and reports whether the command after it is
// answered without the engine.
func (f *fsm) guard(b *applyBatch, g *idemGuardCmd, cmds []engine.Command, pos int, at engine.Nanos, o *origin, engineIdx int) bool {
	next := pos + 1
	if next >= len(cmds) || cmds[next].Kind() >= persist.FirstClusterKind || !g.valid() {
		return false // guards nothing: no build writes this
	}
	rec := f.idem.byKey[persist.IdempotencyTableKey(g.Scope, g.Key)]
	switch {
	case rec != nil && string(rec.Fingerprint) != string(g.Fingerprint):
		o.results[next] = engine.Result{Err: &engine.Error{Code: engine.Conflict, Message: ConflictMessage}}
	case rec != nil:
		b.replays = append(b.replays, replayKey{rec: rec, entry: len(b.origins), pos: next})
	case f.idem.full():
		o.results[next] = engine.Result{Err: errIdemFull}
	default:
		rec = &persist.IdempotencyRecord{Scope: g.Scope, Key: g.Key, Fingerprint: g.Fingerprint, At: at}
		f.idem.add(rec)
		b.fresh = append(b.fresh, freshKey{rec: rec, entry: len(b.origins), pos: next, engineIdx: engineIdx})
		return false
	}
	return true
}

// applyEngine applies the gathered entries to the engine, hands out their
// results, records the answers of new keys, and empties b.
func (f *fsm) applyEngine(b *applyBatch) {
	if len(b.entries) == 0 {
		return
	}
	results := f.eng.Apply(b.entries)
	f.outbox.add(f.eng.TakeNotifications())
	for j, o := range b.origins {
		if o.enginePos == nil {
			b.out[o.log] = results[j]
			continue
		}
		for k, pos := range o.enginePos {
			o.results[pos] = results[j][k]
		}
		b.out[o.log] = o.results
	}
	for _, fr := range b.fresh {
		b.origins[fr.entry].results[fr.pos] = f.idem.answered(fr.rec, results[fr.entry][fr.engineIdx])
	}
	for _, rp := range b.replays {
		b.origins[rp.entry].results[rp.pos] = rp.rec.Result()
	}
	b.entries, b.origins, b.fresh, b.replays = nil, nil, nil, nil
}

func hasGuard(cmds []engine.Command) bool {
	for _, c := range cmds {
		if c.Kind() == kindIdemGuard {
			return true
		}
	}
	return false
}

func hasClusterCommand(cmds []engine.Command) bool {
	for _, c := range cmds {
		if c.Kind() >= persist.FirstClusterKind {
			return true
		}
	}
	return false
}

func (f *fsm) applyNodeMeta(m *nodeMetaCmd) {
	old := f.nodeAddrs()
	next := make(map[string]string, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	if m.Remove {
		delete(next, m.ID)
	} else {
		next[m.ID] = m.HTTPAddr
	}
	f.meta.Store(&next)
}

// Snapshot captures the engine on the FSM goroutine (a short pause: the
// engine records its customers and freezes its dedup index) and leaves the
// encoding and writing to Persist, which raft runs concurrently with new
// applies (copy-on-write).
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	snap, err := f.eng.Snapshot(persist.EncodeCustomer)
	if err != nil {
		return nil, fmt.Errorf("cluster: snapshot: %w", err)
	}
	return &fsmSnapshot{snap: snap, meta: persist.ClusterMeta{NodeHTTPAddrs: f.nodeAddrs(), Idempotency: f.idem.view(), Outbox: f.outbox.view()}}, nil
}

// Restore replaces the engine's state and the cluster metadata with a
// snapshot's.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	st, meta, err := persist.ReadSnapshot(rc)
	if err != nil {
		return fmt.Errorf("cluster: restore: %w", err)
	}
	if err := f.eng.Restore(st); err != nil {
		return fmt.Errorf("cluster: restore: %w", err)
	}
	addrs := meta.NodeHTTPAddrs
	if addrs == nil {
		addrs = map[string]string{}
	}
	f.meta.Store(&addrs)
	f.idem.restore(meta.Idempotency)
	f.outbox.restore(meta.Outbox)
	return nil
}

// fsmSnapshot is an engine image waiting to be written.
type fsmSnapshot struct {
	snap *engine.Snapshot
	meta persist.ClusterMeta
}

// Persist streams the snapshot into the sink.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := persist.WriteSnapshot(sink, s.snap, s.meta); err != nil {
		sink.Cancel()
		return fmt.Errorf("cluster: persist snapshot: %w", err)
	}
	return sink.Close()
}

// Release ends the engine's copy-on-write for this snapshot.
func (s *fsmSnapshot) Release() { s.snap.Release() }
