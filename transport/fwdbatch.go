package transport

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// A follower coalesces the writes it forwards: rather than one request to
// the leader per client request, the writes waiting are sent as one
// POST /v1/cluster/forward-batch (fwdframe.go), which the leader serves
// concurrently, so they group-commit together there. As in the cluster's
// proposer, a write goes out at once when no batch is in flight; while
// batches are in flight, writes gather until one returns, the batch is
// full or batchWait has passed; at most batchInflight batches per leader
// are in flight. Two: in the bench's 3-node ingest (16 connections, on the
// shared 2-core dev machine) 1, 2 and 4 gave the same events/s within its
// noise; a batch carried about 2 writes at 1 and 1.3 at 2 or 4, and one in
// flight makes every write wait for the batch ahead of it.
const (
	batchWait     = 500 * time.Microsecond
	batchInflight = 2
	// batchQueueLen bounds the writes waiting for the batcher; a handler
	// that finds it full waits for room.
	batchQueueLen = 4096
	// batchUnsupportedFor is how long a leader that does not serve batches
	// (an older release during a rolling upgrade) is sent writes one by one
	// before it is tried again.
	batchUnsupportedFor = time.Minute
)

// forwardBatchPath is the leader's endpoint for a follower's batch.
const forwardBatchPath = "/v1/cluster/forward-batch"

// batchContentType is the media type of a batch body and its answer.
const batchContentType = "application/x-burndown-forward-batch"

var (
	// errBatchRefused: the leader refused the batch as a whole before
	// serving any of it (4xx, 503); its requests are sent one by one.
	errBatchRefused = errors.New("transport: the leader refused the forwarded batch; nothing in it was served")
	// errBatchExpired: the write waited past the forward timeout for a
	// place in a batch and was never sent.
	errBatchExpired = errors.New("transport: forward: waited too long for a batch; not sent")
	// errForwarderClosed: the server is shutting down; the write was not sent.
	errForwarderClosed = errors.New("transport: forward: the server is shutting down; not sent")
)

// fwdCall is one client request waiting in a batch. Its handler is blocked
// in batcher.do until done is closed, so the batch reads its request and
// writes its answer fields without a lock.
type fwdCall struct {
	frame    []byte // the request's frame (fwdframe.go)
	deadline time.Time
	resp     subResponse
	err      error
	done     chan struct{}
}

// batcher gathers the forwarded writes bound for one leader.
type batcher struct {
	f         *forwarder
	addr      string
	in        chan *fwdCall
	completed chan struct{}
	stop      chan struct{}
	stopped   chan struct{}
	// gate orders queueing against close: a call is queued only while the
	// batcher is open, so the loop answers every call queued before it stops.
	gate   sync.RWMutex
	closed bool
	// waiting counts the writes queued and not yet sent.
	waiting atomic.Int64
	// unsupportedUntil is set when the leader answered 404/405 to a batch.
	mu               sync.Mutex
	unsupportedUntil time.Time
}

func newBatcher(f *forwarder, addr string) *batcher {
	b := &batcher{f: f, addr: addr, in: make(chan *fwdCall, batchQueueLen), completed: make(chan struct{}, batchInflight),
		stop: make(chan struct{}), stopped: make(chan struct{})}
	go b.run()
	return b
}

// batcher returns the batcher of the leader at addr, started on first use.
func (f *forwarder) batcher(addr string) *batcher {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.batchers[addr]
	if b == nil {
		b = newBatcher(f, addr)
		f.batchers[addr] = b
	}
	return b
}

// close stops every batcher; writes still waiting are answered
// errForwarderClosed, batches in flight finish.
func (f *forwarder) close() {
	f.mu.Lock()
	bs := f.batchers
	f.batchers = map[string]*batcher{}
	f.mu.Unlock()
	for _, b := range bs {
		b.gate.Lock()
		b.closed = true
		b.gate.Unlock()
		close(b.stop)
		<-b.stopped
	}
}

// supported reports whether the leader is sent batches now.
func (b *batcher) supported() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return time.Now().After(b.unsupportedUntil)
}

// do sends ctx's request to the leader in a batch and writes the leader's
// answer to it into ctx. The errors are forwardTo's: a dial error means no
// byte reached the leader; errBatchRefused that the leader served none of
// the batch, so the request can be forwarded on its own; any other, that it
// may have been applied.
func (b *batcher) do(ctx *fasthttp.RequestCtx) error {
	frame, err := appendSubRequest(nil, &ctx.Request)
	if err != nil || len(frame)+len(batchRequestMagic)+16 > b.f.maxBatchBytes {
		return errBatchRefused // too big for a batch: on its own
	}
	c := &fwdCall{frame: frame, deadline: time.Now().Add(b.f.timeout), done: make(chan struct{})}
	b.gate.RLock()
	if b.closed {
		b.gate.RUnlock()
		return errForwarderClosed
	}
	b.in <- c // the loop runs until closed is set, which waits for this
	// Counted once queued (the loop may take it first: the count is right
	// whenever no call is between these two lines).
	b.waiting.Add(1)
	b.gate.RUnlock()
	<-c.done
	if c.err != nil {
		return c.err
	}
	writeSubResponse(ctx, &c.resp)
	return nil
}

// writeSubResponse makes the leader's answer ctx's.
func writeSubResponse(ctx *fasthttp.RequestCtx, r *subResponse) {
	ctx.Response.Reset()
	ctx.Response.SetStatusCode(r.status)
	for _, h := range r.headers {
		ctx.Response.Header.AddBytesKV(h.name, h.value)
	}
	ctx.Response.SetBody(r.body)
}

