package telemetry

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
)

// HTTP holds the per-route series burndown_http_requests_total{route,code}
// and burndown_http_request_duration_seconds{route,code}.
type HTTP struct {
	set    *vm.Set
	mu     sync.Mutex
	routes map[string]*Route
}

func newHTTP(set *vm.Set) *HTTP { return &HTTP{set: set, routes: map[string]*Route{}} }

// Route is one route's series, by status code. A server resolves it once per
// route (at startup) and records through it without allocating: each code's
// pair of series is created on its first request and then read from an
// atomic pointer.
type Route struct {
	set     *vm.Set
	pattern string
	known   [len(statusCodes)]atomic.Pointer[routeCode]
	mu      sync.Mutex
	other   map[int]*routeCode
}

type routeCode struct {
	count    *vm.Counter
	duration *vm.PrometheusHistogram
}

// statusCodes are the codes with a lock-free slot; others take a map under
// a mutex (rare by construction).
var statusCodes = [...]int{200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 421, 429, 500, 502, 503, 504}

// Route returns pattern's series (the same value for the same pattern). A
// nil *Metrics returns nil, and a nil *Route records nothing.
func (m *Metrics) Route(pattern string) *Route {
	if m == nil {
		return nil
	}
	h := m.http
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.routes[pattern]
	if r == nil {
		r = &Route{set: h.set, pattern: pattern, other: map[int]*routeCode{}}
		h.routes[pattern] = r
	}
	return r
}

// Observe counts one request that answered code and records its duration
// since start.
func (r *Route) Observe(code int, start time.Time) { r.ObserveDuration(code, time.Since(start)) }

// ObserveDuration counts one request that answered code and took d.
func (r *Route) ObserveDuration(code int, d time.Duration) {
	if r == nil {
		return
	}
	rc := r.series(code)
	rc.count.Inc()
	rc.duration.Update(d.Seconds())
}

func (r *Route) series(code int) *routeCode {
	for i, c := range statusCodes {
		if c == code {
			if rc := r.known[i].Load(); rc != nil {
				return rc
			}
			rc := r.create(code)
			r.known[i].Store(rc)
			return rc
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rc := r.other[code]
	if rc == nil {
		rc = r.create(code)
		r.other[code] = rc
	}
	return rc
}

// create registers the pair (GetOrCreate: two racing first requests get the
// same series).
func (r *Route) create(code int) *routeCode {
	labels := fmt.Sprintf("{route=%q,code=\"%d\"}", r.pattern, code)
	return &routeCode{
		count:    r.set.GetOrCreateCounter("burndown_http_requests_total" + labels),
		duration: r.set.GetOrCreatePrometheusHistogramExt("burndown_http_request_duration_seconds"+labels, latencyBuckets),
	}
}
