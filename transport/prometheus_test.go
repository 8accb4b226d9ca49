package transport

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"burndown/engine"
)

// scrape reads /metrics into series → value ("name{labels}" as written).
func (e *testEnv) scrape() map[string]float64 {
	e.t.Helper()
	st, body := e.do("GET", "/metrics", nil)
	if st != 200 {
		e.t.Fatalf("/metrics: %d %s", st, body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			e.t.Fatalf("/metrics line %q: %v", line, err)
		}
		if _, dup := out[line[:i]]; dup {
			e.t.Fatalf("/metrics writes %s twice", line[:i])
		}
		out[line[:i]] = v
	}
	return out
}

func TestMetricsEndpoint(t *testing.T) {
	e := newEnv(t, "2026-01-01T00:00:00Z")
	for i := 0; i < 3; i++ {
		e.create("/v1/customers", map[string]any{"name": fmt.Sprintf("c%d", i)})
	}
	if st, _ := e.doToken("GET", "/metrics", nil, "wrong"); st != 401 {
		t.Fatalf("/metrics without the token: %d, want 401", st)
	}
	m := e.scrape()
	for name, want := range map[string]float64{"burndown_customers": 3, "burndown_leader": 1, "burndown_cluster_members": 1} {
		if got, ok := m[name]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", name, got, ok, want)
		}
	}
	for _, name := range []string{"go_memstats_heap_inuse_bytes", "go_goroutines", "process_resident_memory_bytes", "process_cpu_seconds_total"} {
		if _, ok := m[name]; !ok {
			t.Errorf("/metrics lacks the process metric %s", name)
		}
	}
}

// TestMetricsSeries drives a little of everything and reads the series back:
// routes by pattern and code, the check histogram, the raft path's
// histograms, snapshots, leader changes, build info and every reject reason.
func TestMetricsSeries(t *testing.T) {
	e := newEnv(t, "2026-01-01T00:00:00Z")
	api, _, rc := scenarioACatalog(e)
	cust := e.create("/v1/customers", map[string]any{"name": "Example Inc", "ingest_aliases": []string{"example-inc"}})
	e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"),
		"prepaid_only": true, "commits": []any{prepaidCommit(e, api, 2000)}})
	e.ok("POST", "/v1/ingest", events("example-inc", "m", 0, 10, e.at("2026-01-01T00:00:00Z")), nil)
	for i := 0; i < 5; i++ {
		e.check("example-inc", api)
	}
	e.ok("POST", "/v1/entitlements/check", map[string]any{"checks": []any{map[string]any{"customer_id": cust, "product_id": api}}}, nil)
	e.doToken("GET", "/v1/entitlements/check?customer_id="+cust+"&product_id="+api, nil, "wrong")
	e.do("GET", "/v1/no/such/path", nil)
	e.do("GET", "/v1/customers/"+cust, nil)
	e.ok("POST", "/v1/cluster/snapshot", nil, nil)

	m := e.scrape()
	exact := map[string]float64{
		`burndown_http_requests_total{route="/v1/entitlements/check",code="200"}`: 6,
		`burndown_http_requests_total{route="/v1/entitlements/check",code="401"}`: 1,
		`burndown_http_requests_total{route="unmatched",code="404"}`:              1,
		`burndown_http_requests_total{route="/v1/customers/{id}",code="200"}`:     1,
		`burndown_http_requests_total{route="/v1/ingest",code="200"}`:             1,
		`burndown_check_duration_seconds_count`:                                   7, // the 401 too
	}
	for name, want := range exact {
		if m[name] != want {
			t.Errorf("%s = %v, want %v", name, m[name], want)
		}
	}
	for _, name := range []string{
		`burndown_http_request_duration_seconds_count{route="/v1/entitlements/check",code="200"}`,
		"burndown_propose_wait_seconds_count", "burndown_raft_commit_duration_seconds_count",
		"burndown_apply_duration_seconds_count", "burndown_snapshot_duration_seconds_count", "burndown_snapshot_pause_seconds_count",
		"burndown_leader_changes_total",
	} {
		if m[name] < 1 {
			t.Errorf("%s = %v, want at least 1", name, m[name])
		}
	}
	// The customer, the contract and the ingest were each proposed; a
	// proposal's whole time includes its wait in the queue.
	if n := m["burndown_propose_duration_seconds_count"]; n < 3 {
		t.Errorf("burndown_propose_duration_seconds_count = %v, want at least the 3 writes", n)
	}
	if total, wait := m["burndown_propose_duration_seconds_sum"], m["burndown_propose_wait_seconds_sum"]; total < wait {
		t.Errorf("proposals took %v s in all, less than their %v s of queue wait", total, wait)
	}
	assertHistogram(t, m, "burndown_propose_duration_seconds", "")
	if m["burndown_apply_batch_events_sum"] < 10 {
		t.Errorf("burndown_apply_batch_events_sum = %v, want at least the 10 events ingested", m["burndown_apply_batch_events_sum"])
	}
	assertHistogram(t, m, "burndown_check_duration_seconds", "")
	assertHistogram(t, m, "burndown_http_request_duration_seconds", `route="/v1/entitlements/check",code="200"`)
	if !hasPrefix(m, "burndown_build_info{version=") {
		t.Error("/metrics lacks burndown_build_info")
	}
	for _, r := range engine.RejectReasons {
		if _, ok := m[fmt.Sprintf("burndown_rejected_events_total{reason=%q}", r)]; !ok {
			t.Errorf("reject reason %s is not exported", r)
		}
	}
	if _, ok := m["burndown_snapshot_paced_seconds_total"]; !ok {
		t.Error("burndown_snapshot_paced_seconds_total is not exported")
	}
	for _, o := range []string{"delivered", "failed", "dropped"} {
		if _, ok := m[fmt.Sprintf("burndown_webhook_deliveries_total{outcome=%q}", o)]; !ok {
			t.Errorf("burndown_webhook_deliveries_total{outcome=%q} is not exported", o)
		}
	}
}

