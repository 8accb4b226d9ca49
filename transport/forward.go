package transport

import (
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// forwardedHeader marks a request a follower forwarded, so a node that is not
// the leader either answers 503 instead of forwarding it again (no loops
// while leadership moves).
const forwardedHeader = "X-Burndown-Forwarded"

// forwarder proxies requests to the current leader over kept-alive connections.
type forwarder struct {
	timeout time.Duration
	mu      sync.Mutex
	clients map[string]*fasthttp.HostClient
}

func newForwarder(timeout time.Duration) *forwarder {
	return &forwarder{timeout: timeout + 5*time.Second, clients: map[string]*fasthttp.HostClient{}}
}

func (f *forwarder) client(addr string) *fasthttp.HostClient {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.clients[addr]
	if c == nil {
		c = &fasthttp.HostClient{
			Addr:                     addr,
			Name:                     "burndown-forwarder",
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

// forward sends the request to the leader and relays its answer unchanged.
// Without a known leader it answers 503 with Retry-After.
func (s *Server) forward(ctx *fasthttp.RequestCtx) {
	if len(ctx.Request.Header.Peek(forwardedHeader)) > 0 {
		writeError(ctx, unavailable("leadership is changing; retry"))
		return
	}
	addr := s.node.LeaderHTTPAddr()
	if addr == "" || s.node.IsLeader() {
		writeError(ctx, unavailable("no leader is elected; retry"))
		return
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	ctx.Request.CopyTo(req)
	req.Header.Set(forwardedHeader, "1")
	req.SetHost(addr)
	if err := s.fwd.client(addr).DoTimeout(req, resp, s.fwd.timeout); err != nil {
		s.log.Warn("forward to leader failed", "leader", addr, "path", string(ctx.Path()), "err", err)
		writeError(ctx, unavailable("the leader at %s cannot be reached; retry", addr))
		return
	}
	resp.CopyTo(&ctx.Response)
}
