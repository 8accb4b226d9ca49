package transport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// answer is what a client got: the parts of a response the API promises.
type answer struct {
	status                int
	contentType, wwwAuth  string
	retryAfter, requestID string
	body                  string
	err                   error // the request could not be sent
}

func (a answer) String() string {
	return fmt.Sprintf("%d %s %q %s", a.status, a.contentType, a.wwwAuth, a.body)
}

// sameAnswer compares two answers as a client sees them.
func sameAnswer(a, b answer) bool {
	return a.err == nil && b.err == nil && a.status == b.status && a.contentType == b.contentType &&
		a.wwwAuth == b.wwwAuth && a.retryAfter == b.retryAfter && a.body == b.body
}

// send makes one request from any goroutine (no t.Fatal): headers are
// name, value pairs.
func send(base, method, path, token, body string, headers ...string) answer {
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), wwwAuth: resp.Header.Get("WWW-Authenticate"),
		retryAfter: resp.Header.Get("Retry-After"), requestID: resp.Header.Get("X-Request-Id"), body: string(b), err: err}
}

// leaderBehind serves srv (a leader) on a fresh port through gate, which
// sees every batch first and says whether it answered it itself; it returns
// the address.
func leaderBehind(t *testing.T, srv *Server, gate func(ctx *fasthttp.RequestCtx) bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := &fasthttp.Server{Logger: fasthttpLogger{slog.New(slog.NewTextHandler(io.Discard, nil))}, Handler: func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == forwardBatchPath && gate(ctx) {
			return
		}
		srv.Handle(ctx)
	}}
	go fs.Serve(ln)                     //nolint:errcheck // ends with Shutdown
	t.Cleanup(func() { fs.Shutdown() }) //nolint:errcheck // the test is over
	return ln.Addr().String()
}

