package cluster

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"testing"
	"time"

	"burndown/engine"
	"burndown/money"
	"burndown/persist"
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

type nodeSpec struct {
	id, dir, raftAddr, httpAddr string
	bootstrap, testClock        bool
	snapshotThreshold, trailing uint64
	raftTLS                     *tls.Config
	faults                      *Faults
}

func newSpec(t testing.TB, id string, bootstrap bool) nodeSpec {
	return nodeSpec{id: id, dir: t.TempDir(), raftAddr: freeAddr(t), httpAddr: "http-" + id, bootstrap: bootstrap, testClock: true}
}

func (s nodeSpec) open(t testing.TB) *Node {
	t.Helper()
	n, err := Open(Config{NodeID: s.id, DataDir: s.dir, RaftAddr: s.raftAddr, HTTPAddr: s.httpAddr,
		Bootstrap: s.bootstrap, TestClock: s.testClock, Engine: engine.Config{Shards: 2},
		SnapshotThreshold: s.snapshotThreshold, TrailingLogs: s.trailing, RaftTLS: s.raftTLS, Faults: s.faults})
	if err != nil {
		t.Fatalf("open %s: %v", s.id, err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func waitLeader(t testing.TB, nodes ...*Node) *Node {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, n := range nodes {
			if n.IsLeader() {
				return n
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no leader elected")
	return nil
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func mustPropose(t testing.TB, n *Node, cmd engine.Command) engine.Result {
	t.Helper()
	r, err := n.Propose(ctxT(t, 10*time.Second), cmd)
	if err != nil {
		t.Fatalf("propose %T: %v", cmd, err)
	}
	if r.Err != nil {
		t.Fatalf("propose %T: %v", cmd, r.Err)
	}
	return r
}

var day = int64(24 * time.Hour)

// setupCatalog creates metric m1 (SUM of n over "api" events), usage product
// p1 and rate card rc1 pricing p1 at 1 cent per unit from start.
func setupCatalog(t testing.TB, n *Node, start engine.Nanos) {
	t.Helper()
	for _, cmd := range []engine.Command{
		&engine.CreateMetric{ID: "m1", Name: "units", Aggregation: engine.AggSum, AggregationKey: "n",
			EventTypeFilter: &engine.EventTypeFilter{InValues: []string{"api"}}},
		&engine.CreateProduct{ID: "p1", Name: "API", Type: engine.ProductUsage, BillableMetricID: "m1"},
		&engine.CreateRateCard{ID: "rc1", Name: "std"},
		&engine.AddRates{RateCardID: "rc1", Rates: []engine.RateInput{{ProductID: "p1", StartingAt: start, Entitled: true,
			RateType: engine.RateFlat, Price: money.FromInt(1)}}},
	} {
		mustPropose(t, n, cmd)
	}
}

// customerCmds returns the commands creating customer id with a contract
// from start and a prepaid commit of amount cents usable for 90 days.
func customerCmds(id string, start engine.Nanos, amount int64) (engine.Command, engine.Command) {
	return &engine.CreateCustomer{ID: id, Name: id, IngestAliases: []string{"alias-" + id}},
		&engine.CreateContract{ID: "k-" + id, CustomerID: id, RateCardID: "rc1", StartingAt: start,
			Commits: []engine.CommitInput{{ID: "cm-" + id, Type: engine.CommitPrepaid, ProductID: "p1",
				AccessSchedule: []engine.ScheduleItem{{Amount: money.FromInt(amount), StartingAt: start, EndingBefore: start + 90*day}}}}}
}

func usage(id, tx string, at engine.Nanos, units int) *engine.Ingest {
	return &engine.Ingest{Events: []engine.Event{{TransactionID: tx, CustomerID: id, EventType: "api", Timestamp: at,
		Properties: map[string]string{"n": fmt.Sprint(units)}}}}
}

// balance is the sum of the customer's commit and credit balances at the
// engine's now; ok is false for an unknown customer.
func balance(e *engine.Engine, id string) (money.Amount, bool) {
	var sum money.Amount
	ok, _ := readCopy(e, context.Background(), id, func(c *engine.Customer, _ *engine.Catalog, now engine.Nanos) {
		for _, k := range c.Contracts {
			for _, cm := range k.Balances {
				sum = sum.Add(cm.BalanceAt(now))
			}
		}
	})
	return sum, ok
}

// digest hashes the engine's whole state (catalog and every customer in
// creation order) through persist's canonical encoding.
func digest(t testing.TB, e *engine.Engine) string {
	t.Helper()
	h := sha256.New()
	cat, err := persist.Marshal(e.Catalog())
	if err != nil {
		t.Fatal(err)
	}
	h.Write(cat)
	ids, _ := e.CustomerIDs(0, 1<<30)
	for _, id := range ids {
		readCopy(e, context.Background(), id, func(c *engine.Customer, _ *engine.Catalog, _ engine.Nanos) {
			b, err := persist.EncodeCustomer(nil, c)
			if err != nil {
				t.Error(err)
			}
			h.Write(b)
		})
	}
	fmt.Fprint(h, len(ids), e.Now())
	return hex.EncodeToString(h.Sum(nil))
}

// converge waits until every node has applied what the leader has in its
// log, then checks they all hold the same state.
func converge(t testing.TB, leader *Node, nodes ...*Node) {
	t.Helper()
	convergeWithin(t, 20*time.Second, leader, nodes...)
}

// convergeWithin is converge with a bound on how long the followers may
// take to apply the leader's log.
func convergeWithin(t testing.TB, bound time.Duration, leader *Node, nodes ...*Node) {
	t.Helper()
	// raft's AppliedIndex counts entries handed to the FSM, not applied by
	// it; the barrier makes the leader's engine current, and the engines'
	// own applied index says what each follower really applied.
	if err := leader.Barrier(ctxT(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	last := leader.Engine().AppliedIndex()
	behind := func() string {
		for _, n := range nodes {
			if n.Engine().AppliedIndex() < last {
				st := n.raft.Stats()
				return fmt.Sprintf("%s applied %d of the leader's %d (raft: state %s, last log %s, commit %s, applied %s)", n.cfg.NodeID,
					n.Engine().AppliedIndex(), last, st["state"], st["last_log_index"], st["commit_index"], st["applied_index"])
			}
		}
		return ""
	}
	for deadline := time.Now().Add(bound); behind() != ""; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("followers did not apply the log within %v: %s", bound, behind())
		}
	}
	want := digest(t, leader.Engine())
	for _, n := range nodes {
		if got := digest(t, n.Engine()); got != want {
			t.Fatalf("node %s state differs from leader %s: %s", n.cfg.NodeID, leader.cfg.NodeID, explainDiff(t, leader.Engine(), n.Engine()))
		}
	}
}

// explainDiff names the first difference between two engines' states.
func explainDiff(t testing.TB, a, b *engine.Engine) string {
	if a.Now() != b.Now() {
		return fmt.Sprintf("now %d vs %d", a.Now(), b.Now())
	}
	ca, _ := persist.Marshal(a.Catalog())
	cb, _ := persist.Marshal(b.Catalog())
	if string(ca) != string(cb) {
		return "catalogs differ"
	}
	ida, _ := a.CustomerIDs(0, 1<<30)
	idb, _ := b.CustomerIDs(0, 1<<30)
	if len(ida) != len(idb) {
		return fmt.Sprintf("%d vs %d customers", len(ida), len(idb))
	}
	enc := func(e *engine.Engine, id string) (out string) {
		readCopy(e, context.Background(), id, func(c *engine.Customer, _ *engine.Catalog, _ engine.Nanos) {
			bs, _ := persist.EncodeCustomer(nil, c)
			out = fmt.Sprintf("%s %x", c.ID, bs)
		})
		return out
	}
	for i, id := range ida {
		if id != idb[i] {
			return fmt.Sprintf("customer %d is %s vs %s", i, id, idb[i])
		}
		if x, y := enc(a, id), enc(b, id); x != y {
			return fmt.Sprintf("customer %s:\n%s\nvs\n%s", id, x, y)
		}
	}
	return "no difference found on a second look (state changed while comparing?)"
}