// assertHistogram checks a histogram's buckets are cumulative and its +Inf
// bucket equals its count.
func assertHistogram(t *testing.T, m map[string]float64, name, labels string) {
	t.Helper()
	sep := ""
	if labels != "" {
		sep = ","
	}
	prev, buckets := 0.0, 0
	for _, le := range []string{"2.5e-05", "5e-05", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"} {
		v, ok := m[fmt.Sprintf("%s_bucket{%s%sle=%q}", name, labels, sep, le)]
		if !ok {
			continue
		}
		buckets++
		if v < prev {
			t.Errorf("%s{%s} bucket le=%s = %v, below the one before (%v)", name, labels, le, v, prev)
		}
		prev = v
	}
	count := m[fmt.Sprintf("%s_count{%s}", name, labels)]
	if labels == "" {
		count = m[name+"_count"]
	}
	if buckets < 10 || prev != count || count == 0 {
		t.Errorf("%s{%s}: %d buckets, +Inf %v, count %v: want every bucket, +Inf equal to a non-zero count", name, labels, buckets, prev, count)
	}
}

func hasPrefix(m map[string]float64, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// TestRequestIDEchoed: a request's X-Request-Id comes back as it was sent;
// with an access log, a request without one (or with one too long) gets one
// made for it, different each time.
func TestRequestIDEchoed(t *testing.T) {
	e := newEnv(t, "2026-01-01T00:00:00Z")
	get := func(id string) string {
		req, _ := http.NewRequest("GET", e.base+"/v1/customers/nope", nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		if id != "" {
			req.Header.Set("X-Request-Id", id)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Fatalf("status %d, want 404", resp.StatusCode)
		}
		return resp.Header.Get("X-Request-Id")
	}
	if got := get("req-42"); got != "req-42" {
		t.Errorf("X-Request-Id req-42 came back as %q", got)
	}
	if got := get(strings.Repeat("x", maxRequestIDLen+1)); got != "" {
		t.Errorf("an X-Request-Id over %d bytes came back as %q: want none (no access log to make one for)", maxRequestIDLen, got)
	}
	var log lockedBuffer
	e = startServer(t, e.node, func(c *Config) { c.AccessLog = &log })
	a, b := get(""), get(strings.Repeat("x", maxRequestIDLen+1))
	if a == "" || b == "" || a == b {
		t.Errorf("with an access log, made request ids %q and %q: want two different non-empty ids", a, b)
	}
}

// The embeddable dashboards' requests are counted under the route pattern
// /embed/{link}: the signed link, a credential, is never a label value.
func TestEmbedRequestsCountedWithoutTheLink(t *testing.T) {
	e, _ := newDashEnv(t, "2026-02-10T00:00:00Z")
	f := setupDashboards(e)
	link := e.embedURL(map[string]any{"customer_id": f.cust, "dashboard": "commits_and_credits"})
	for _, u := range []string{link, link + "/data"} {
		if st, _, body := get(t, u); st != 200 {
			t.Fatalf("GET %s: %d %s", u, st, body)
		}
	}
	token := link[strings.LastIndex(link, "/")+1:]
	m := e.scrape()
	if got := m[`burndown_http_requests_total{route="/embed/{link}",code="200"}`]; got != 2 {
		t.Errorf(`burndown_http_requests_total{route="/embed/{link}",code="200"} = %v, want 2 (the page and its data)`, got)
	}
	for name := range m {
		if strings.Contains(name, token) || strings.Contains(name, "/embed/v1.") {
			t.Errorf("/metrics names the link: %s", name)
		}
	}
}
