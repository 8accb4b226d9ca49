package cluster

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"burndown/engine"
	"burndown/persist"
	"burndown/telemetry"
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
	// format is the cluster's data format (dataformat.go), atomic: the
	// snapshot and the HTTP layer read it.
	format atomic.Uint32
	// tokens are the API tokens (tokens.go).
	tokens *tokenTable
	// metrics times applies and snapshots; raft, once the node has started
	// it, says whether this node leads, for the commit latency only the
	// leader's clock can measure. Atomic: raft may apply entries before Open
	// has stored it (a node replaying its log at start).
	metrics *telemetry.Metrics
	raft    atomic.Pointer[raft.Raft]
	// dashKey is the dashboard signing key (dashkey.go), nil until set.
	dashKey atomic.Pointer[[]byte]
	// spacer spaces raft's own snapshots by their duration
	// (snapshot_spacing.go); nil until Open sets it.
	spacer *snapshotSpacer
	// snapshotCPUShare paces each snapshot's writer (snapshot_pace.go);
	// closing, the node's, ends its sleeps at shutdown (nil: never).
	snapshotCPUShare float64
	closing          <-chan struct{}
}

var _ raft.BatchingFSM = (*fsm)(nil)

func newFSM(eng *engine.Engine, codec *persist.Codec) *fsm {
	f := &fsm{eng: eng, codec: codec, idem: newIdemTable(), outbox: newOutboxTable(), tokens: newTokenTable()}
	empty := map[string]string{}
	f.meta.Store(&empty)
	f.setDataFormat(persist.DataFormatDecimalAmounts) // until the log or a snapshot says more
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
// Cluster-layer commands are applied as their entry is gathered, in log
// order, through the command table (registry.go), before the engine
// commands of their entry. An idempotency guard decides whether the command
// after it is applied at all (see guard); a new key's record gets its answer
// once the command has been applied. Raft hands each replica its own
// batches, so that decision must not depend on them: before an entry with a
// guard, the entries gathered so far are applied when any of them recorded a
// key, so every guard sees the table exactly as if entries were applied one
// at a time. Likewise before an entry that moves the data format, which
// changes what the engine notifies (dataformat.go).
func (f *fsm) ApplyBatch(logs []*raft.Log) []any {
	start := time.Now()
	f.observeCommits(logs, start)
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
		if (len(b.fresh) > 0 && hasGuard(cmds)) || hasDataFormat(cmds) {
			f.applyEngine(b)
		}
		f.idem.expire(at)
		f.gather(b, l.Index, i, at, cmds)
		b.events += countEvents(cmds)
	}
	f.applyEngine(b)
	f.metrics.Applied(start, b.events)
	return out
}

// observeCommits records, on the leader, each entry's time from being
// appended to the leader's log to reaching the state machine (committed).
// Followers and a replay after restart see the leader's or an old clock,
// so they record nothing.
// leading reports whether the node's raft, once started, is the leader.
func (f *fsm) leading() bool {
	r := f.raft.Load()
	return r != nil && r.State() == raft.Leader
}

func (f *fsm) observeCommits(logs []*raft.Log, now time.Time) {
	if f.metrics == nil || !f.leading() {
		return
	}
	for _, l := range logs {
		if l.Type == raft.LogCommand && !l.AppendedAt.IsZero() {
			f.metrics.Committed(now.Sub(l.AppendedAt))
		}
	}
}

// countEvents is what an entry adds to burndown_apply_batch_events: an
// ingest's events, one for any other command.
func countEvents(cmds []engine.Command) int {
	n := 0
	for _, c := range cmds {
		if in, ok := c.(*engine.Ingest); ok {
			n += len(in.Events)
		} else {
			n++
		}
	}
	return n
}

