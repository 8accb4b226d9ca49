package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"

	"burndown/engine"
	"burndown/persist"
	"burndown/telemetry"
)

// Group-commit bounds. An entry is closed at maxEntryBytes; a request waits at
// most maxWait for company while earlier entries are in flight; at most
// maxInflight entries are between raft.Apply and their result, so the log's
// disk writes, replication and apply overlap instead of one fsync per round
// trip. Three in flight (one being written, one applied, one queued) beat
// eight here: fewer, larger entries cost less per event in bolt and raft.
const (
	maxEntryBytes = 1 << 20
	maxWait       = 500 * time.Microsecond
	maxInflight   = 3
	// queueLen bounds the requests waiting for the loop. A client proposal
	// that finds the queue full fails at once with ErrOverloaded (HTTP 429)
	// instead of waiting for room: a full queue means the cluster is behind,
	// and queueing more only turns the backlog into timeouts.
	queueLen = 4096
)

// request is one Propose call waiting for its command to be applied.
type request struct {
	enc persist.Encoded
	// guard, when guarded, is the idempotency guard written just before enc
	// in the same entry.
	guard   persist.Encoded
	guarded bool
	at      engine.Nanos // minimum stamp (SetClock), 0 for none
	done    chan response
	queued  time.Time // for burndown_propose_wait_seconds
}

// size is the number of bytes the request takes inside an entry.
func (r *request) size() int {
	if r.guarded {
		return r.guard.Size() + r.enc.Size()
	}
	return r.enc.Size()
}

// commands is the number of commands the request puts in its entry.
func (r *request) commands() int {
	if r.guarded {
		return 2
	}
	return 1
}

type response struct {
	res engine.Result
	err error
}

// proposer coalesces concurrent proposals into log entries (group commit).
// Batching is natural: when nothing is in flight a request goes out at once;
// while entries are in flight, requests gather until one completes, the
// entry is full, or maxWait has passed.
type proposer struct {
	raft  *raft.Raft
	clock *clock
	codec *persist.Codec
	in    chan *request
	// completed receives one signal per entry whose result is known.
	completed chan struct{}
	stop      chan struct{}
	stopped   chan struct{}
	metrics   *telemetry.Metrics
}

func newProposer(r *raft.Raft, c *clock, codec *persist.Codec, m *telemetry.Metrics) *proposer {
	p := newProposerQueue(r, c, codec, queueLen)
	p.metrics = m
	go p.run()
	return p
}

// newProposerQueue builds a proposer with a queue of n requests without
// starting its loop (tests start it or leave it stalled).
func newProposerQueue(r *raft.Raft, c *clock, codec *persist.Codec, n int) *proposer {
	return &proposer{
		raft: r, clock: c, codec: codec,
		in:        make(chan *request, n),
		completed: make(chan struct{}, maxInflight),
		stop:      make(chan struct{}),
		stopped:   make(chan struct{}),
	}
}

// close stops the loop; pending requests fail with ErrClosed, entries in
// flight are answered by raft (which is shut down next).
func (p *proposer) close() {
	close(p.stop)
	<-p.stopped
}

// propose encodes cmd on the caller's goroutine, queues it and waits for its
// result. With a ctx that ends first, the command may still be applied.
// Client commands find a full queue answered at once with ErrOverloaded (the
// command is then not applied); the node's own commands (ticks, membership)
// wait for room instead, since they must eventually go through.
func (p *proposer) propose(ctx context.Context, cmd engine.Command, at engine.Nanos) (engine.Result, error) {
	return p.submit(ctx, cmd, at, waitsForRoom(cmd), nil)
}

// proposeOnce proposes a client command guarded by an idempotency key: the
// guard and the command go into the same entry, and the FSM applies the
// command only if the key is new (idempotency.go).
func (p *proposer) proposeOnce(ctx context.Context, cmd engine.Command, key IdempotencyKey) (engine.Result, error) {
	if err := key.check(); err != nil {
		return engine.Result{}, err
	}
	if cmd == nil || !guardable(cmd) {
		return engine.Result{}, fmt.Errorf("cluster: propose once: %T is not a command a client sends", cmd)
	}
	guard := &idemGuardCmd{Scope: key.Scope, Key: key.Key, Fingerprint: key.Fingerprint[:], Cluster: clusterSpecOf(cmd.Kind()) != nil}
	res, err := p.submit(ctx, cmd, 0, false, guard)
	if err == nil && res.Err == errIdemFull {
		return engine.Result{}, ErrIdempotencyFull
	}
	return res, err
}

// waitsForRoom reports whether cmd is one of the node's own commands: the
// tick and the cluster commands the table does not mark client-facing.
func waitsForRoom(cmd engine.Command) bool {
	if sp := clusterSpecOf(cmd.Kind()); sp != nil {
		return !sp.ClientFacing
	}
	return cmd.Kind() == engine.KindTick
}

