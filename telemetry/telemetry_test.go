package telemetry

import (
	"bytes"
	"strings"
	"testing"
	"time"

	gometrics "github.com/armon/go-metrics"
)

func scrape(m *Metrics) string {
	var b bytes.Buffer
	m.WritePrometheus(&b)
	return b.String()
}

// TestRouteRecordsWithoutAllocating: after a code's first request, counting
// and timing a request allocates nothing (the check's hot path records
// every request).
func TestRouteRecordsWithoutAllocating(t *testing.T) {
	m := New("v-test", "go-test")
	r := m.Route("/v1/entitlements/check")
	start := time.Now()
	r.Observe(200, start)
	if allocs := testing.AllocsPerRun(1000, func() { r.Observe(200, start) }); allocs != 0 {
		t.Fatalf("Route.Observe allocates %.1f times per request", allocs)
	}
	if m.Route("/v1/entitlements/check") != r {
		t.Fatal("the same pattern gave two Route values")
	}
	r.Observe(418, start) // a code without a lock-free slot
	// 1 + AllocsPerRun's warm-up run and its 1000.
	out := scrape(m)
	for _, want := range []string{
		`burndown_http_requests_total{route="/v1/entitlements/check",code="200"} 1002`,
		`burndown_http_requests_total{route="/v1/entitlements/check",code="418"} 1`,
		`burndown_http_request_duration_seconds_bucket{route="/v1/entitlements/check",code="200",le="+Inf"} 1002`,
		`burndown_build_info{version="v-test",goversion="go-test"} 1`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("missing %s in:\n%s", want, out)
		}
	}
}

// TestNilMetricsRecordNothing: components built without telemetry call the
// same methods on a nil *Metrics.
func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics
	m.CheckDone(time.Millisecond)
	m.Applied(time.Now(), 3)
	m.WebhookOutcome(WebhookDelivered, time.Now())
	m.StripeRequest("POST /v1/payment_intents", "ok", time.Now())
	m.Route("/x").Observe(200, time.Now())
}

func TestWebhookOutcomes(t *testing.T) {
	m := New("v", "go")
	m.WebhookOutcome(WebhookFailed, time.Now())
	m.WebhookOutcome(WebhookDelivered, time.Now().Add(-3*time.Second))
	m.observeDelivery(2500 * time.Microsecond) // exact: no clock between here and the bucket
	out := scrape(m)
	for _, want := range []string{
		`burndown_webhook_deliveries_total{outcome="failed"} 1`, `burndown_webhook_deliveries_total{outcome="delivered"} 1`,
		`burndown_webhook_deliveries_total{outcome="dropped"} 0`,
		// Between 1 and 5 ms the buckets are a millisecond wide.
		`burndown_webhook_delivery_duration_seconds_bucket{le="0.002"} 0`,
		`burndown_webhook_delivery_duration_seconds_bucket{le="0.003"} 1`,
		`burndown_webhook_delivery_duration_seconds_bucket{le="2.5"} 1`,
		`burndown_webhook_delivery_duration_seconds_bucket{le="5"} 2`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("missing %s", want)
		}
	}
}

// TestRaftSinkNames: raft's keys and labels become Prometheus names under
// the burndown_ prefix; counters end in _total; a name of another kind is
// dropped, not a panic.
func TestRaftSinkNames(t *testing.T) {
	m := New("v", "go")
	g, err := gometrics.New(RaftSinkConfig(), RaftSink(m))
	if err != nil {
		t.Fatal(err)
	}
	g.SetGauge([]string{"raft", "peers"}, 3)
	g.IncrCounterWithLabels([]string{"raft", "replication", "appendEntries", "logs"}, 5, []gometrics.Label{{Name: "peer_id", Value: `n"2`}})
	g.AddSample([]string{"raft", "commitTime"}, 0.7)
	g.IncrCounter([]string{"raft", "peers"}, 1) // a gauge's name as a counter: "raft_peers_total", a distinct name
	g.AddSample([]string{"raft", "peers"}, 1)   // a gauge's name as a sample: dropped
	out := scrape(m)
	for _, want := range []string{
		"burndown_raft_peers 3", `burndown_raft_replication_appendEntries_logs_total{peer_id="n\"2"} 5`,
		`burndown_raft_commitTime_bucket{le="1"} 1`, "burndown_raft_peers_total 1",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("missing %s in:\n%s", want, out)
		}
	}
}
