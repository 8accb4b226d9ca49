package gateway_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"burndown/transport/transporttest"
)

// gatewaysDoc holds the configurations the tests run: what users copy.
const gatewaysDoc = "../docs/gateways.md"

// snippet returns the fenced block that follows "<!-- snippet: name -->"
// in docs/gateways.md.
func snippet(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(gatewaysDoc)
	if err != nil {
		t.Fatal(err)
	}
	marker := "<!-- snippet: " + name + " -->"
	_, rest, ok := strings.Cut(string(b), marker)
	if !ok {
		t.Fatalf("%s has no %q", gatewaysDoc, marker)
	}
	sc := bufio.NewScanner(strings.NewReader(rest))
	var out []string
	in := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in && strings.HasPrefix(line, "```"):
			in = true
		case in && strings.HasPrefix(line, "```"):
			return strings.Join(out, "\n") + "\n"
		case in:
			out = append(out, line)
		case strings.TrimSpace(line) != "":
			t.Fatalf("%s: text between %q and its code block", gatewaysDoc, marker)
		}
	}
	t.Fatalf("%s: the block after %q does not end", gatewaysDoc, marker)
	return ""
}

// placeholders are the doc's stand-ins and what the test puts there.
type placeholders struct {
	burndown, service, listen, readToken, writeToken, product string
}

func (p placeholders) apply(conf string, listenDoc string) string {
	return strings.NewReplacer(
		"127.0.0.1:8080", p.burndown,
		"127.0.0.1:9000", p.service,
		listenDoc, p.listen,
		"bdt_REPLACE_WITH_A_READ_TOKEN", p.readToken,
		"bdt_REPLACE_WITH_A_WRITE_TOKEN", p.writeToken,
		"REPLACE_WITH_THE_PRODUCT_ID", p.product,
	).Replace(conf)
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// program finds a gateway's binary; .ci/run installs Debian's packages.
func program(t *testing.T, name, pkg string) string {
	t.Helper()
	for _, p := range []string{"/usr/sbin/" + name, "/usr/bin/" + name} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: apt-get install -y %s (.ci/run does)", name, pkg)
	}
	return p
}

// runUntilListening starts cmd, stops it when the test ends, and waits until
// addr accepts connections.
func runUntilListening(t *testing.T, cmd *exec.Cmd, addr, logPath string) {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) //nolint:errcheck // it may have exited
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) //nolint:errcheck
			<-exited
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		select {
		case err := <-exited:
			logs, _ := os.ReadFile(logPath)
			t.Fatalf("%s exited (%v) before listening on %s:\n%s", cmd.Path, err, addr, logs)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			logs, _ := os.ReadFile(logPath)
			t.Fatalf("%s does not listen on %s after 15 s:\n%s", cmd.Path, addr, logs)
		}
	}
}

// startNGINX runs the doc's NGINX configuration inside a minimal nginx.conf
// of its own (pid, logs and temporary files in a test directory).
func startNGINX(t *testing.T, p placeholders) {
	t.Helper()
	bin := program(t, "nginx", "nginx")
	dir := t.TempDir()
	files := map[string]string{
		"burndown_subrequest.conf":  p.apply(snippet(t, "nginx-subrequest"), "127.0.0.1:8000"),
		"burndown_pass_answer.conf": p.apply(snippet(t, "nginx-pass-answer"), "127.0.0.1:8000"),
		"nginx.conf": fmt.Sprintf(`worker_processes 2;
worker_rlimit_nofile 8192;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
%[2]s
}
`, dir, p.apply(snippet(t, "nginx"), "127.0.0.1:8000")),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	logPath := filepath.Join(dir, "error.log")
	cmd := exec.Command(bin, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-e", logPath)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	runUntilListening(t, cmd, p.listen, logPath)
	t.Cleanup(func() { // a 500 from NGINX says only that a subrequest failed: its log says why
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("NGINX's error log (last 4 KiB):\n%s", b[max(0, len(b)-4096):])
			}
		}
	})
}