// gather adds one entry (raft index, b.out position log, stamped at) to the
// batch. Its cluster commands are applied now, in order; its engine
// commands wait for the batch's one engine call.
func (f *fsm) gather(b *applyBatch, index uint64, log int, at engine.Nanos, cmds []engine.Command) {
	o := origin{log: log}
	engineCmds := cmds
	// The entry's guarded engine commands and replays, added to b once the
	// entry is (a flush before that would apply the batch without it).
	var fresh []freshKey
	var replays []replayKey
	if hasClusterCommand(cmds) {
		o.results = make([]engine.Result, len(cmds))
		engineCmds = make([]engine.Command, 0, len(cmds))
		o.enginePos = []int{}
		var g guardState // the guard of the command at pos, if cmds[pos-1] is one
		for pos, c := range cmds {
			guarded := g
			g = guardState{}
			sp := clusterSpecOf(c.Kind())
			switch {
			case guarded.skip:
				if guarded.replay != nil {
					replays = append(replays, replayKey{rec: guarded.replay, pos: pos})
				}
			case sp == nil:
				if guarded.fresh != nil {
					fresh = append(fresh, freshKey{rec: guarded.fresh, pos: pos, engineIdx: len(engineCmds)})
				}
				engineCmds = append(engineCmds, c)
				o.enginePos = append(o.enginePos, pos)
			case sp.Kind == kindIdemGuard:
				g = f.guard(c.(*idemGuardCmd), cmds, pos, &o, at)
			default:
				if sp.FlushFirst {
					f.applyEngine(b)
				}
				res := sp.Apply(f, applyAt{index: index, pos: pos, at: at}, c)
				if guarded.fresh != nil {
					res = f.idem.answered(guarded.fresh, res)
				}
				o.results[pos] = res
			}
		}
	}
	entry := len(b.origins)
	for _, fr := range fresh {
		fr.entry = entry
		b.fresh = append(b.fresh, fr)
	}
	for _, rp := range replays {
		rp.entry = entry
		b.replays = append(b.replays, rp)
	}
	b.entries = append(b.entries, engine.Entry{Index: index, Time: at, Commands: engineCmds})
	b.origins = append(b.origins, o)
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
	// events counts the batch's events for the metrics (countEvents).
	events int
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

// guardState is what a guard decided for the command after it.
type guardState struct {
	// skip: the command is not applied; its result is set, or it is
	// answered by replay's record once the batch is applied.
	skip   bool
	replay *persist.IdempotencyRecord
	// fresh: the command is applied and its answer recorded under this key.
	fresh *persist.IdempotencyRecord
}

// guard applies the idempotency guard at cmds[pos] of the entry being
// gathered (o, stamped at) and decides the fate of the command after it. A
// guard that guards nothing (it ends the entry, or another guard follows)
// fails alone; a malformed one, or one before a command no client sends,
// fails with that command, which is never applied unguarded. Each failure
// is an Invalid result naming the guard. No build proposes such a guard.
func (f *fsm) guard(g *idemGuardCmd, cmds []engine.Command, pos int, o *origin, at engine.Nanos) guardState {
	next := pos + 1
	if next >= len(cmds) || cmds[next].Kind() == kindIdemGuard {
		// Nothing to guard: the guard fails alone (a guard after it still
		// guards its own command).
		o.results[pos] = engine.Result{Err: errGuardsNothing}
		return guardState{}
	}
	if !g.valid() || !g.fits(cmds[next]) {
		o.results[pos] = engine.Result{Err: errMalformedGuard}
		o.results[next] = engine.Result{Err: errMalformedGuard}
		return guardState{skip: true}
	}
	rec := f.idem.byKey[persist.IdempotencyTableKey(g.Scope, g.Key)]
	switch {
	case rec != nil && string(rec.Fingerprint) != string(g.Fingerprint):
		o.results[next] = engine.Result{Err: &engine.Error{Code: engine.Conflict, Message: ConflictMessage}}
		return guardState{skip: true}
	case rec != nil:
		return guardState{skip: true, replay: rec}
	case f.idem.full():
		o.results[next] = engine.Result{Err: errIdemFull}
		return guardState{skip: true}
	}
	rec = &persist.IdempotencyRecord{Scope: g.Scope, Key: g.Key, Fingerprint: g.Fingerprint, At: at}
	f.idem.add(rec)
	return guardState{fresh: rec}
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
	start := time.Now()
	format := f.dataFormat()
	snap, err := f.eng.Snapshot(persist.CustomerEncoderFor(format))
	if err != nil {
		return nil, fmt.Errorf("cluster: snapshot: %w", err)
	}
	f.metrics.SnapshotCaptured(start)
	return &fsmSnapshot{start: start, metrics: f.metrics, spacer: f.spacer, share: f.snapshotCPUShare, closing: f.closing, snap: snap, meta: persist.ClusterMeta{NodeHTTPAddrs: f.nodeAddrs(), DataFormat: format, Tokens: f.tokens.view(),
		DashboardKey: f.dashboardKey(), Idempotency: f.idem.view(), Outbox: f.outbox.view()}}, nil
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
	f.setDataFormat(meta.DataFormat)
	f.tokens.restore(meta.Tokens)
	f.restoreDashboardKey(meta.DashboardKey)
	return nil
}

// fsmSnapshot is an engine image waiting to be written.
type fsmSnapshot struct {
	snap *engine.Snapshot
	meta persist.ClusterMeta
	// start is when the capture began, for the snapshot's duration.
	start   time.Time
	metrics *telemetry.Metrics
	spacer  *snapshotSpacer
	share   float64         // of one core, for the writer's pacer
	closing <-chan struct{} // ends the pacer's sleeps at shutdown
}

// Persist streams the snapshot into the sink.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	var opts persist.WriteOptions
	pacer := newWriterPacer(s.share, s.closing)
	if pacer != nil {
		opts.Pace = pacer.step
	}
	if err := persist.WriteSnapshotWith(sink, s.snap, s.meta, opts); err != nil {
		sink.Cancel()
		return fmt.Errorf("cluster: persist snapshot: %w", err)
	}
	if err := sink.Close(); err != nil {
		return fmt.Errorf("cluster: persist snapshot: %w", err)
	}
	s.metrics.SnapshotWritten(s.start)
	s.metrics.SnapshotPaced(pacer.sleptSoFar())
	if s.spacer != nil {
		s.spacer.written(time.Since(s.start), pacer.sleptSoFar())
	}
	return nil
}

// Release ends the engine's copy-on-write for this snapshot.
func (s *fsmSnapshot) Release() { s.snap.Release() }
