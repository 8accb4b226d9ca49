package cluster

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"burndown/engine"
	"burndown/money"
	"burndown/persist"
)

func TestSingleNodeProposeAndRead(t *testing.T) {
	s := newSpec(t, "n1", true)
	n := s.open(t)
	if err := n.WaitForLeader(ctxT(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	waitLeader(t, n)
	if !n.IsMember() {
		t.Fatal("a bootstrapped node must be a member")
	}
	start := n.Now().UnixNano() - day
	setupCatalog(t, n, start)
	c1, c2 := customerCmds("c1", start, 1000)
	if r := mustPropose(t, n, c1); r.ID != "c1" {
		t.Fatalf("created id %q", r.ID)
	}
	mustPropose(t, n, c2)
	r := mustPropose(t, n, usage("alias-c1", "tx1", n.Now().UnixNano(), 250))
	if r.Ingest == nil || r.Ingest.Accepted != 1 {
		t.Fatalf("ingest outcome %+v", r.Ingest)
	}
	// A duplicate transaction id changes nothing.
	if r := mustPropose(t, n, usage("c1", "tx1", n.Now().UnixNano(), 250)); r.Ingest.Duplicates != 1 {
		t.Fatalf("duplicate outcome %+v", r.Ingest)
	}
	if b, ok := balance(n.Engine(), "c1"); !ok || !b.Equal(money.FromInt(750)) {
		t.Fatalf("balance %s (found %v), want 750", b, ok)
	}
	// Business rejections are results, not errors.
	res, err := n.Propose(ctxT(t, 5*time.Second), &engine.CreateContract{CustomerID: "nobody", RateCardID: "rc1"})
	if err != nil || res.Err == nil || res.Err.Code != engine.NotFound {
		t.Fatalf("unknown customer: %+v %v", res, err)
	}

	st := n.Status()
	if st.State != "leader" || st.LeaderID != "n1" || st.LeaderHTTPAddr != "http-n1" || len(st.Nodes) != 1 ||
		st.Nodes[0].HTTPAddr != "http-n1" || st.Nodes[0].Suffrage != "voter" || st.Term == 0 || st.AppliedIndex == 0 {
		t.Fatalf("status %+v", st)
	}
	if err := n.Barrier(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}

	var buf bytes.Buffer
	if err := n.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	state, meta, err := persist.ReadSnapshot(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(state.Customers) != 1 || meta.NodeHTTPAddrs["n1"] != "http-n1" {
		t.Fatalf("backup holds %d customers, meta %+v", len(state.Customers), meta)
	}
}

func TestTestClock(t *testing.T) {
	s := newSpec(t, "n1", true)
	n := s.open(t)
	waitLeader(t, n)
	if !n.TestClock() {
		t.Fatal("TestClock() is false")
	}
	// Time stands still.
	t0 := n.Now()
	if n2 := n.Now(); !n2.Equal(t0) {
		t.Fatalf("test clock moved by itself: %v then %v", t0, n2)
	}
	start := t0.UnixNano()
	setupCatalog(t, n, start)
	// A commit that expires after 10 days.
	mustPropose(t, n, &engine.CreateCustomer{ID: "c1"})
	mustPropose(t, n, &engine.CreateContract{CustomerID: "c1", RateCardID: "rc1", StartingAt: start,
		Commits: []engine.CommitInput{{Type: engine.CommitPrepaid, ProductID: "p1",
			AccessSchedule: []engine.ScheduleItem{{Amount: money.FromInt(500), StartingAt: start, EndingBefore: start + 10*day}}}}})
	if b, _ := balance(n.Engine(), "c1"); !b.Equal(money.FromInt(500)) {
		t.Fatalf("balance %s", b)
	}
	if err := n.SetClock(ctxT(t, 5*time.Second), t0.Add(-time.Second)); !errors.Is(err, ErrClockBackwards) {
		t.Fatalf("backwards: %v", err)
	}
	later := t0.Add(11 * 24 * time.Hour)
	if err := n.SetClock(ctxT(t, 5*time.Second), later); err != nil {
		t.Fatal(err)
	}
	if !n.Now().Equal(later) || n.Engine().Now() != later.UnixNano() {
		t.Fatalf("now %v, engine %v, want %v", n.Now(), n.Engine().Now(), later)
	}
	// SetClock returns only after the expiration was applied.
	if b, _ := balance(n.Engine(), "c1"); !b.IsZero() {
		t.Fatalf("balance after expiry %s, want 0", b)
	}
	if err := n.SetClock(ctxT(t, 5*time.Second), later); err != nil {
		t.Fatalf("setting the same time again: %v", err)
	}
}

func TestWallClockLeaderTicks(t *testing.T) {
	s := newSpec(t, "n1", true)
	s.testClock = false
	n := s.open(t)
	waitLeader(t, n)
	if err := n.SetClock(ctxT(t, time.Second), time.Now().Add(time.Hour)); !errors.Is(err, ErrNoTestClock) {
		t.Fatalf("SetClock without test clock: %v", err)
	}
	now := time.Now().UnixNano()
	setupCatalog(t, n, now-day)
	mustPropose(t, n, &engine.CreateCustomer{ID: "c1"})
	mustPropose(t, n, &engine.CreateContract{CustomerID: "c1", RateCardID: "rc1", StartingAt: now - day,
		Commits: []engine.CommitInput{{Type: engine.CommitPrepaid, ProductID: "p1",
			AccessSchedule: []engine.ScheduleItem{{Amount: money.FromInt(500), StartingAt: now - day, EndingBefore: now + int64(300*time.Millisecond)}}}}})
	if n.Engine().NextDue() == 0 {
		t.Fatal("the engine has no transition scheduled")
	}
	// No proposals from the test: the leader's loop must tick the expiry in.
	eventually(t, 10*time.Second, "the leader to tick the commit's expiry", func() bool {
		b, _ := balance(n.Engine(), "c1")
		return b.IsZero() && n.Engine().Now() >= now+int64(300*time.Millisecond)
	})
}

func TestRestartResumes(t *testing.T) {
	s := newSpec(t, "n1", true)
	n := s.open(t)
	waitLeader(t, n)
	start := n.Now().UnixNano()
	setupCatalog(t, n, start)
	for i, id := range []string{"a", "b", "c"} {
		c1, c2 := customerCmds(id, start, 1000)
		mustPropose(t, n, c1)
		mustPropose(t, n, c2)
		mustPropose(t, n, usage(id, "tx-"+id, start, 100*(i+1)))
		if i == 1 {
			if err := n.Snapshot(); err != nil { // part from snapshot, part from log
				t.Fatal(err)
			}
		}
	}
	want := digest(t, n.Engine())
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n = s.open(t) // same command line, --bootstrap included
	waitLeader(t, n)
	if err := n.Barrier(ctxT(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if !n.IsMember() {
		t.Fatal("restarted node is not a member")
	}
	if got := digest(t, n.Engine()); got != want {
		t.Fatal("state after restart differs")
	}
	if b, _ := balance(n.Engine(), "c"); !b.Equal(money.FromInt(700)) {
		t.Fatalf("balance of c after restart: %s", b)
	}
}

func TestBackupRestoreIntoFreshCluster(t *testing.T) {
	a := newSpec(t, "a1", true).open(t)
	waitLeader(t, a)
	start := a.Now().UnixNano()
	setupCatalog(t, a, start)
	for i, id := range []string{"x", "y"} {
		c1, c2 := customerCmds(id, start, 1000)
		mustPropose(t, a, c1)
		mustPropose(t, a, c2)
		mustPropose(t, a, usage(id, "tx-"+id, start, 10*(i+1)))
	}
	var backup bytes.Buffer
	if err := a.Backup(&backup); err != nil {
		t.Fatal(err)
	}

	b := newSpec(t, "b1", true).open(t)
	waitLeader(t, b)
	if err := b.Restore(ctxT(t, 10*time.Second), bytes.NewReader([]byte("garbage"))); err == nil {
		t.Fatal("a damaged backup was restored")
	}
	if err := b.Restore(ctxT(t, 20*time.Second), bytes.NewReader(backup.Bytes())); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]int64{"x": 990, "y": 980} {
		if got, ok := balance(b.Engine(), id); !ok || !got.Equal(money.FromInt(want)) {
			t.Fatalf("%s after restore: %s (found %v), want %d", id, got, ok, want)
		}
	}
	st := b.Status()
	if st.LeaderHTTPAddr != "http-b1" || len(st.Nodes) != 1 || st.Nodes[0].HTTPAddr != "http-b1" {
		t.Fatalf("status after restore %+v", st)
	}
	if addrs := b.fsm.nodeAddrs(); len(addrs) != 1 || addrs["b1"] != "http-b1" {
		t.Fatalf("replicated addresses after restore: %v", addrs)
	}
}
