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
func openClusterNode(t *testing.T, start, httpAddr string) *cluster.Node {
	t.Helper()
	n, err := cluster.Open(cluster.Config{NodeID: "n1", DataDir: t.TempDir(), RaftAddr: freeAddr(t), HTTPAddr: httpAddr,
		Bootstrap: true, TestClock: true, Engine: engine.Config{Shards: 4}})
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
func newEnv(t *testing.T, start string) *testEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	shift := yearShift(time.Now())
	node := openClusterNode(t, shiftYears(t, start, shift), ln.Addr().String())
	e := startServerOn(t, ln, node)
	e.shift = shift
	return e
}

// yearShift is how many years (a multiple of 4, so leap years stay leap
// years) scenario dates are moved forward: a fresh test-clock cluster starts
// at the wall clock and never moves backwards, so SCENARIOS.md's 2024-2027
// dates are replayed in the future with the same calendar.
func yearShift(now time.Time) int {
	years := 0
	for 2024+years <= now.Year()+1 {
		years += 4
	}
	return years
}

func shiftYears(t *testing.T, ts string, years int) string {
	t.Helper()
	return mustTime(t, ts).AddDate(years, 0, 0).Format(time.RFC3339)
}

// at returns a scenario timestamp moved by the environment's year shift.
func (e *testEnv) at(ts string) string { return shiftYears(e.t, ts, e.shift) }
