package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests run the real binary as three processes on loopback: writes go
// through any node, every node answers the same balances, and a node killed
// with SIGKILL and restarted with the same command line catches up. No
// acknowledged event may be lost or counted twice.

const e2eToken = "e2e-token"

// process is one running `burndown serve`.
type process struct {
	t        *testing.T
	bin      string
	args     []string
	httpAddr string
	// https, when set, is the client of a node serving HTTPS.
	https *http.Client
	cmd   *exec.Cmd
	log   *lockedBuffer
}

// lockedBuffer is a process's output, safe to read while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "burndown")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// freeAddr is a loopback address free now and not among taken (the kernel
// may hand a port just released out again, so addresses picked one after
// the other for one process can collide).
func freeAddr(t *testing.T, taken ...string) string {
	t.Helper()
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		if !slices.Contains(taken, addr) {
			return addr
		}
	}
}

func (p *process) start() {
	p.t.Helper()
	p.log = &lockedBuffer{}
	p.cmd = exec.Command(p.bin, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start %v: %v", p.args, err)
	}
}

func (p *process) kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
		p.cmd = nil
	}
}

// call sends a request and decodes a JSON answer into out (when not nil).
func call(addr, method, path string, body any, out any) (int, error) {
	return callURL(&http.Client{Timeout: 10 * time.Second}, "http://"+addr+path, method, body, out)
}

// call sends a request to the process, over HTTPS when it serves it.
func (p *process) call(method, path string, body any, out any) (int, error) {
	if p.https == nil {
		return call(p.httpAddr, method, path, body, out)
	}
	return callURL(p.https, "https://"+p.httpAddr+path, method, body, out)
}

// callURL sends a request with client and decodes a JSON answer into out
// (when not nil).
func callURL(client *http.Client, url, method string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+e2eToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	path := req.URL.RequestURI()
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode %q: %w", method, path, raw, err)
		}
	}
	return resp.StatusCode, nil
}

// eventually retries f until it succeeds or the deadline passes.
func eventually(t *testing.T, what string, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: still failing after %s: %v", what, timeout, err)
}

type clusterStatus struct {
	NodeID string `json:"node_id"`
	State  string `json:"state"`
	Leader string `json:"leader_id"`
	Nodes  []struct {
		ID string `json:"id"`
	} `json:"nodes"`
}

type checkAnswer struct {
	Entitled bool   `json:"entitled"`
	Reason   string `json:"reason"`
	Balance  string `json:"balance"`
}

// newProcesses prepares n `burndown serve` processes named prefix1..prefixN
// in dir: the first bootstraps, the others join it. addrArgs gives a node's
// address flags (nil: --http-addr and --raft-addr on free loopback ports);
// extra flags are added to every node. Their logs are shown when the test
// fails, and they are killed when it ends.
func newProcesses(t *testing.T, bin, prefix string, n int, addrArgs func(httpAddr, raftAddr string) []string, extra ...string) []*process {
	t.Helper()
	dir := t.TempDir()
	nodes := make([]*process, n)
	var taken []string // no two of the cluster's addresses alike
	for i := range nodes {
		httpAddr := freeAddr(t, taken...)
		raftAddr := freeAddr(t, append(taken, httpAddr)...)
		taken = append(taken, httpAddr, raftAddr)
		name := fmt.Sprintf("%s%d", prefix, i+1)
		args := []string{"serve", "--node-id", name, "--data-dir", filepath.Join(dir, name), "--api-token", e2eToken}
		if addrArgs == nil {
			args = append(args, "--http-addr", httpAddr, "--raft-addr", raftAddr)
		} else {
			args = append(args, addrArgs(httpAddr, raftAddr)...)
		}
		if i == 0 {
			args = append(args, "--bootstrap")
		} else {
			args = append(args, "--join", nodes[0].httpAddr)
		}
		nodes[i] = &process{t: t, bin: bin, args: append(args, extra...), httpAddr: httpAddr}
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.kill()
			if t.Failed() {
				t.Logf("log of %s:\n%s", n.httpAddr, lastLines(n.log.String(), 30))
			}
		}
	})
	return nodes
}

// startProcesses starts the first node, waits until it is ready, starts the
// others, and waits until the first lists all of them; it returns that
// status.
func startProcesses(t *testing.T, nodes []*process) clusterStatus {
	t.Helper()
	nodes[0].start()
	eventually(t, "first node ready", 20*time.Second, func() error { _, err := nodes[0].call("GET", "/readyz", nil, nil); return err })
	for _, n := range nodes[1:] {
		n.start()
	}
	var st clusterStatus
	eventually(t, "every member", 30*time.Second, func() error {
		if _, err := nodes[0].call("GET", "/v1/cluster/status", nil, &st); err != nil {
			return err
		}
		if len(st.Nodes) != len(nodes) || st.Leader == "" {
			return fmt.Errorf("%d members, leader %q", len(st.Nodes), st.Leader)
		}
		return nil
	})
	return st
}

