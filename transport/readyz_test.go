package transport

import (
	"strings"
	"testing"
	"time"
)

// A follower is ready only within --ready-max-lag entries of the leader's
// commit index: one that is catching up answers 503 saying how far it is,
// and 200 once it has caught up; a leader that does not answer leaves it
// not ready.
func TestReadyMeansCaughtUp(t *testing.T) {
	leaderNode := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
	t.Cleanup(leaderNode.eng.Close)
	leaderNode.setIndexes(5000, 5000)
	leader := startServer(t, leaderNode)
	node := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
	t.Cleanup(node.eng.Close)
	node.setLeader(false, leader.base[len("http://"):])
	node.setIndexes(100, 100)
	follower := startServer(t, node, func(c *Config) { c.ReadyMaxLag = 1000 })
	if st, body := follower.do("GET", "/readyz", nil); st != 503 || !strings.Contains(string(body), "catching up: applied 100 of the leader's 5000") {
		t.Fatalf("far behind: %d %s", st, body)
	}
	node.setIndexes(4500, 4500)
	if st, body := follower.do("GET", "/readyz", nil); st != 200 {
		t.Fatalf("within the bound: %d %s", st, body)
	}
	node.setLeader(false, "127.0.0.1:1") // nothing listens there
	time.Sleep(leaderCommitTTL)
	if st, body := follower.do("GET", "/readyz", nil); st != 503 || !strings.Contains(string(body), "does not say how far") {
		t.Fatalf("leader unreachable: %d %s", st, body)
	}
	if st, _ := leader.do("GET", "/readyz", nil); st != 200 {
		t.Fatalf("the leader: %d", st)
	}
}

// A leader of an earlier release reports no state index nor serving flag:
// its followers serve reads as before instead of refusing them until it is
// upgraded; a current leader's figures are taken as they are.
func TestLegacyLeaderPositions(t *testing.T) {
	if state, serving := legacyPositions(nil, nil); state != 0 || !serving {
		t.Fatalf("an earlier release's leader: state %d serving %v", state, serving)
	}
	idx, no := uint64(42), false
	if state, serving := legacyPositions(&idx, &no); state != 42 || serving {
		t.Fatalf("a current leader still catching up: state %d serving %v", state, serving)
	}
}
