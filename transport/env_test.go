package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

const testToken = "test-token"

// testEnv is a running server on a free 127.0.0.1 port.
type testEnv struct {
	t    testing.TB
	base string
	srv  *Server
	node Node
}

// startServer serves node over HTTP until the test ends.
func startServer(t testing.TB, node Node, mutate ...func(*Config)) *testEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startServerOn(t, ln, node, mutate...)
}

// startServerOn serves node on ln until the test ends.
func startServerOn(t testing.TB, ln net.Listener, node Node, mutate ...func(*Config)) *testEnv {
	t.Helper()
	cfg := Config{Node: node, Token: testToken, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, m := range mutate {
		m(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx) //nolint:errcheck
	})
	return &testEnv{t: t, base: "http://" + ln.Addr().String(), srv: srv, node: node}
}

// do sends a request with the admin token and returns status and body. body
// may be a string/[]byte (sent raw) or any value (sent as JSON).
func (e *testEnv) do(method, path string, body any) (int, []byte) {
	e.t.Helper()
	return e.doToken(method, path, body, testToken)
}

func (e *testEnv) doToken(method, path string, body any, token string) (int, []byte) {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.base+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, out
}

// ok sends a request that must answer 200 and decodes the answer into out.
func (e *testEnv) ok(method, path string, body, out any) {
	e.t.Helper()
	status, b := e.do(method, path, body)
	if status != 200 {
		e.t.Fatalf("%s %s: status %d: %s", method, path, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// create posts and returns data.id.
func (e *testEnv) create(path string, body any) string {
	e.t.Helper()
	var out struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	e.ok("POST", path, body, &out)
	if out.Data.ID == "" {
		e.t.Fatalf("POST %s: no data.id", path)
	}
	return out.Data.ID
}

// checkResult is the body of an entitlement check.
type checkResult struct {
	Entitled     bool   `json:"entitled"`
	Reason       string `json:"reason"`
	Balance      string `json:"balance"`
	CreditTypeID string `json:"credit_type_id"`
}

func (e *testEnv) check(customer, product string) checkResult {
	e.t.Helper()
	var c checkResult
	e.ok("GET", "/v1/entitlements/check?customer_id="+customer+"&product_id="+product, nil, &c)
	return c
}
