package transport

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// BenchmarkForwardedIngest measures ingest on a real three-node cluster in
// this process (Raft on loopback, fsync on): "leader" sends every request
// to the leader, "all-nodes" spreads the clients over the three nodes as
// bench's 3-node figure does, so two thirds go through a follower's
// batches. Each request carries 10 events with fresh transaction ids; the
// figure to compare is events/s between the two.
//
//	go test -p 1 ./transport -run '^$' -bench BenchmarkForwardedIngest -benchtime 5s
func BenchmarkForwardedIngest(b *testing.B) {
	nodes := startThreeNodes(b, "2026-03-01T12:00:00Z")
	const customers, perRequest = 100, 10
	p := setupPrepaid(b, nodes, customers, 1_000_000_000)
	clients := make([]*fasthttp.HostClient, len(nodes))
	for i, n := range nodes {
		clients[i] = &fasthttp.HostClient{Addr: strings.TrimPrefix(n.base, "http://"), MaxConns: 1024, ReadTimeout: 30 * time.Second}
	}
	var seq atomic.Int64
	for _, c := range []struct {
		name  string
		nodes int
	}{{"leader", 1}, {"all-nodes", len(nodes)}} {
		b.Run(c.name, func(b *testing.B) {
			var worker atomic.Int64
			b.SetParallelism(16) // 16 clients per CPU
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				hc := clients[int(worker.Add(1))%c.nodes]
				req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
				defer fasthttp.ReleaseRequest(req)
				defer fasthttp.ReleaseResponse(resp)
				body := make([]byte, 0, 2048)
				for pb.Next() {
					n := seq.Add(1)
					body = append(body[:0], '[')
					for j := range perRequest {
						if j > 0 {
							body = append(body, ',')
						}
						body = fmt.Appendf(body, `{"transaction_id":"bench-%d-%d","customer_id":"cust-%d","event_type":"call","timestamp":"2026-03-01T11:00:00Z"}`,
							n, j, (int(n)+j)%customers)
					}
					body = append(body, ']')
					req.Reset()
					req.Header.SetMethod("POST")
					req.SetRequestURI("http://" + hc.Addr + "/v1/ingest")
					req.Header.Set("Authorization", "Bearer "+p.writeTok)
					req.Header.SetContentType("application/json")
					req.SetBody(body)
					if err := hc.Do(req, resp); err != nil || resp.StatusCode() != 200 {
						b.Errorf("ingest: %v %d %s", err, resp.StatusCode(), resp.Body())
						return
					}
				}
			})
			b.ReportMetric(float64(b.N*perRequest)/time.Since(start).Seconds(), "events/s")
		})
	}
	sum, count := 0.0, 0.0
	for _, f := range nodes[1:] {
		sum += metricValue(b, f, "burndown_forward_batch_requests_sum")
		count += metricValue(b, f, "burndown_forward_batch_requests_count")
	}
	if count > 0 {
		b.Logf("followers forwarded %v requests in %v batches (%s per batch)", sum, count, strconv.FormatFloat(sum/count, 'f', 1, 64))
	}
}