// startCaddy runs the doc's Caddyfile (state and config under a test
// directory, not the user's home).
func startCaddy(t *testing.T, p placeholders) {
	t.Helper()
	bin := program(t, "caddy", "caddy")
	dir := t.TempDir()
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(p.apply(snippet(t, "caddy"), "127.0.0.1:8001")), 0o644); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "caddy.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	cmd := exec.Command(bin, "run", "--config", path, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	runUntilListening(t, cmd, p.listen, logPath)
}

// service is the upstream behind the gateway: it counts requests and keeps
// the X-Burndown-* headers of the last one.
type service struct {
	hits atomic.Int64
	mu   sync.Mutex
	last http.Header
}

func startService(t *testing.T) (*service, string) {
	t.Helper()
	s := &service{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		s.last = r.Header.Clone()
		s.mu.Unlock()
		w.Write([]byte("served")) //nolint:errcheck
	}))
	t.Cleanup(srv.Close)
	return s, srv.Listener.Addr().String()
}

func (s *service) lastHeaders() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// gatewayFixture is a Burndown node with three customers (alice: 5 credits;
// dora: 1 credit, spent; bob: 100 credits, for metering), a service, and the
// placeholders for a gateway between them.
type gatewayFixture struct {
	node    *transporttest.Node
	svc     *service
	p       placeholders
	bob     transporttest.Prepaid
	product string
}

func newGatewayFixture(t *testing.T, listen string) *gatewayFixture {
	t.Helper()
	node := transporttest.Start(t, start)
	alice := node.NewPrepaid("key-alice", 5)
	node.NewPrepaid("key-dora", 1)
	node.Call("POST", "/v1/ingest", []map[string]any{{"transaction_id": "spend-dora", "customer_id": "key-dora",
		"event_type": "api_call", "timestamp": start.Add(time.Minute).Format(time.RFC3339)}}, nil)
	bob := node.NewPrepaid("key-bob", 100)
	svc, svcAddr := startService(t)
	return &gatewayFixture{node: node, svc: svc, bob: bob, product: alice.ProductID, p: placeholders{
		burndown: node.Addr, service: svcAddr, listen: listen,
		readToken: node.Token("gateway-read", "read"), writeToken: node.Token("gateway-write", "write"), product: alice.ProductID,
	}}
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 0}, Timeout: 30 * time.Second}

