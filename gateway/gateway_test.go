package gateway_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"burndown/gateway"
	"burndown/transport/transporttest"
)

var start = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// upstream is the wrapped service: it counts the requests that reach it and
// keeps the X-Burndown-* headers of the last one.
type upstream struct {
	hits atomic.Int64
	last atomic.Value // http.Header
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.hits.Add(1)
	u.last.Store(r.Header.Clone())
	w.Write([]byte("served")) //nolint:errcheck
}

func byAPIKey(r *http.Request) string { return r.Header.Get("X-Api-Key") }

func serve(t *testing.T, cfg gateway.Config) (*httptest.Server, *upstream) {
	t.Helper()
	mw, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	up := &upstream{}
	srv := httptest.NewServer(mw.Handler(up))
	t.Cleanup(srv.Close)
	return srv, up
}

func get(t *testing.T, url, apiKey, requestID string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Api-Key", apiKey)
	if requestID != "" {
		req.Header.Set("X-Request-Id", requestID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// Check-only: an entitled customer reaches the service with Burndown's
// answer in its headers and a request id; an unknown one gets 403 and never
// reaches it.
func TestMiddlewareChecks(t *testing.T) {
	node := transporttest.Start(t, start)
	p := node.NewPrepaid("key-alice", 5)
	srv, up := serve(t, gateway.Config{BaseURL: node.URL, Token: node.Token("svc", "read"),
		Customer: byAPIKey, Product: func(*http.Request) string { return p.ProductID }})
	resp := get(t, srv.URL, "key-alice", "")
	seen, _ := up.last.Load().(http.Header)
	if resp.StatusCode != 200 || seen.Get(gateway.HeaderEntitled) != "true" || seen.Get(gateway.HeaderBalance) != "5" || seen.Get(gateway.HeaderRequestID) == "" {
		t.Fatalf("entitled: %d, upstream saw %v", resp.StatusCode, seen)
	}
	if resp.Header.Get(gateway.HeaderRequestID) != seen.Get(gateway.HeaderRequestID) {
		t.Fatalf("request id not echoed: %q vs %q", resp.Header.Get(gateway.HeaderRequestID), seen.Get(gateway.HeaderRequestID))
	}
	resp = get(t, srv.URL, "key-mallory", "")
	if resp.StatusCode != 403 || resp.Header.Get(gateway.HeaderReason) != "unknown_customer" || up.hits.Load() != 1 {
		t.Fatalf("unknown customer: %d %q, upstream hits %d", resp.StatusCode, resp.Header.Get(gateway.HeaderReason), up.hits.Load())
	}
}

// Metering: a balance of 3 lets exactly 3 requests through; repeating an
// admitted request id lets it through again and meters nothing.
func TestMiddlewareMeters(t *testing.T) {
	node := transporttest.Start(t, start)
	p := node.NewPrepaid("key-bob", 3)
	srv, up := serve(t, gateway.Config{BaseURL: node.URL, Token: node.Token("svc", "write"),
		Customer: byAPIKey, Product: func(*http.Request) string { return p.ProductID },
		EventType:  func(*http.Request) string { return "api_call" },
		Properties: func(r *http.Request) map[string]string { return map[string]string{"path": r.URL.Path} }})
	for i, id := range []string{"a", "b", "c", "d", "e"} {
		resp := get(t, srv.URL+"/v1/chat", "key-bob", id)
		if want := map[bool]int{true: 200, false: 403}[i < 3]; resp.StatusCode != want {
			t.Fatalf("request %s: %d, want %d", id, resp.StatusCode, want)
		}
	}
	if resp := get(t, srv.URL+"/v1/chat", "key-bob", "b"); resp.StatusCode != 200 || resp.Header.Get(gateway.HeaderRequestID) != "b" {
		t.Fatalf("a repeated admitted request: %d", resp.StatusCode)
	}
	if up.hits.Load() != 4 {
		t.Fatalf("upstream reached %d times, want 3 admitted + 1 repeat", up.hits.Load())
	}
	if st, body := node.Do("GET", "/v1/entitlements/check?customer_id=key-bob&product_id="+p.ProductID, transporttest.AdminToken, nil); st != 200 || !strings.Contains(string(body), `"balance":"0"`) {
		t.Fatalf("balance after: %d %s", st, body)
	}
}

// When Burndown cannot be reached, fail-open lets the request through
// marked unavailable and fail-closed answers 503.
func TestMiddlewareFailOpenOrClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	product := func(*http.Request) string { return "p" }
	for _, failOpen := range []bool{true, false} {
		srv, up := serve(t, gateway.Config{BaseURL: dead, Token: "t", Customer: byAPIKey, Product: product, FailOpen: failOpen, Timeout: 200 * time.Millisecond})
		resp := get(t, srv.URL, "k", "")
		seen, _ := up.last.Load().(http.Header)
		switch {
		case failOpen && (resp.StatusCode != 200 || seen.Get(gateway.HeaderReason) != gateway.ReasonUnavailable):
			t.Errorf("fail-open: %d, upstream saw %v", resp.StatusCode, seen)
		case !failOpen && (resp.StatusCode != 503 || up.hits.Load() != 0):
			t.Errorf("fail-closed: %d, upstream hits %d", resp.StatusCode, up.hits.Load())
		}
	}
}

func TestNewRefusesAnIncompleteConfig(t *testing.T) {
	who := func(*http.Request) string { return "x" }
	for name, cfg := range map[string]gateway.Config{
		"BaseURL":  {BaseURL: "127.0.0.1:8080", Token: "t", Customer: who, Product: who},
		"Token":    {BaseURL: "http://127.0.0.1:8080", Customer: who, Product: who},
		"Customer": {BaseURL: "http://127.0.0.1:8080", Token: "t", Product: who},
		"Product":  {BaseURL: "http://127.0.0.1:8080", Token: "t", Customer: who},
	} {
		if _, err := gateway.New(cfg); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("a config without a valid %s: %v", name, err)
		}
	}
}
