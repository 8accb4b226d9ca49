package cluster

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"burndown/engine"
	"burndown/money"
)

// The fault suite: a three-node cluster on loopback takes ingest from
// clients that retry every batch until it is acknowledged, while one fault
// is injected and repaired. Each test ends the same way: every batch
// acknowledged, every customer's balance on every node exactly what the
// acknowledged events burned (none lost, none counted twice), and the same
// state digest on every node. Run it five times in a row with
//
//	go test ./cluster -run TestFault -count=5

const (
	faultCustomers = 20
	faultCommit    = 1_000_000_000
	faultBatch     = 10 // events per ingest batch
)

// faultCluster is the suite's cluster: its nodes (nil while one is down),
// the network between them, and each node's disk.
type faultCluster struct {
	t     *testing.T
	net   *faultNet
	specs []nodeSpec
	full  []*atomic.Bool
	mu    sync.Mutex
	nodes []*Node
	start engine.Nanos
}

func newFaultCluster(t *testing.T) *faultCluster {
	t.Helper()
	c := &faultCluster{t: t, net: newFaultNet(), nodes: make([]*Node, 3)}
	// Each node's spec (and its free port) is made just before the node
	// opens, so no other test process can take the port in between.
	var leader *Node
	for i := range 3 {
		s := newSpec(t, fmt.Sprintf("f%d", i+1), i == 0)
		full := &atomic.Bool{}
		s.faults = &Faults{Stream: c.net.layer(s.id, s.raftAddr),
			LogStore: func(l raft.LogStore) raft.LogStore { return &fullLog{LogStore: l, full: full} }}
		c.specs, c.full = append(c.specs, s), append(c.full, full)
		c.nodes[i] = s.open(t)
		if i == 0 {
			leader = waitLeader(t, c.nodes[0])
			continue
		}
		if err := leader.AddNode(ctxT(t, 15*time.Second), s.id, s.raftAddr, s.httpAddr); err != nil {
			t.Fatal(err)
		}
	}
	// A test that fails mid-fault must still stop its nodes: nothing may
	// stay stalled or cut when they close (cleanups run last first).
	t.Cleanup(c.net.heal)
	c.start = leader.Now().UnixNano()
	setupCatalog(t, leader, c.start)
	for i := range faultCustomers {
		a, b := customerCmds(faultCustomer(i), c.start, faultCommit)
		mustPropose(t, leader, a)
		mustPropose(t, leader, b)
	}
	return c
}

func faultCustomer(i int) string { return fmt.Sprintf("fc-%02d", i) }

// node returns node i (nil while it is down).
func (c *faultCluster) node(i int) *Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i]
}

// leader returns the index of a node that says it leads, or -1.
func (c *faultCluster) leader() int {
	for i := range c.nodes {
		if n := c.node(i); n != nil && n.IsLeader() {
			return i
		}
	}
	return -1
}

// leaders counts the nodes that say they lead.
func (c *faultCluster) leaders() int {
	n := 0
	for i := range c.nodes {
		if nd := c.node(i); nd != nil && nd.IsLeader() {
			n++
		}
	}
	return n
}

