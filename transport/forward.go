package transport

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"burndown/telemetry"
)

// forwardedHeader marks a request a follower forwarded, so a node that is not
// the leader either answers 503 instead of forwarding it again (no loops
// while leadership moves).
const forwardedHeader = "X-Burndown-Forwarded"

// forwarder proxies requests to the current leader over kept-alive
// connections, HTTPS when tls is set: writes in batches (fwdbatch.go),
// everything else one by one.
type forwarder struct {
	timeout time.Duration
	tls     *tls.Config
	// maxBatchBytes bounds a batch's body: this node's body limit, the
	// same on every node (a leader with a smaller one refuses the batch
	// 413, and its writes go one by one).
	maxBatchBytes int
	metrics       *telemetry.Metrics
	mu            sync.Mutex
	clients       map[string]*fasthttp.HostClient
	batchers      map[string]*batcher
}

func newForwarder(timeout time.Duration, tlsCfg *tls.Config, maxBatchBytes int, m *telemetry.Metrics) *forwarder {
	return &forwarder{timeout: timeout + 5*time.Second, tls: tlsCfg, maxBatchBytes: maxBatchBytes, metrics: m,
		clients: map[string]*fasthttp.HostClient{}, batchers: map[string]*batcher{}}
}

// scheme is the forwarder's URL scheme: https with TLS, else http.
func (f *forwarder) scheme() string {
	if f.tls != nil {
		return "https"
	}
	return "http"
}

func (f *forwarder) client(addr string) *fasthttp.HostClient {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.clients[addr]
	if c == nil {
		c = &fasthttp.HostClient{
			Addr:                     addr,
			Name:                     "burndown-forwarder",
			IsTLS:                    f.tls != nil,
			TLSConfig:                f.tls,
			MaxConns:                 1024,
			ReadTimeout:              f.timeout,
			WriteTimeout:             f.timeout,
			MaxIdleConnDuration:      time.Minute,
			NoDefaultUserAgentHeader: true,
			DisablePathNormalizing:   true,
		}
		f.clients[addr] = c
	}
	return c
}

// waitedKey marks a request that already waited for a leader, so a request
// never waits twice (leadership flapping cannot hold it past the bound).
const waitedKey = "burndown.waited-for-leader"

// forward sends the request to the leader on its own and relays its answer
// unchanged; forwardWrite sends a write in a batch with others (fwdbatch.go)
// where it can. A restore upload is not relayed but answered 421 with the
// leader's address (misdirected).
// Without a known leader (an election in progress) it waits up to
// cfg.LeaderWait for one; when the leader it knows cannot be dialled (it
// stopped: the request never reached it, so nothing was applied) it waits
// for a new one and tries that once. Should this node win meanwhile, it
// serves the request itself. Past the bound it answers 503 with
// Retry-After.
func (s *Server) forward(ctx *fasthttp.RequestCtx) { s.relay(ctx, false) }

// forwardWrite forwards a request to a leader-only route, in a batch when
// it is one a batch may carry (batchable).
func (s *Server) forwardWrite(ctx *fasthttp.RequestCtx) {
	s.relay(ctx, s.cfg.ForwardBatching && batchable(ctx))
}

func (s *Server) relay(ctx *fasthttp.RequestCtx, batch bool) {
	if len(ctx.Request.Header.Peek(forwardedHeader)) > 0 {
		writeError(ctx, unavailable("leadership is changing; retry"))
		return
	}
	if isUpload(ctx) {
		s.misdirected(ctx)
		return
	}
	// The forwarded copy carries the body only once it is read whole.
	if err := bufferBody(ctx, s.cfg.MaxBodyBytes); err != nil {
		writeError(ctx, err)
		return
	}
	addr := s.node.LeaderHTTPAddr()
	if addr == "" || s.node.IsLeader() {
		if addr = s.awaitLeader(ctx, ""); addr == "" {
			return
		}
	}
	err := s.send(ctx, addr, batch)
	if isDialError(err) {
		s.log.Warn("the leader cannot be dialled; waiting for a new one", "leader", addr, "path", string(ctx.Path()), "err", err)
		if addr = s.awaitLeader(ctx, addr); addr == "" {
			return
		}
		err = s.send(ctx, addr, batch)
	}
	if err != nil {
		s.log.Warn("forward to leader failed", "leader", addr, "path", string(ctx.Path()), "err", err)
		writeError(ctx, unavailable("the leader at %s cannot be reached; retry", addr))
	}
}

// leaderHeader names the leader's HTTP address in a 421 answer.
const leaderHeader = "X-Burndown-Leader"

// misdirected answers a restore upload sent to a follower: the backup can
// be gigabytes, so rather than relay it the client is told to send it to the
// leader (the CLI does so itself).
func (s *Server) misdirected(ctx *fasthttp.RequestCtx) {
	addr := s.node.LeaderHTTPAddr()
	if addr == "" || s.node.IsLeader() {
		writeError(ctx, unavailable("no leader is elected; retry"))
		return
	}
	ctx.Response.Header.Set(leaderHeader, addr)
	writeError(ctx, &apiError{Status: fasthttp.StatusMisdirectedRequest, Message: fmt.Sprintf(
		"this node is a follower: upload the backup to the leader, %s://%s%s (its address is also in the %s header); nothing was replaced",
		s.fwd.scheme(), addr, restorePath, leaderHeader)})
}

// awaitLeader waits up to cfg.LeaderWait for a leader whose address is not
// avoid and returns its address. When this node becomes the leader it
// serves the request itself, and when none comes in time it answers 503;
// either way it returns "" and the request is done.
func (s *Server) awaitLeader(ctx *fasthttp.RequestCtx, avoid string) string {
	if s.cfg.LeaderWait < 0 || ctx.UserValue(waitedKey) != nil {
		writeError(ctx, unavailable("no leader is elected; retry"))
		return ""
	}
	ctx.SetUserValue(waitedKey, true)
	deadline := time.Now().Add(s.cfg.LeaderWait)
	for {
		if s.node.IsLeader() {
			ctx.Response.Reset()
			s.Handle(ctx)
			return ""
		}
		if a := s.node.LeaderHTTPAddr(); a != "" && a != avoid {
			return a
		}
		if time.Now().After(deadline) {
			writeError(ctx, unavailable("no leader was elected within %s; retry", s.cfg.LeaderWait))
			return ""
		}
		time.Sleep(leaderPoll)
	}
}

// leaderPoll is how often a waiting request looks for a leader.
const leaderPoll = 10 * time.Millisecond

// send relays the request to the leader at addr: in a batch when batch is
// set and the leader serves batches, else (or when the leader refused the
// batch before serving any of it) on its own.
func (s *Server) send(ctx *fasthttp.RequestCtx, addr string, batch bool) error {
	if batch {
		b := s.fwd.batcher(addr)
		if b.supported() {
			err := b.do(ctx)
			if !errors.Is(err, errBatchRefused) {
				return err
			}
		}
	}
	return s.forwardTo(ctx, addr)
}

// forwardTo relays the request to the leader at addr.
func (s *Server) forwardTo(ctx *fasthttp.RequestCtx, addr string) error {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	ctx.Request.CopyTo(req)
	req.Header.Set(forwardedHeader, "1")
	req.SetHost(addr)
	req.URI().SetScheme(s.fwd.scheme())
	if err := s.fwd.client(addr).DoTimeout(req, resp, s.fwd.timeout); err != nil {
		return fmt.Errorf("transport: forward to %s: %w", addr, err)
	}
	resp.CopyTo(&ctx.Response)
	return nil
}

// isDialError reports whether err is a failure to connect, before any byte
// of the request was sent.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
