package transport

import (
	"context"
	"net"
	"testing"
	"time"

	"burndown/cluster"
	"burndown/engine"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// openClusterNode starts a real single-node cluster (Raft on loopback, data in
// a temp dir) with a test clock set to start, advertising httpAddr.
func openClusterNode(t *testing.T, start, httpAddr string, opts ...func(*cluster.Config)) *cluster.Node {
	t.Helper()
	cfg := cluster.Config{NodeID: "n1", DataDir: t.TempDir(), RaftAddr: freeAddr(t), HTTPAddr: httpAddr,
		Bootstrap: true, TestClock: true, Engine: engine.Config{Shards: 4}}
	for _, o := range opts {
		o(&cfg)
	}
	n, err := cluster.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := n.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.SetClock(ctx, mustTime(t, start)); err != nil {
		t.Fatal(err)
	}
	return n
}

// newEnv starts a real cluster node with a test clock at start and the HTTP
// server in front of it on a free 127.0.0.1 port.
func newEnv(t *testing.T, start string, opts ...func(*cluster.Config)) *testEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	node := openClusterNode(t, start, ln.Addr().String(), opts...)
	return startServerOn(t, ln, node)
}

// at returns a scenario timestamp as RFC 3339 (the test clock can be set to
// any date, so SCENARIOS.md's dates are used as they are).
func (e *testEnv) at(ts string) string { return mustTime(e.t, ts).Format(time.RFC3339) }
