package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"burndown/cluster"
	"burndown/engine"
)

// hostileNumbers are literals that cost unbounded time or memory when
// expanded naively, or that are not decimals at all.
var hostileNumbers = []string{
	"1e-2147483648", "9e999999999", "1e-4000000", "1e2147483648", "-9e+0000000000000000000999",
	strings.Repeat("9", 200000), "0." + strings.Repeat("0", 100000) + "1",
	"1234567890123456789", "0.0000000000001", "1e18", "0.1e19", "1e-13",
	"0e99999", "NaN", "Infinity", "-Infinity", "0x10", "1_000", "+1", ".5", "1.", "1e", "--1", " 1", "1 ", "",
}

// Bounds and grammar of parseAmount (money.Parse, the engine's own parser),
// and that it answers at once. An exponent of more than 4 digits is refused
// whatever the coefficient, 0e999999999 too: one grammar at the edge and on
// every replica.
func TestParseAmountLiteral(t *testing.T) {
	ok := map[string]string{
		"0": "0", "-0": "0", "12.5": "12.5", "1e3": "1000", "1E-12": "0.000000000001", "007": "7",
		"999999999999999999": "999999999999999999", "999999999999999999.999999999999": "999999999999999999.999999999999",
		"1.500000000000000000000": "1.5", "100e-14": "0.000000000001", "-5.25e1": "-52.5",
		"0.1e18": "100000000000000000",
	}
	for in, want := range ok {
		d, msg := parseAmount(json.Number(in))
		if msg != "" || d.String() != want {
			t.Errorf("%q: %s %q, want %s", in, d, msg, want)
		}
	}
	for _, in := range hostileNumbers {
		start := time.Now()
		if d, msg := parseAmount(json.Number(in)); msg == "" {
			t.Errorf("%.40q: accepted as %s", in, d)
		}
		if el := time.Since(start); el > 100*time.Millisecond {
			t.Errorf("%.40q: took %s", in, el)
		}
	}
}

// hostileEnv is a real single-node cluster on a data dir that survives a
// restart, with the HTTP server in front.
func hostileEnv(t *testing.T, dir, raftAddr string) (*testEnv, *cluster.Node, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n, err := cluster.Open(cluster.Config{NodeID: "n1", DataDir: dir, RaftAddr: raftAddr, HTTPAddr: ln.Addr().String(),
		Bootstrap: true, TestClock: true, Engine: engine.Config{Shards: 4}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := n.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	// After a restart the log past the snapshot is replayed once the leader
	// commits in its term: local reads wait for that, as an operator's
	// strong read would.
	if err := n.Barrier(ctx); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Node: n, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln) //nolint:errcheck
	stop := func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		srv.Shutdown(sctx) //nolint:errcheck
		n.Close()
	}
	return &testEnv{t: t, base: "http://" + ln.Addr().String(), srv: srv, node: n}, n, stop
}

// Hostile numbers in a summed property are answered 400 promptly (both as
// JSON numbers and strings, through both ingest decoders), writes keep
// flowing and rate exactly, and the node snapshots and restarts afterwards.
func TestHostileNumbersIngest(t *testing.T) {
	dir, raftAddr := t.TempDir(), freeAddr(t)
	e, n, stop := hostileEnv(t, dir, raftAddr)
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := n.SetClock(ctx, mustTime(t, "2026-01-01T00:00:00Z")); err != nil {
		t.Fatal(err)
	}
	start := e.at("2026-01-01T00:00:00Z")
	metric := e.create("/v1/billable-metrics/create", map[string]any{"name": "tokens", "aggregation_type": "SUM", "aggregation_key": "tokens",
		"event_type_filter": map[string]any{"in_values": []string{"gen"}}})
	product := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Tokens", "type": "USAGE", "billable_metric_id": metric})
	rc := e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "RC"})
	e.ok("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": product, "starting_at": start,
		"entitled": true, "rate_type": "FLAT", "price": 0.5}, nil)
	cust := e.create("/v1/customers", map[string]any{"name": "C", "ingest_aliases": []string{"c"}})
	e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": start,
		"commits": []any{prepaidCommit(e, product, 1000)}})

	client := &http.Client{Timeout: 5 * time.Second}
	post := func(body string) (int, string) {
		req, _ := http.NewRequest("POST", e.base+"/v1/ingest", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("ingest of %.60s: %v (no answer within 5 s)", body, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	event := func(tx, tokens string) string {
		return `[{"transaction_id":"` + tx + `","customer_id":"c","event_type":"gen","timestamp":"` + start + `","properties":{"tokens":` + tokens + `}}]`
	}
	for i, num := range hostileNumbers {
		quoted, _ := json.Marshal(num)
		bodies := []string{event("bad", string(quoted)), event("bad\\u0021", string(quoted))} // the escape sends it down the strict decoder
		if num != "" && num == strings.TrimSpace(num) && json.Valid([]byte(num)) {
			bodies = append(bodies, event("bad", num)) // also as a JSON number where it is one
		}
		for _, body := range bodies {
			status, resp := post(body)
			if status != 400 || !strings.Contains(resp, `"message":"body[0].properties.tokens: `) {
				t.Errorf("hostile %d (%.40q): %d %.200s, want 400 naming body[0].properties.tokens", i, num, status, resp)
			}
		}
	}
	// A summed property that is not a number at all is refused too.
	for _, v := range []string{`true`, `{"a":1}`, `"12 tokens"`} {
		if status, resp := post(event("bad", v)); status != 400 || !strings.Contains(resp, "body[0].properties.tokens") {
			t.Errorf("tokens %s: %d %s, want 400", v, status, resp)
		}
	}

	// Writes keep flowing and rate exactly: 12.5 + 7 tokens at 0.5.
	for _, ev := range []string{event("ok-1", `"12.5"`), event("ok-2", `7`)} {
		if status, resp := post(ev); status != 200 {
			t.Fatalf("valid event: %d %s", status, resp)
		}
	}
	balance := func(e *testEnv) string {
		var out struct {
			Data []struct {
				Balance json.Number `json:"balance"`
			} `json:"data"`
		}
		e.ok("POST", "/v1/contracts/customerBalances/list", map[string]any{"customer_id": cust, "include_contract_balances": true, "include_balance": true}, &out)
		if len(out.Data) != 1 {
			t.Fatalf("balances: %+v", out)
		}
		return string(out.Data[0].Balance)
	}
	if got := balance(e); got != "990.25" {
		t.Fatalf("balance %s, want 990.25 (1000 - 19.5 × 0.5)", got)
	}

	// Snapshot, then restart on the same data dir: the state is intact and
	// writes still work.
	if status, resp := e.do("POST", "/v1/cluster/snapshot", nil); status != 200 {
		t.Fatalf("snapshot: %d %s", status, resp)
	}
	if status, resp := post(event("ok-3", `"1"`)); status != 200 {
		t.Fatalf("event after snapshot: %d %s", status, resp)
	}
	stop()
	stopped = true
	e2, _, stop2 := hostileEnv(t, dir, raftAddr)
	defer stop2()
	if got := balance(e2); got != "989.75" {
		t.Fatalf("balance after restart %s, want 989.75", got)
	}
	req, _ := http.NewRequest("POST", e2.base+"/v1/ingest", bytes.NewReader([]byte(event("ok-4", `"0.5"`))))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("event after restart: %d", resp.StatusCode)
	}
	if got := balance(e2); got != "989.5" {
		t.Fatalf("balance after restart and one more event %s, want 989.5", got)
	}
}
