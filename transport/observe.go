package transport

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"burndown/telemetry"
)

// Route series of the paths served outside the route table.
const (
	unmatchedRoute = "unmatched" // no endpoint: the 404s of unknown paths
	metricsRoute   = "/metrics"
)

// serverSeries are the route series of the paths Handle serves before the
// route table, resolved once so the hot paths record without a lookup.
type serverSeries struct {
	check, authorize, healthz, readyz, stripe, metrics, pprof, console, embed, unmatched *telemetry.Route
}

func newServerSeries(m *telemetry.Metrics) serverSeries {
	return serverSeries{
		check: m.Route(checkPath), authorize: m.Route(authorizePath), healthz: m.Route("/healthz"), readyz: m.Route("/readyz"),
		stripe: m.Route(StripeWebhookPath), metrics: m.Route(metricsRoute), pprof: m.Route(pprofPrefix), console: m.Route(consolePath + "/"), embed: m.Route(embedPrefix + "/{link}"), unmatched: m.Route(unmatchedRoute),
	}
}

// routePattern is the label of a route-table path: a prefix route
// ("/v1/customers/") is shown with its parameter.
func routePattern(path string) string {
	if path[len(path)-1] == '/' {
		return path + "{id}"
	}
	return path
}

// maxRequestIDLen bounds an X-Request-Id taken from a client: longer, or with
// bytes outside printable ASCII, and the server makes its own.
const maxRequestIDLen = 128

// requestIDs makes request ids for requests that come without one: the
// node's prefix and a counter, unique per node and process.
type requestIDs struct {
	prefix []byte
	next   atomic.Uint64
}

func newRequestIDs() *requestIDs {
	return &requestIDs{prefix: strconv.AppendInt(nil, time.Now().UnixNano(), 36)}
}

// echo sets the response's X-Request-Id to the request's, when it has a
// usable one; otherwise, when make is set (an access log is kept, so the id
// leads somewhere), to a new one. It allocates nothing in steady state.
func (r *requestIDs) echo(ctx *fasthttp.RequestCtx, make bool) []byte {
	if id := ctx.Request.Header.PeekBytes(hdrRequestID); validRequestID(id) {
		ctx.Response.Header.SetCanonical(hdrRequestID, id)
		return id
	}
	if !make {
		return nil
	}
	var buf [64]byte
	id := append(buf[:0], r.prefix...)
	id = append(id, '-')
	id = strconv.AppendUint(id, r.next.Add(1), 36)
	ctx.Response.Header.SetCanonical(hdrRequestID, id)
	return ctx.Response.Header.PeekBytes(hdrRequestID)
}

func validRequestID(id []byte) bool {
	if len(id) == 0 || len(id) > maxRequestIDLen {
		return false
	}
	for _, c := range id {
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}