func TestThreeProcessCluster(t *testing.T) {
	bin := buildBinary(t)
	nodes := newProcesses(t, bin, "n", 3, nil)
	startProcesses(t, nodes)

	// The catalog and the customer are written through a follower.
	product := setupAcme(t, nodes[1].httpAddr, 100000)

	sent := 0
	ingest := func(addr string, requests int) {
		t.Helper()
		for r := 0; r < requests; r++ {
			var events []map[string]any
			for i := 0; i < 100; i++ {
				events = append(events, map[string]any{"transaction_id": fmt.Sprintf("tx-%d", sent), "customer_id": "acme", "event_type": "call",
					"timestamp": time.Now().UTC().Format(time.RFC3339)})
				sent++
			}
			if _, err := call(addr, "POST", "/v1/ingest", events, nil); err != nil {
				t.Fatalf("ingest through %s: %v", addr, err)
			}
			// Resending an acknowledged request never counts twice.
			if r%5 == 0 {
				if _, err := call(addr, "POST", "/v1/ingest", events, nil); err != nil {
					t.Fatalf("resend through %s: %v", addr, err)
				}
			}
		}
	}
	balanceOn := func(addr string) (string, error) {
		var a checkAnswer
		_, err := call(addr, "GET", "/v1/entitlements/check?customer_id=acme&product_id="+product, nil, &a)
		return a.Balance, err
	}
	allAgree := func(want string, procs ...*process) {
		t.Helper()
		for _, p := range procs {
			eventually(t, "balance on "+p.httpAddr, 30*time.Second, func() error {
				got, err := balanceOn(p.httpAddr)
				if err != nil {
					return err
				}
				if got != want {
					return fmt.Errorf("balance %s, want %s", got, want)
				}
				return nil
			})
		}
	}

	for _, n := range nodes {
		ingest(n.httpAddr, 4)
	}
	allAgree(fmt.Sprint(100000-sent), nodes...)

	// SIGKILL a follower, write on, restart it with the same command line.
	var st clusterStatus
	if _, err := call(nodes[0].httpAddr, "GET", "/v1/cluster/status", nil, &st); err != nil {
		t.Fatal(err)
	}
	byID := func(id string) *process {
		for _, n := range nodes {
			if n.args[2] == id { // args: serve --node-id <id> ...
				return n
			}
		}
		t.Fatalf("node %q not among the processes", id)
		return nil
	}
	leader := byID(st.Leader)
	victim := nodes[2]
	if victim == leader {
		victim = nodes[1]
	}
	victim.kill()
	for _, n := range nodes {
		if n != victim {
			ingest(n.httpAddr, 3)
		}
	}
	victim.start()
	allAgree(fmt.Sprint(100000-sent), nodes...)

	// SIGKILL the leader: the others elect a new one and keep taking writes.
	leader.kill()
	var rest []*process
	for _, n := range nodes {
		if n != leader {
			rest = append(rest, n)
		}
	}
	eventually(t, "new leader", 30*time.Second, func() error {
		var s clusterStatus
		if _, err := call(rest[0].httpAddr, "GET", "/v1/cluster/status", nil, &s); err != nil {
			return err
		}
		if s.Leader == "" || s.Leader == st.Leader {
			return fmt.Errorf("leader %q", s.Leader)
		}
		return nil
	})
	ingest(rest[0].httpAddr, 2)
	ingest(rest[1].httpAddr, 2)
	leader.start()
	allAgree(fmt.Sprint(100000-sent), nodes...)

	// A strongly consistent read agrees too.
	var a checkAnswer
	if _, err := call(rest[1].httpAddr, "GET", "/v1/entitlements/check?consistency=strong&customer_id=acme&product_id="+product, nil, &a); err != nil {
		t.Fatal(err)
	}
	if a.Balance != fmt.Sprint(100000-sent) {
		t.Fatalf("strong read balance %s, want %d", a.Balance, 100000-sent)
	}
}

// setupAcme writes, through the node at addr, a metric counting "call"
// events, a product priced 1 per call, and the customer acme (alias acme)
// on a prepaid-only contract holding amount; it returns the product id.
func setupAcme(t *testing.T, addr string, amount int) string {
	t.Helper()
	product, _ := setupAcmeContract(t, addr, amount)
	return product
}

// setupAcmeContract is setupAcme returning the customer id too; an amount
// of 0 gives a pay-as-you-go contract (no commit, not prepaid-only).
func setupAcmeContract(t *testing.T, addr string, amount int) (product, customer string) {
	t.Helper()
	var id struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	mustCall := func(path string, body any) string {
		t.Helper()
		id.Data.ID = ""
		if _, err := call(addr, "POST", path, body, &id); err != nil {
			t.Fatal(err)
		}
		return id.Data.ID
	}
	start := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	metric := mustCall("/v1/billable-metrics/create", map[string]any{"name": "calls", "event_type_filter": map[string]any{"in_values": []string{"call"}}, "aggregation_type": "COUNT"})
	product = mustCall("/v1/contract-pricing/products/create", map[string]any{"name": "Calls", "type": "USAGE", "billable_metric_id": metric})
	rc := mustCall("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "Card"})
	mustCall("/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": product, "starting_at": start, "entitled": true, "rate_type": "FLAT", "price": 1})
	customer = mustCall("/v1/customers", map[string]any{"name": "Acme", "ingest_aliases": []string{"acme"}})
	contract := map[string]any{"customer_id": customer, "rate_card_id": rc, "starting_at": start}
	if amount > 0 {
		contract["prepaid_only"] = true
		contract["commits"] = []any{map[string]any{"type": "PREPAID", "product_id": product, "access_schedule": map[string]any{"schedule_items": []any{
			map[string]any{"amount": amount, "starting_at": start, "ending_before": time.Now().UTC().AddDate(1, 0, 0).Format(time.RFC3339)}}}}}
	}
	mustCall("/v1/contracts/create", contract)
	return product, customer
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
