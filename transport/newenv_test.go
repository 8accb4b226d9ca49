package transport

import (
	"context"
	"net"
	"testing"
	"time"

	"burndown/cluster"
	"burndown/effects"
	"burndown/engine"
)

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// nodeConfig is a test node's configuration: the cluster member's and its
// dispatcher's (webhooks, Stripe), wired as cmd/burndown wires them.
type nodeConfig struct {
	cluster.Config
	Effects effects.Config
}

// openClusterNode starts a real single-node cluster (Raft on loopback, data in
// a temp dir) with a test clock set to start, advertising httpAddr, and its
// dispatcher.
func openClusterNode(t testing.TB, start, httpAddr string, opts ...func(*nodeConfig)) *cluster.Node {
	t.Helper()
	cfg := nodeConfig{Config: cluster.Config{NodeID: "n1", DataDir: t.TempDir(), RaftAddr: freeAddr(t), HTTPAddr: httpAddr,
		Bootstrap: true, TestClock: true, Engine: engine.Config{Shards: 4}}}
	for _, o := range opts {
		o(&cfg)
	}
	n, err := cluster.Open(cfg.Config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	dctx, stop := context.WithCancel(context.Background())
	dispatched := make(chan struct{})
	go func() {
		defer close(dispatched)
		effects.NewDispatcher(n, cfg.Effects).Run(dctx) //nolint:errcheck // cluster.ErrClosed once the node is closed
	}()
	t.Cleanup(func() { stop(); <-dispatched })
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
func newEnv(t testing.TB, start string, opts ...func(*nodeConfig)) *testEnv {
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
