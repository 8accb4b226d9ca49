package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The alert rules and the Grafana dashboard of deploy/ name only series a
// cluster exports: three real processes (follower lag exists on a leader
// with followers) take a short load that touches every part the files
// watch (checks, ingest, a failed request, a snapshot, a webhook delivered
// to a receiver, a Stripe charge against stripe-mock), then every
// expression's selectors are looked up in the union of the nodes' /metrics,
// as Prometheus scraping the three would see them.
func TestMonitoringNamesExportedSeries(t *testing.T) {
	exprs := ruleExprs(t)
	panels, _ := dashboardExprs(t)
	exprs = append(exprs, panels...)

	delivered := make(chan struct{}, 16)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body) //nolint:errcheck
		delivered <- struct{}{}
	}))
	defer rcv.Close()
	bin := buildBinary(t)
	nodes := newProcesses(t, bin, "m", 3, nil, "--log-level", "warn", "--webhook-url", rcv.URL, "--webhook-secret", "whsec_monitoring",
		"--stripe-api-key", "sk_test_monitoring", "--stripe-api-base", startStripeMock(t))
	startProcesses(t, nodes)
	monitoringLoad(t, nodes)
	select {
	case <-delivered:
	case <-time.After(15 * time.Second):
		t.Fatal("no webhook delivered")
	}

	// The leader's dispatcher observes the Stripe call and the delivery
	// after they return: scrape until nothing is missing, or for 10s.
	var missing []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		var err error
		if missing, err = missingSeries(exprs, scrapeAll(t, nodes)); err != nil {
			t.Fatal(err)
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(missing) > 0 {
		t.Errorf("the rules and the dashboard name what no node exports:\n%s", strings.Join(missing, "\n"))
	}
	assertSeriesMoved(t, nodes)
}

// movedAfterLoad are the series issue 17 names, each of which the load
// must have moved on some node: histograms by their _count, counters and
// the build info by their value.
var movedAfterLoad = []string{
	"burndown_http_request_duration_seconds_count", "burndown_check_duration_seconds_count", "burndown_propose_wait_seconds_count",
	"burndown_raft_commit_duration_seconds_count", "burndown_apply_duration_seconds_count", "burndown_apply_batch_events_count",
	"burndown_snapshot_duration_seconds_count", "burndown_webhook_delivery_duration_seconds_count",
	"burndown_stripe_request_duration_seconds_count", "burndown_http_requests_total", "burndown_webhook_deliveries_total",
	"burndown_leader_changes_total", "burndown_build_info", "process_resident_memory_bytes",
	"burndown_raft_commitTime_count", // raft's own, through the go-metrics bridge
}

// presentAfterLoad are the gauges that may rightly read 0 after the load
// (the backlog is drained, the followers caught up) but must be there.
var presentAfterLoad = []string{"burndown_webhook_backlog", "burndown_follower_lag_entries"}

// assertSeriesMoved sums each series' samples over the nodes and fails on
// one that is absent, or zero when the load must have moved it.
func assertSeriesMoved(t *testing.T, nodes []*process) {
	t.Helper()
	totals := map[string]float64{}
	seen := map[string]bool{}
	for _, n := range nodes {
		body, err := scrape(n.httpAddr)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(body, "\n") {
			if line == "" || line[0] == '#' {
				continue
			}
			name, _, _ := strings.Cut(line[:strings.LastIndexByte(line, ' ')], "{")
			v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			if err != nil {
				t.Fatalf("%s/metrics: %q: %v", n.httpAddr, line, err)
			}
			totals[name] += v
			seen[name] = true
		}
	}
	for _, name := range movedAfterLoad {
		if totals[name] <= 0 {
			t.Errorf("%s is %v over the three nodes after the load: want it moved", name, totals[name])
		}
	}
	for _, name := range presentAfterLoad {
		if !seen[name] {
			t.Errorf("%s is not exported by any node", name)
		}
	}
}

// scrapeAll is the union of the nodes' /metrics.
func scrapeAll(t *testing.T, nodes []*process) exported {
	t.Helper()
	have := exported{}
	for _, n := range nodes {
		body, err := scrape(n.httpAddr)
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseExposition(body)
		if err != nil {
			t.Fatalf("%s/metrics: %v", n.httpAddr, err)
		}
		for name, labels := range got {
			if have[name] == nil {
				have[name] = map[string]bool{}
			}
			for l := range labels {
				have[name][l] = true
			}
		}
	}
	return have
}