// run gathers calls into batches (see the constants above).
func (b *batcher) run() {
	defer close(b.stopped)
	var (
		pending  []*fwdCall
		size     int
		inflight int
		timer    = time.NewTimer(time.Hour)
		timerOn  bool
		expired  bool
		justDone bool
	)
	timer.Stop()
	full := func() bool { return len(pending) >= maxBatchRequests || size >= b.f.maxBatchBytes }
	for {
	drain:
		for !full() {
			select {
			case c := <-b.in:
				pending = append(pending, c)
				size += len(c.frame)
			default:
				break drain
			}
		}
		if len(pending) > 0 && inflight < batchInflight && (inflight == 0 || justDone || expired || full()) {
			n, sent := b.flush(pending)
			if sent {
				inflight++
			}
			pending = append(pending[:0], pending[n:]...)
			size = 0
			for _, c := range pending {
				size += len(c.frame)
			}
			justDone, expired = false, false
			if timerOn {
				timer.Stop()
				timerOn = false
			}
			continue
		}
		if len(pending) > 0 && !timerOn && !expired {
			timer.Reset(batchWait)
			timerOn = true
		}
		var in chan *fwdCall
		if !full() {
			in = b.in
		}
		select {
		case c := <-in:
			pending = append(pending, c)
			size += len(c.frame)
		case <-b.completed:
			inflight--
			justDone = true
		case <-timer.C:
			timerOn = false
			expired = true
		case <-b.stop:
			for _, c := range pending {
				c.finish(errForwarderClosed)
			}
			for {
				select {
				case c := <-b.in:
					c.finish(errForwarderClosed)
				default:
					b.waiting.Store(0)
					return
				}
			}
		}
	}
}

// finish answers the call with err.
func (c *fwdCall) finish(err error) {
	c.err = err
	close(c.done)
}

// flush sends the pending calls that fit one batch (at least one) and
// returns how many it took, and whether a batch went out: calls past their
// deadline are answered errBatchExpired instead of being sent.
func (b *batcher) flush(pending []*fwdCall) (int, bool) {
	now := time.Now()
	n, size := 0, 0
	var batch []*fwdCall
	for n < len(pending) && len(batch) < maxBatchRequests && (len(batch) == 0 || size+len(pending[n].frame) <= b.f.maxBatchBytes-32) {
		c := pending[n]
		n++
		if now.After(c.deadline) {
			c.finish(errBatchExpired)
			continue
		}
		batch = append(batch, c)
		size += len(c.frame)
	}
	b.waiting.Add(-int64(n))
	if len(batch) == 0 {
		return n, false
	}
	go b.send(batch, size)
	return n, true
}

// send posts the batch to the leader and hands each call its answer.
func (b *batcher) send(batch []*fwdCall, size int) {
	defer func() { b.completed <- struct{}{} }()
	resps, err := b.post(batch, size)
	for i, c := range batch {
		if err == nil {
			c.resp = resps[i]
		}
		c.finish(err)
	}
}

// post sends one batch and decodes the answer.
func (b *batcher) post(batch []*fwdCall, size int) ([]subResponse, error) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	body := appendBatchHeader(make([]byte, 0, size+16), batchRequestMagic, len(batch))
	for _, c := range batch {
		body = append(body, c.frame...)
	}
	req.SetBodyRaw(body)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.SetRequestURI(b.f.scheme() + "://" + b.addr + forwardBatchPath)
	req.Header.SetContentType(batchContentType)
	req.Header.Set(forwardedHeader, "1")
	// The batch is authenticated by its first request's token; the leader
	// authenticates every request in it again with its own.
	if auth := authorizationOf(batch[0].frame); auth != nil {
		req.Header.SetBytesV(fasthttp.HeaderAuthorization, auth)
	}
	if err := b.f.client(b.addr).DoTimeout(req, resp, b.f.timeout); err != nil {
		return nil, fmt.Errorf("transport: forward a batch of %d to %s: %w", len(batch), b.addr, err)
	}
	b.f.metrics.ForwardBatchSent(len(batch))
	switch st := resp.StatusCode(); {
	case st == fasthttp.StatusOK:
	case st == fasthttp.StatusNotFound || st == fasthttp.StatusMethodNotAllowed:
		b.mu.Lock()
		b.unsupportedUntil = time.Now().Add(batchUnsupportedFor)
		b.mu.Unlock()
		return nil, errBatchRefused
	case st/100 == 4 || st == fasthttp.StatusServiceUnavailable:
		return nil, errBatchRefused
	default:
		return nil, fmt.Errorf("transport: forward a batch of %d to %s: answered %d", len(batch), b.addr, st)
	}
	subs, err := decodeBatchResponse(append([]byte(nil), resp.Body()...), len(batch))
	if err != nil {
		return nil, fmt.Errorf("transport: forward a batch of %d to %s: its answer: %w", len(batch), b.addr, err)
	}
	return subs, nil
}

// authorizationOf returns the Authorization header of an encoded request
// frame, nil when it has none.
func authorizationOf(frame []byte) []byte {
	r := frameReader{b: frame}
	r.bytes(maxMethodLen, "method")
	r.bytes(maxURILen, "path")
	for _, h := range r.headers("request") {
		if bytes.EqualFold(h.name, []byte(fasthttp.HeaderAuthorization)) {
			return h.value
		}
	}
	return nil
}
