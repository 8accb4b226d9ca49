package transport

import (
	"net"
	"strings"
	"testing"
	"time"
)

// A write that finds no leader waits for one instead of failing at once:
// it is forwarded to a leader elected while it waits, served here when this
// node wins, and answered 503 with Retry-After only past the bound. A
// leader that cannot be dialled (it stopped; the request never reached it)
// is waited out the same way.
func TestWritesWaitForALeader(t *testing.T) {
	leader := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
	t.Cleanup(leader.eng.Close)
	le := startServer(t, leader)
	leaderAddr := le.base[len("http://"):]
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close() // nothing listens there: dialling it fails at once

	for _, c := range []struct {
		name       string
		before     string // leader address known when the request arrives
		thenLeader bool   // this node wins instead of another
		then       string
		want       int
	}{
		{"election, then another leader", "", false, leaderAddr, 200},
		{"election, then this node", "", true, "", 200},
		{"dead leader, then another", deadAddr, false, leaderAddr, 200},
		{"no leader within the bound", "", false, "", 503},
	} {
		t.Run(c.name, func(t *testing.T) {
			node := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
			t.Cleanup(node.eng.Close)
			node.setLeader(false, c.before)
			e := startServer(t, node, func(cfg *Config) { cfg.LeaderWait = 700 * time.Millisecond })
			if c.thenLeader || c.then != "" {
				time.AfterFunc(200*time.Millisecond, func() { node.setLeader(c.thenLeader, c.then) })
			}
			status, body := e.do("POST", "/v1/credit-types/create", map[string]any{"name": "AI credits " + c.name})
			if status != c.want {
				t.Fatalf("status %d %s, want %d", status, body, c.want)
			}
			if c.want == 503 && !strings.Contains(string(body), "no leader was elected within") {
				t.Fatalf("503 body %s", body)
			}
		})
	}
}