func (p *proposer) submit(ctx context.Context, cmd engine.Command, at engine.Nanos, wait bool, guard *idemGuardCmd) (engine.Result, error) {
	enc, err := p.codec.EncodeCommand(cmd)
	if err != nil {
		return engine.Result{}, fmt.Errorf("cluster: propose: %w", err)
	}
	r := &request{enc: enc, at: at, done: make(chan response, 1), queued: time.Now()}
	if guard != nil {
		if r.guard, err = p.codec.EncodeCommand(guard); err != nil {
			return engine.Result{}, fmt.Errorf("cluster: propose: %w", err)
		}
		r.guarded = true
	}
	select {
	case <-p.stop:
		return engine.Result{}, ErrClosed
	default:
	}
	if wait {
		select {
		case p.in <- r:
		case <-ctx.Done():
			return engine.Result{}, ctx.Err()
		case <-p.stop:
			return engine.Result{}, ErrClosed
		}
	} else {
		select {
		case p.in <- r:
		default:
			return engine.Result{}, ErrOverloaded
		}
	}
	select {
	case resp := <-r.done:
		p.metrics.Proposed(r.queued)
		return resp.res, resp.err
	case <-ctx.Done():
		// Counted too, at the time given up: the slowest proposals are
		// the ones a p99 must not leave out.
		p.metrics.Proposed(r.queued)
		return engine.Result{}, ctx.Err()
	case <-p.stopped:
		// Queued after the loop stopped, or in flight while raft shuts down:
		// either way the outcome is unknown to this node now.
		select {
		case resp := <-r.done:
			return resp.res, resp.err
		default:
			return engine.Result{}, ErrClosed
		}
	}
}

func (p *proposer) run() {
	defer close(p.stopped)
	var (
		pending  []*request
		size     int
		inflight int
		timer    = time.NewTimer(time.Hour)
		timerOn  bool
		expired  bool
		justDone bool
	)
	timer.Stop()
	for {
		// Gather everything already queued without blocking.
	drain:
		for size < maxEntryBytes {
			select {
			case r := <-p.in:
				pending = append(pending, r)
				size += r.size()
			default:
				break drain
			}
		}
		if len(pending) > 0 && inflight < maxInflight &&
			(inflight == 0 || justDone || expired || size >= maxEntryBytes) {
			n := p.flush(pending, maxEntryBytes)
			inflight++
			pending = append(pending[:0], pending[n:]...)
			size = 0
			for _, r := range pending {
				size += r.size()
			}
			justDone, expired = false, false
			if timerOn {
				timer.Stop()
				timerOn = false
			}
			continue
		}
		if len(pending) > 0 && !timerOn && !expired {
			timer.Reset(maxWait)
			timerOn = true
		}
		var in chan *request
		if size < maxEntryBytes {
			in = p.in
		}
		select {
		case r := <-in:
			pending = append(pending, r)
			size += r.size()
		case <-p.completed:
			inflight--
			justDone = true
		case <-timer.C:
			timerOn = false
			expired = true
		case <-p.stop:
			for _, r := range pending {
				r.done <- response{err: ErrClosed}
			}
			return
		}
	}
}

// flush submits up to limit bytes of pending requests (at least one) as one
// entry and returns how many it took.
func (p *proposer) flush(pending []*request, limit int) int {
	n, size, cmds := 0, 0, 0
	var at engine.Nanos
	for n < len(pending) && (n == 0 || size+pending[n].size() <= limit) {
		size += pending[n].size()
		cmds += pending[n].commands()
		at = max(at, pending[n].at)
		n++
	}
	batch := append([]*request(nil), pending[:n]...)
	buf := persist.AppendEntryHeader(make([]byte, 0, size+16), p.clock.stamp(at), cmds)
	for _, r := range batch {
		if r.guarded {
			buf = persist.AppendCommand(buf, r.guard)
		}
		buf = persist.AppendCommand(buf, r.enc)
		p.metrics.ProposeWaited(r.queued)
	}
	f := p.raft.Apply(buf, 0)
	go p.await(f, batch)
	return n
}

// await hands each request its result once the entry is applied: the
// result of its command (a guard's own result is nothing).
func (p *proposer) await(f raft.ApplyFuture, batch []*request) {
	err := f.Error()
	var results []engine.Result
	if err == nil {
		cmds := 0
		for _, r := range batch {
			cmds += r.commands()
		}
		var ok bool
		results, ok = f.Response().([]engine.Result)
		if !ok || len(results) != cmds {
			err = fmt.Errorf("cluster: entry %d applied with %d results for %d commands", f.Index(), len(results), cmds)
		}
	}
	err = mapRaftError(err)
	pos := 0
	for _, r := range batch {
		pos += r.commands()
		if err != nil {
			r.done <- response{err: err}
		} else {
			r.done <- response{res: results[pos-1]}
		}
	}
	select {
	case p.completed <- struct{}{}:
	case <-p.stop:
	}
}

// mapRaftError turns raft's errors into this package's.
func mapRaftError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return ErrNotLeader
	case errors.Is(err, raft.ErrRaftShutdown):
		return ErrClosed
	case errors.Is(err, raft.ErrLeadershipLost):
		return fmt.Errorf("%w (the command may or may not have been applied): %w", ErrLeadershipLost, err)
	}
	return fmt.Errorf("cluster: %w", err)
}