// monitoringLoad sends the requests that make the watched series move.
func monitoringLoad(t *testing.T, nodes []*process) {
	t.Helper()
	addr := nodes[0].httpAddr
	product, cust := setupAcmeContract(t, addr, 0)
	var id struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if _, err := call(addr, "POST", "/v1/alerts/create", map[string]any{"alert_type": "spend_threshold_reached", "name": "soft", "threshold": 3, "customer_id": cust}, &id); err != nil {
		t.Fatal(err)
	}
	var events []map[string]any
	for i := 0; i < 5; i++ {
		events = append(events, map[string]any{"transaction_id": fmt.Sprint("tx-", i), "customer_id": "acme", "event_type": "call",
			"timestamp": time.Now().UTC().Format(time.RFC3339)})
	}
	if _, err := call(nodes[1].httpAddr, "POST", "/v1/ingest", events, nil); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		eventually(t, "a check on "+n.httpAddr, 10*time.Second, func() error {
			_, err := n.call("GET", "/v1/entitlements/check?customer_id="+cust+"&product_id="+product, nil, nil)
			return err
		})
		if st, _ := n.call("GET", "/v1/entitlements/check?customer_id="+cust, nil, nil); st != 400 {
			t.Fatalf("a check without product_id: %d, want 400", st)
		}
		if _, err := n.call("POST", "/v1/cluster/snapshot", struct{}{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	stripeGatedContract(t, addr, product)
}

// stripeGatedContract makes a customer billed through Stripe whose prepaid
// commit waits for a Stripe payment: the leader charges it through
// --stripe-api-base.
func stripeGatedContract(t *testing.T, addr, product string) {
	t.Helper()
	var id struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if _, err := call(addr, "POST", "/v1/customers", map[string]any{"name": "Buyer", "ingest_aliases": []string{"buyer"},
		"customer_billing_provider_configurations": []any{map[string]any{"billing_provider": "stripe", "delivery_method": "direct_to_billing_provider",
			"configuration": map[string]any{"stripe_customer_id": "cus_buyer"}}}}, &id); err != nil {
		t.Fatal(err)
	}
	var rcs struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if _, err := call(addr, "POST", "/v1/contract-pricing/rate-cards/list", struct{}{}, &rcs); err != nil || len(rcs.Data) == 0 {
		t.Fatalf("rate cards: %v %+v", err, rcs)
	}
	start := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	end := time.Now().UTC().AddDate(1, 0, 0).Format(time.RFC3339)
	commit := map[string]any{"type": "PREPAID", "product_id": product, "payment_gate_config": map[string]any{"payment_gate_type": "STRIPE",
		"stripe_config": map[string]any{"payment_type": "PAYMENT_INTENT"}},
		"access_schedule": map[string]any{"schedule_items": []any{map[string]any{"amount": 3000, "starting_at": start, "ending_before": end}}}}
	if _, err := call(addr, "POST", "/v1/contracts/create", map[string]any{"customer_id": id.Data.ID, "rate_card_id": rcs.Data[0].ID,
		"starting_at": start, "prepaid_only": true, "commits": []any{commit}}, nil); err != nil {
		t.Fatal(err)
	}
}

// scrape reads a node's /metrics.
func scrape(addr string) (string, error) {
	req, err := http.NewRequest("GET", "http://"+addr+"/metrics", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+e2eToken)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("%s/metrics: %d %s", addr, resp.StatusCode, b)
	}
	return string(b), err
}

// startStripeMock runs stripe-mock (github.com/stripe/stripe-mock, which
// .ci/run installs) on loopback until the test ends, and returns its URL.
func startStripeMock(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		gopath, _ := exec.Command("go", "env", "GOPATH").Output()
		bin = filepath.Join(strings.TrimSpace(string(gopath)), "bin", "stripe-mock")
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("stripe-mock is not on PATH nor in $(go env GOPATH)/bin: go install github.com/stripe/stripe-mock@v0.203.0")
		}
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "-http-addr", addr, "-https-addr", freeAddr(t, addr))
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start stripe-mock: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() }) //nolint:errcheck
	eventually(t, "stripe-mock listening", 30*time.Second, func() error {
		resp, err := http.Get("http://" + addr + "/v1/customers/cus_x")
		if err == nil {
			resp.Body.Close()
		}
		return err
	})
	return "http://" + addr
}
