package transport

import (
	"github.com/valyala/fasthttp"
)

// healthz answers 200 while the process serves HTTP (liveness).
func (s *Server) healthz(ctx *fasthttp.RequestCtx) {
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType("application/json")
	ctx.SetBodyString(`{"status":"ok"}`)
}

// readyz answers 200 once the node knows a leader (it can take writes,
// directly or by forwarding) and 503 with Retry-After otherwise.
func (s *Server) readyz(ctx *fasthttp.RequestCtx) {
	if !s.node.IsLeader() && s.node.LeaderHTTPAddr() == "" {
		writeError(ctx, unavailable("no leader is elected"))
		return
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType("application/json")
	ctx.SetBodyString(`{"status":"ready"}`)
}