// waitNewLeader waits for a leader other than old (-1: any).
func (c *faultCluster) waitNewLeader(old int) int {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if l := c.leader(); l >= 0 && l != old {
			return l
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("no leader other than f%d within 20 s", old+1)
	return -1
}

// stop closes node i, as a crash would leave it: what raft acknowledged is
// on disk, nothing else is flushed on its way out.
func (c *faultCluster) stop(i int) {
	c.mu.Lock()
	n := c.nodes[i]
	c.nodes[i] = nil
	c.mu.Unlock()
	if n != nil {
		n.Close()
	}
}

// restart opens node i again on its data directory.
func (c *faultCluster) restart(i int) {
	n := c.specs[i].open(c.t)
	c.t.Cleanup(c.net.heal)
	c.mu.Lock()
	c.nodes[i] = n
	c.mu.Unlock()
}

// others returns the ids of every node but i.
func (c *faultCluster) others(i int) []string {
	var ids []string
	for j, s := range c.specs {
		if j != i {
			ids = append(ids, s.id)
		}
	}
	return ids
}

// faultLoad is the clients: workers that each send batches of events to
// whichever node leads and retry a batch until it is acknowledged.
type faultLoad struct {
	c       *faultCluster
	seq     atomic.Int64
	stop    chan struct{}
	stopped sync.Once
	// abort makes workers give up their batch: the test failed.
	abort   atomic.Bool
	wg      sync.WaitGroup
	mu      sync.Mutex
	burned  map[string]int64 // acknowledged events per customer
	acked   int64
	refused int64 // attempts that failed and were retried
	// forbidden, when set, is a node that must acknowledge nothing proposed
	// to it after since (an isolated leader).
	forbidden atomic.Int32
	since     atomic.Int64
	until     atomic.Int64 // 0 while the node is still cut off
	violation atomic.Value // string
}

func startLoad(c *faultCluster, workers int) *faultLoad {
	l := &faultLoad{c: c, stop: make(chan struct{}), burned: map[string]int64{}}
	l.forbidden.Store(-1)
	c.t.Cleanup(func() {
		l.abort.Store(true)
		l.stopped.Do(func() { close(l.stop) })
		l.wg.Wait()
	})
	for range workers {
		l.wg.Add(1)
		go l.worker()
	}
	return l
}

func (l *faultLoad) worker() {
	defer l.wg.Done()
	for {
		select {
		case <-l.stop:
			return
		default:
		}
		l.send(l.batch())
	}
}

// batch builds the next batch: faultBatch events of one customer, with
// transaction ids that name the batch, so a resent batch is the same one.
func (l *faultLoad) batch() *engine.Ingest {
	seq := l.seq.Add(1)
	cust := faultCustomer(int(seq) % faultCustomers)
	b := &engine.Ingest{}
	for j := range faultBatch {
		b.Events = append(b.Events, engine.Event{TransactionID: fmt.Sprintf("b%d-%d", seq, j), CustomerID: cust,
			EventType: "api", Timestamp: l.c.start, Properties: map[string]string{"n": "1"}})
	}
	return b
}

// send proposes b until a node acknowledges it.
func (l *faultLoad) send(b *engine.Ingest) {
	for !l.abort.Load() {
		i := l.c.leader()
		if i < 0 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		n := l.c.node(i)
		if n == nil {
			continue
		}
		began := time.Now().UnixNano()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		res, err := n.Propose(ctx, b)
		cancel()
		if err == nil && res.Err == nil {
			if res.Ingest == nil || len(res.Ingest.Rejected) > 0 {
				l.violation.Store(fmt.Sprintf("an acknowledged batch was not rated: %+v", res.Ingest))
			}
			l.acknowledged(i, began, b)
			return
		}
		l.mu.Lock()
		l.refused++
		l.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
}

func (l *faultLoad) acknowledged(node int, began int64, b *engine.Ingest) {
	if f := l.forbidden.Load(); f == int32(node) && began >= l.since.Load() && (l.until.Load() == 0 || began < l.until.Load()) {
		l.violation.Store(fmt.Sprintf("f%d acknowledged a batch proposed to it while it was cut off", node+1))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.burned[b.Events[0].CustomerID] += int64(len(b.Events))
	l.acked += int64(len(b.Events))
}

// forbid says node i may never acknowledge a batch proposed to it from now
// until it is healed.
func (l *faultLoad) forbid(i int) {
	l.until.Store(0)
	l.since.Store(time.Now().UnixNano())
	l.forbidden.Store(int32(i))
}

// healed ends the window forbid opened: batches proposed from now on may
// be acknowledged by any node (those proposed within it still may not).
func (l *faultLoad) healed() { l.until.Store(time.Now().UnixNano()) }

// finish stops the workers once each has its last batch acknowledged.
func (l *faultLoad) finish() {
	l.stopped.Do(func() { close(l.stop) })
	l.wg.Wait()
}

// run lets the load run for d.
func (l *faultLoad) run(d time.Duration) { time.Sleep(d) }

// verify checks the suite's invariants on every node, all of them up.
func (l *faultLoad) verify() {
	t := l.c.t
	t.Helper()
	if v, ok := l.violation.Load().(string); ok {
		t.Fatal(v)
	}
	if l.acked == 0 {
		t.Fatal("no batch was acknowledged")
	}
	li := l.c.waitNewLeader(-1)
	var nodes []*Node
	for i := range l.c.nodes {
		nodes = append(nodes, l.c.node(i))
	}
	// A node that was refused entries (its disk full, a link cut) is
	// retried with raft's backoff, up to about 10 s between attempts.
	began := time.Now()
	convergeWithin(t, time.Minute, l.c.node(li), nodes...)
	t.Logf("every node caught up %v after the load stopped", time.Since(began).Round(10*time.Millisecond))
	for i := range faultCustomers {
		id := faultCustomer(i)
		want := money.FromInt(faultCommit - l.burned[id])
		for _, n := range nodes {
			if got, ok := balance(n.Engine(), id); !ok || !got.Equal(want) {
				t.Fatalf("%s on %s: balance %s, want %s (%d events acknowledged): an acknowledged event was lost or counted twice",
					id, n.cfg.NodeID, got, want, l.burned[id])
			}
		}
	}
	t.Logf("%d events acknowledged, %d attempts refused and retried", l.acked, l.refused)
}

// faultWorkers is how many clients send at once.
const faultWorkers = 8

func TestFaultLeaderKill(t *testing.T) {
	c := newFaultCluster(t)
	l := startLoad(c, faultWorkers)
	l.run(time.Second)
	old := c.leader()
	c.stop(old)
	c.waitNewLeader(old)
	l.run(time.Second)
	c.restart(old)
	l.run(time.Second)
	l.finish()
	l.verify()
}

func TestFaultFollowerRestart(t *testing.T) {
	c := newFaultCluster(t)
	l := startLoad(c, faultWorkers)
	l.run(time.Second)
	f := (c.leader() + 1) % 3
	c.stop(f)
	l.run(time.Second)
	c.restart(f)
	l.run(time.Second)
	l.finish()
	l.verify()
}

func TestFaultWholeClusterRestart(t *testing.T) {
	c := newFaultCluster(t)
	l := startLoad(c, faultWorkers)
	l.run(time.Second)
	for i := range c.nodes {
		c.stop(i)
	}
	for i := range c.nodes {
		c.restart(i)
	}
	c.waitNewLeader(-1)
	l.run(time.Second)
	l.finish()
	l.verify()
}

// A leader cut off from both followers: they elect another, the old one
// steps down and acknowledges nothing proposed to it while cut off; healed,
// it follows and catches up.
func TestFaultLeaderPartitioned(t *testing.T) {
	c := newFaultCluster(t)
	l := startLoad(c, faultWorkers)
	l.run(time.Second)
	old := c.leader()
	l.forbid(old)
	c.net.partition(c.specs[old].id, c.others(old)...)
	// Clients that still take it for the leader send to it meanwhile.
	isolated := c.node(old)
	go func() {
		res, err := isolated.Propose(context.Background(), l.batch())
		if err == nil && res.Err == nil {
			l.violation.Store("the cut-off leader acknowledged a batch sent to it directly")
		}
	}()
	c.waitNewLeader(old)
	eventually(t, 10*time.Second, "the cut-off leader to step down", func() bool { return !isolated.IsLeader() })
	l.run(time.Second)
	l.healed()
	c.net.heal()
	l.run(time.Second)
	l.finish()
	l.verify()
}

// A paused leader (every link stalled, as a SIGSTOP looks to the others):
// the others elect a new leader; resumed, the old one learns it was
// replaced and acknowledges nothing proposed to it while it was stalled.
func TestFaultLeaderStalled(t *testing.T) {
	c := newFaultCluster(t)
	l := startLoad(c, faultWorkers)
	l.run(time.Second)
	old := c.leader()
	l.forbid(old)
	c.net.stall(c.specs[old].id)
	c.waitNewLeader(old)
	l.run(time.Second)
	l.healed()
	c.net.heal()
	eventually(t, 10*time.Second, "one leader once the old one resumes", func() bool { return c.leaders() == 1 })
	l.run(time.Second)
	l.finish()
	l.verify()
}

// A follower whose disk is full: it refuses entries (never half-writes
// one), the other two go on, and it catches up once space returns.
func TestFaultDiskFullFollower(t *testing.T) {
	c := newFaultCluster(t)
	l := startLoad(c, faultWorkers)
	l.run(time.Second)
	f := (c.leader() + 1) % 3
	c.full[f].Store(true)
	l.run(2 * time.Second)
	if got, want := c.node(f).Engine().AppliedIndex(), c.node(c.leader()).Engine().AppliedIndex(); got >= want {
		t.Fatalf("the follower with a full disk applied up to %d, the leader %d: it should have fallen behind", got, want)
	}
	c.full[f].Store(false)
	l.run(time.Second)
	l.finish()
	l.verify()
}

// A leader whose disk is full cannot store its own entries: it stops
// acknowledging and steps down, another node leads, and the old one catches
// up once space returns.
func TestFaultDiskFullLeader(t *testing.T) {
	c := newFaultCluster(t)
	l := startLoad(c, faultWorkers)
	l.run(time.Second)
	old := c.leader()
	c.full[old].Store(true)
	c.waitNewLeader(old)
	l.run(2 * time.Second)
	c.full[old].Store(false)
	l.run(time.Second)
	l.finish()
	l.verify()
}

// A follower behind a slow link (every write to it delayed): the cluster
// goes on at the pace of the other two, and the slow one converges.
func TestFaultSlowFollower(t *testing.T) {
	c := newFaultCluster(t)
	l := startLoad(c, faultWorkers)
	l.run(500 * time.Millisecond)
	f := (c.leader() + 1) % 3
	c.net.slow(c.specs[f].id, 30*time.Millisecond)
	before := l.ackedNow()
	lagged := false
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if li := c.leader(); li >= 0 && c.node(f).Engine().AppliedIndex() < c.node(li).Engine().AppliedIndex() {
			lagged = true
		}
	}
	if l.ackedNow() == before {
		t.Fatal("no batch acknowledged while one follower was slow")
	}
	if !lagged {
		t.Fatal("the slow follower never fell behind the leader: the delay was not applied")
	}
	c.net.heal()
	l.run(500 * time.Millisecond)
	l.finish()
	l.verify()
}

func (l *faultLoad) ackedNow() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acked
}