func send(t *testing.T, url, apiKey, requestID string) (*http.Response, string) {
	t.Helper()
	resp, body, err := do(url, apiKey, requestID)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// do sends a client's request through the gateway.
func do(url, apiKey, requestID string) (*http.Response, string, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("X-Api-Key", apiKey)
	if requestID != "" {
		req.Header.Set("X-Request-Id", requestID)
	}
	// A client trying to change the question: the configurations drop
	// both (had the event type reached Burndown on a check route, with the
	// gateway's read token, the answer would be insufficient_scope).
	req.Header.Set("X-Burndown-Customer-Id", "key-alice")
	req.Header.Set("X-Burndown-Event-Type", "forged")
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	var sb strings.Builder
	if _, err := bufio.NewReader(resp.Body).WriteTo(&sb); err != nil {
		return nil, "", err
	}
	return resp, sb.String(), nil
}

// checks: an entitled customer reaches the service with Burndown's answer
// in its headers; a spent one and an unknown one get 403 with the reason
// and never reach it (also when they claim to be another customer).
func (f *gatewayFixture) checks(t *testing.T, base string) {
	t.Helper()
	resp, body := send(t, base+"/api/v1/chat", "key-alice", "")
	h := f.svc.lastHeaders()
	if resp.StatusCode != 200 || body != "served" || h.Get("X-Burndown-Entitled") != "true" || h.Get("X-Burndown-Reason") != "ok" || h.Get("X-Burndown-Balance") != "5" {
		t.Fatalf("an entitled customer: %d %q; the service saw %v", resp.StatusCode, body, h)
	}
	for key, reason := range map[string]string{"key-dora": "balance_depleted", "key-nobody": "unknown_customer"} {
		hits := f.svc.hits.Load()
		resp, body := send(t, base+"/api/v1/chat", key, "")
		if resp.StatusCode != 403 || resp.Header.Get("X-Burndown-Reason") != reason || !strings.Contains(body, reason) || f.svc.hits.Load() != hits {
			t.Fatalf("%s: %d %q %q; the service was reached %d times", key, resp.StatusCode, resp.Header.Get("X-Burndown-Reason"), body, f.svc.hits.Load()-hits)
		}
	}
}

// meters: 1000 concurrent metered requests against bob's balance of 100 let
// exactly 100 through; repeating every request id meters nothing more (the
// admitted ones are let through again, the others refused).
func (f *gatewayFixture) meters(t *testing.T, base string) {
	t.Helper()
	const n = 1000
	before := f.svc.hits.Load()
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, _, err := do(base+"/metered/v1/chat", "key-bob", fmt.Sprintf("req-%04d", i))
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	admitted := 0
	for i, st := range statuses {
		switch st {
		case 200:
			admitted++
		case 403:
		default:
			t.Fatalf("request %d: status %d", i, st)
		}
	}
	if reached := f.svc.hits.Load() - before; admitted != 100 || reached != 100 {
		t.Fatalf("%d concurrent requests on a balance of 100: %d admitted, %d reached the service", n, admitted, reached)
	}
	if m := f.svc.lastHeaders().Get("X-Burndown-Reason"); m != "ok" {
		t.Fatalf("the service saw reason %q", m)
	}
	for i := range n {
		resp, _ := send(t, base+"/metered/v1/chat", "key-bob", fmt.Sprintf("req-%04d", i))
		if resp.StatusCode != statuses[i] {
			t.Fatalf("request id req-%04d repeated: %d, first %d", i, resp.StatusCode, statuses[i])
		}
	}
	usage := f.meteredCalls(t)
	if usage != 100 {
		t.Fatalf("%d calls metered after the repeats, want 100", usage)
	}
}

// meteredCalls reads how many calls bob was billed for: 100 credits less
// his balance, at 1 credit per call, and never below 0.
func (f *gatewayFixture) meteredCalls(t *testing.T) int {
	t.Helper()
	var c struct{ Balance string }
	f.node.Call("GET", "/v1/entitlements/check?customer_id=key-bob&product_id="+f.bob.ProductID, nil, &c)
	var left int
	if _, err := fmt.Sscan(c.Balance, &left); err != nil {
		t.Fatalf("balance %q: %v", c.Balance, err)
	}
	return 100 - left
}

func TestNGINX(t *testing.T) {
	f := newGatewayFixture(t, freePort(t))
	startNGINX(t, f.p)
	base := "http://" + f.p.listen
	t.Run("checks", func(t *testing.T) { f.checks(t, base) })
	t.Run("meters", func(t *testing.T) { f.meters(t, base) })
}

func TestCaddy(t *testing.T) {
	f := newGatewayFixture(t, freePort(t))
	startCaddy(t, f.p)
	base := "http://" + f.p.listen
	t.Run("checks", func(t *testing.T) { f.checks(t, base) })
	t.Run("meters", func(t *testing.T) { f.meters(t, base) })
}

// With Burndown unreachable, NGINX's /api/ fails closed (500, the service
// not reached) and /lenient/ fails open (the service reached, marked
// unavailable).
func TestNGINXFailOpenAndClosed(t *testing.T) {
	svc, svcAddr := startService(t)
	p := placeholders{burndown: freePort(t), service: svcAddr, listen: freePort(t), readToken: "bdt_x", writeToken: "bdt_y", product: "p"}
	startNGINX(t, p)
	base := "http://" + p.listen
	if resp, _ := send(t, base+"/api/v1/chat", "key-alice", ""); resp.StatusCode != 500 || svc.hits.Load() != 0 {
		t.Fatalf("fail closed: %d, service reached %d times", resp.StatusCode, svc.hits.Load())
	}
	resp, body := send(t, base+"/lenient/v1/chat", "key-alice", "")
	if resp.StatusCode != 200 || body != "served" || svc.lastHeaders().Get("X-Burndown-Reason") != "unavailable" {
		t.Fatalf("fail open: %d %q, the service saw %v", resp.StatusCode, body, svc.lastHeaders())
	}
}