func newQuietServer(t *testing.T, node Node) *Server {
	t.Helper()
	srv, err := New(Config{Node: node, Token: testToken, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// rawBatch encodes requests (method, path, token, body; "" token for none)
// as a batch body.
func rawBatch(t *testing.T, reqs ...[4]string) []byte {
	t.Helper()
	var frames [][]byte
	for _, r := range reqs {
		frames = append(frames, frameOf(t, func(q *fasthttp.Request) {
			q.Header.SetMethod(r[0])
			q.SetRequestURI(r[1])
			if r[2] != "" {
				q.Header.Set("Authorization", "Bearer "+r[2])
			}
			q.Header.SetContentType("application/json")
			q.SetBodyString(r[3])
		}))
	}
	return batchOf(frames...)
}

// postBatch sends a batch body to base with token and decodes a 200 answer
// (nil subs otherwise).
func postBatch(t *testing.T, base, token string, body []byte, n int) (answer, []subResponse) {
	t.Helper()
	a := send(base, "POST", forwardBatchPath, token, string(body), "Content-Type", batchContentType, forwardedHeader, "1")
	if a.err != nil {
		t.Fatal(a.err)
	}
	if a.status != 200 {
		return a, nil
	}
	subs, err := decodeBatchResponse([]byte(a.body), n)
	if err != nil {
		t.Fatalf("batch answer: %v", err)
	}
	return a, subs
}

func subAnswer(s subResponse) answer {
	a := answer{status: s.status, body: string(s.body)}
	for _, h := range s.headers {
		switch strings.ToLower(string(h.name)) {
		case "content-type":
			a.contentType = string(h.value)
		case "www-authenticate":
			a.wwwAuth = string(h.value)
		case "retry-after":
			a.retryAfter = string(h.value)
		}
	}
	return a
}

// The leader's endpoint serves every request of a batch as if it had come
// directly: its own token (401), its own scope (403), its own validation
// (400), in order. The batch itself needs a write token, carries only
// leader-only writes outside /v1/cluster/ with the headers a follower
// sends, and a refused batch changes nothing.
func TestForwardBatchEndpoint(t *testing.T) {
	node := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
	t.Cleanup(node.eng.Close)
	node.tokens = map[string]string{"w-tok": "write", "r-tok": "read"}
	leader := startServer(t, node)

	const path = "/v1/credit-types/create"
	reqs := [][4]string{
		{"POST", path, testToken, `{"name":"AI credits"}`},
		{"POST", path, "bad-token", `{"name":"x"}`},
		{"POST", path, "r-tok", `{"name":"x"}`},
		{"POST", path, "w-tok", `{"name":"x"}`},
		{"POST", path, testToken, `{"nom":"x"}`},
		{"POST", "/v1/ingest", "w-tok", `[]`},
	}
	_, subs := postBatch(t, leader.base, "w-tok", rawBatch(t, reqs...), len(reqs))
	if subs == nil {
		t.Fatal("the batch was not answered 200")
	}
	if a := subAnswer(subs[0]); a.status != 200 || !strings.Contains(a.body, `"id"`) {
		t.Fatalf("create in a batch: %s", a)
	}
	for i, r := range reqs[1:] {
		direct := send(leader.base, r[0], r[1], r[2], r[3])
		if got := subAnswer(subs[i+1]); !sameAnswer(got, direct) || direct.status < 400 {
			t.Errorf("request %d: in a batch %s; directly %s", i+1, got, direct)
		}
	}
	listed := func() int {
		var out struct{ Data []any }
		leader.ok("GET", "/v1/credit-types/list", nil, &out)
		return len(out.Data)
	}
	before := listed()

	one := rawBatch(t, [4]string{"POST", path, testToken, `{"name":"never"}`})
	for name, c := range map[string]struct {
		token string
		body  []byte
		want  int
		msg   string
	}{
		"no token":         {"", one, 401, "Authorization"},
		"unknown token":    {"nope", one, 401, "Authorization"},
		"read token":       {"r-tok", one, 403, "needs a write token"},
		"not a batch":      {"w-tok", []byte(`{"a":1}`), 400, "not a forwarded batch"},
		"a read":           {"w-tok", rawBatch(t, [4]string{"GET", "/v1/customers", testToken, ""}), 400, "is not a write a batch carries"},
		"a strong read":    {"w-tok", rawBatch(t, [4]string{"POST", "/v1/contracts/list?consistency=strong", testToken, "{}"}), 400, "is not a write a batch carries"},
		"a cluster op":     {"w-tok", rawBatch(t, [4]string{"POST", "/v1/cluster/join", testToken, "{}"}), 400, "is not a write a batch carries"},
		"a nested batch":   {"w-tok", rawBatch(t, [4]string{"POST", forwardBatchPath, testToken, ""}), 400, "is not a write a batch carries"},
		"an unknown route": {"w-tok", rawBatch(t, [4]string{"POST", "/v1/nothing", testToken, ""}), 400, "is not a write a batch carries"},
		"a host header": {"w-tok", cat([]byte(batchRequestMagic+"\x01"), uv(1), uv(4), []byte("POST"), uv(uint64(len(path))), []byte(path),
			uv(1), uv(4), []byte("Host"), uv(1), []byte("x"), uv(0)), 400, "is not one a forwarded batch carries"},
		"a token the leader does not know": {"revoked", one, 401, "Authorization"},
	} {
		a, _ := postBatch(t, leader.base, c.token, c.body, 1)
		if a.status != c.want || !strings.Contains(a.body, c.msg) {
			t.Errorf("%s: %s, want %d %q", name, a, c.want, c.msg)
		}
	}
	if n := listed(); n != before {
		t.Fatalf("refused batches created %d credit types", n-before)
	}
	// A node that is not the leader refuses a batch (it never forwards one).
	node.setLeader(false, "127.0.0.1:1")
	if a, _ := postBatch(t, leader.base, "w-tok", one, 1); a.status != 503 || !strings.Contains(a.body, "leadership is changing") {
		t.Fatalf("batch on a follower: %s", a)
	}
}

// heldBatches is a leader whose batches wait until released; what happens
// then (served, or the connection cut) is the test's.
type heldBatches struct {
	arrived chan int // the requests in each batch, as it arrives
	release chan struct{}
	cut     bool // cut the connection instead of answering
}

func (h *heldBatches) gate(ctx *fasthttp.RequestCtx) bool {
	subs, err := decodeBatchRequest(ctx.Request.Body())
	if err != nil {
		ctx.Error(err.Error(), 500)
		return true
	}
	h.arrived <- len(subs)
	<-h.release
	if h.cut {
		ctx.Conn().Close()
		return true
	}
	return false
}

// While batches are in flight, a follower gathers the writes that arrive
// and sends them together when one returns: with the four batches a
// follower keeps in flight held at the leader, five writes wait, and the
// first batch to return lets all five go in one. When the leader is lost
// mid-batch (the connection cut after the batch was sent), every client in
// the batch gets the 503 a single forward gives; nothing was applied here.
func TestForwardBatchGathersWhileInFlight(t *testing.T) {
	for _, cut := range []bool{false, true} {
		t.Run(map[bool]string{false: "answered", true: "leader lost"}[cut], func(t *testing.T) {
			leaderNode := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
			t.Cleanup(leaderNode.eng.Close)
			h := &heldBatches{arrived: make(chan int, 16), release: make(chan struct{}), cut: cut}
			addr := leaderBehind(t, newQuietServer(t, leaderNode), h.gate)
			followerNode := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
			t.Cleanup(followerNode.eng.Close)
			followerNode.setLeader(false, addr)
			follower := startServer(t, followerNode, func(c *Config) { c.LeaderWait = -1; c.ForwardBatching = true })

			answers := make(chan answer, 16)
			write := func(i int) {
				answers <- send(follower.base, "POST", "/v1/credit-types/create", testToken, fmt.Sprintf(`{"name":"credits %d"}`, i))
			}
			for i := range batchInflight {
				go write(i)
				if n := <-h.arrived; n != 1 {
					t.Fatalf("batch %d carries %d writes, want 1", i, n)
				}
			}
			for i := range 5 {
				go write(batchInflight + i)
			}
			b := follower.srv.fwd.batcher(addr)
			deadline := time.Now().Add(20 * time.Second)
			for b.waiting.Load() != 5 {
				if time.Now().After(deadline) {
					t.Fatalf("%d writes waiting, want 5", b.waiting.Load())
				}
				time.Sleep(time.Millisecond)
			}
			h.release <- struct{}{}
			if n := <-h.arrived; n != 5 {
				t.Fatalf("the writes gathered while batches were in flight went in a batch of %d, want 5", n)
			}
			close(h.release)
			for range batchInflight + 5 {
				a := <-answers
				switch {
				case !cut && (a.status != 200 || !strings.Contains(a.body, `"id"`)):
					t.Errorf("write answered %s", a)
				case cut && (a.status != 503 || a.retryAfter != "1" || !strings.Contains(a.body, "the leader at "+addr+" cannot be reached; retry")):
					t.Errorf("write in a lost batch answered %s", a)
				}
			}
			var out struct{ Data []struct{ Name string } }
			json.Unmarshal([]byte(send("http://"+addr, "GET", "/v1/credit-types/list", testToken, "").body), &out) //nolint:errcheck // checked below
			created := 0
			for _, c := range out.Data {
				if strings.HasPrefix(c.Name, "credits ") {
					created++
				}
			}
			if want := map[bool]int{false: batchInflight + 5, true: 0}[cut]; created != want {
				t.Fatalf("the leader holds %d of the credit types, want %d", created, want)
			}
		})
	}
}

// A leader that refuses a batch as a whole before serving any of it (an
// older release without the endpoint: 404; a token revoked there but not
// yet on this follower: 401) gets the writes one by one, and each client
// the answer the leader gives it directly. After a 404 the follower stops
// sending batches to that leader for a while.
func TestForwardBatchRefusedGoesOneByOne(t *testing.T) {
	leaderNode := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
	t.Cleanup(leaderNode.eng.Close)
	leaderSrv := newQuietServer(t, leaderNode)
	var mu sync.Mutex
	batches := 0
	addr := leaderBehind(t, leaderSrv, func(ctx *fasthttp.RequestCtx) bool {
		mu.Lock()
		batches++
		mu.Unlock()
		if bytes.Contains(ctx.Request.Header.Peek("Authorization"), []byte("stale")) {
			return false // served: the leader refuses the stale token itself
		}
		writeError(ctx, notFound("path: no endpoint %s", ctx.Path()))
		return true
	})
	followerNode := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
	t.Cleanup(followerNode.eng.Close)
	followerNode.setLeader(false, addr)
	followerNode.tokens = map[string]string{"stale": "admin"}
	follower := startServer(t, followerNode, func(c *Config) { c.ForwardBatching = true })

	stale := send(follower.base, "POST", "/v1/credit-types/create", "stale", `{"name":"x"}`)
	direct := send("http://"+addr, "POST", "/v1/credit-types/create", "stale", `{"name":"x"}`)
	if !sameAnswer(stale, direct) || stale.status != 401 {
		t.Fatalf("a token the leader revoked: via the follower %s, directly %s", stale, direct)
	}
	for i := range 3 {
		if a := send(follower.base, "POST", "/v1/credit-types/create", testToken, fmt.Sprintf(`{"name":"c%d"}`, i)); a.status != 200 {
			t.Fatalf("write %d to a leader without batches: %s", i, a)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if batches != 2 {
		t.Fatalf("the leader was sent %d batches, want 2 (the stale token's, then one answered 404)", batches)
	}
}
