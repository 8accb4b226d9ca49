package transport

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// With request bodies streamed, a body larger than what fasthttp reads
// ahead (8 KiB) still reaches a handler, and a follower's forwarded copy,
// whole; one over MaxBodyBytes is a 413 there too.
func TestStreamedBodyForwardedWhole(t *testing.T) {
	leaderNode := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
	t.Cleanup(leaderNode.eng.Close)
	leader := startServer(t, leaderNode)
	followerNode := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
	t.Cleanup(followerNode.eng.Close)
	followerNode.leader = false
	followerNode.leaderAddr = strings.TrimPrefix(leader.base, "http://")
	follower := startServer(t, followerNode, func(c *Config) { c.MaxBodyBytes = 256 << 10 })

	var aliases []string
	for i := 0; i < 2000; i++ {
		aliases = append(aliases, fmt.Sprintf("alias-%04d-%s", i, strings.Repeat("x", 20)))
	}
	follower.create("/v1/customers", map[string]any{"name": "Big", "ingest_aliases": aliases})
	if leaderNode.eng.LookupCustomer(aliases[len(aliases)-1]) == nil {
		t.Fatal("the leader did not get the whole forwarded body")
	}
	status, body := follower.do("POST", "/v1/customers", map[string]any{"name": strings.Repeat("y", 300<<10)})
	if status != 413 {
		t.Fatalf("oversized body through a follower: %d %s, want 413", status, body)
	}
	assert4xx(t, "oversized via follower", status, body, "body")
}

// A body a handler never reads (a 404, a 401) does not end up parsed as the
// next request on the connection: it is drained, or past maxDrain the
// connection is closed.
func TestUnreadBodyLeavesConnectionClean(t *testing.T) {
	node := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
	t.Cleanup(node.eng.Close)
	e := startServer(t, node)
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	// send answers -1 when the request could not be sent whole: past
	// maxDrain the server answers and closes while the client may still be
	// sending, which the client can see as a reset instead of the answer.
	send := func(method, path, token string, body []byte) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, e.base+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return -1, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, size := range []int{64 << 10, 2 << 20} {
		ok := func(status int) bool { return status == -1 && size > maxDrain }
		if status, b := send("POST", "/v1/nothing", testToken, bytes.Repeat([]byte("{"), size)); status != 404 && !ok(status) {
			t.Fatalf("%d-byte body to no endpoint: %d %s", size, status, b)
		}
		if status, b := send("POST", "/v1/customers", "wrong", bytes.Repeat([]byte("{"), size)); status != 401 && !ok(status) {
			t.Fatalf("%d-byte body with a wrong token: %d %s", size, status, b)
		}
		if status, b := send("GET", "/v1/credit-types/list", testToken, nil); status != 200 {
			t.Fatalf("after a %d-byte unread body: %d %s", size, status, b)
		}
	}
}
