package effects

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"burndown/cluster"
	"burndown/engine"
	"burndown/money"
)

// The signature matches the test vector Metronome publishes.
func TestSignWebhookVector(t *testing.T) {
	body := "{\n  \"id\": \"b2c9e307-624e-4e7d-a5a4-1b74107d78c4\",\n  \"type\": \"widget_created\",\n  \"properties\": {\n    \"customer_id\": \"5f794d50-085a-4db6-8d15-286e518b7225\",\n    \"widget_id\": \"0891458d-b6f0-4fdd-a41e-380aae1a1e38\"\n  }\n}"
	got := SignWebhook("correct-horse-battery-staple", "Mon, 02 Jan 2006 22:04:05 GMT", []byte(body))
	if got != "b82652fa2246cf1d8a27e591f155c865f68b46c19b9213fd9c052f2419b4742b" {
		t.Fatalf("signature %s", got)
	}
}

// receiver is a webhook endpoint that verifies every signature and records
// the ids it was sent; status decides its answer.
type receiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	seen   []string // every attempt
	acked  []string // attempts answered 2xx
	types  []string
	status atomic.Int32
	srv    *httptest.Server
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{t: t, secret: secret}
	r.status.Store(200)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		date := req.Header.Get("X-Metronome-Date")
		if sig := req.Header.Get("Metronome-Webhook-Signature"); sig != SignWebhook(r.secret, date, body) || date == "" {
			r.t.Errorf("bad signature %q for date %q", sig, date)
			w.WriteHeader(400)
			return
		}
		var p struct {
			ID, Type   string
			Properties map[string]any
		}
		if err := json.Unmarshal(body, &p); err != nil || p.ID == "" {
			r.t.Errorf("bad payload %s", body)
		}
		st := int(r.status.Load())
		r.mu.Lock()
		r.seen = append(r.seen, p.ID)
		if st < 300 {
			r.acked = append(r.acked, p.ID)
			r.types = append(r.types, p.Type)
		}
		r.mu.Unlock()
		w.WriteHeader(st)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) counts() (seen, acked []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...), append([]string(nil), r.acked...)
}

func threeWithWebhook(t *testing.T, url string) ([]nodeSpec, []*cluster.Node) {
	t.Helper()
	specs := []nodeSpec{newSpec(t, "n1", true), newSpec(t, "n2", false), newSpec(t, "n3", false)}
	for i := range specs {
		specs[i].webhooks = WebhookConfig{URL: url, Secret: "s3cret", RetryBase: 20 * time.Millisecond, RetryMax: 100 * time.Millisecond}
	}
	nodes := []*cluster.Node{specs[0].open(t), specs[1].open(t), specs[2].open(t)}
	leader := waitLeader(t, nodes[0])
	for _, s := range specs[1:] {
		if err := leader.AddNode(ctxT(t, 15*time.Second), s.id, s.raftAddr, s.httpAddr); err != nil {
			t.Fatal(err)
		}
	}
	return specs, nodes
}

// A leader fails between the commit of a crossing and its delivery: the new
// leader sends the same notification (same id), and nothing else is sent
// twice. Crossings on several customers (shards) in one entry send one
// webhook each.
func TestWebhookAfterFailover(t *testing.T) {
	rcv := newReceiver(t, "s3cret")
	rcv.status.Store(503) // the first leader's attempts fail
	_, nodes := threeWithWebhook(t, rcv.srv.URL)
	leader := nodes[0]
	start := leader.Now().UnixNano()
	setupCatalog(t, leader, start)
	mustPropose(t, leader, &engine.CreateCustomer{ID: "c1", Name: "c1"})
	mustPropose(t, leader, &engine.CreateContract{ID: "k1", CustomerID: "c1", RateCardID: "rc1", StartingAt: start})
	mustPropose(t, leader, &engine.CreateAlert{CustomerID: "c1", Name: "soft", Type: engine.AlertSpend, Threshold: money.FromInt(10), EvaluateOnCreate: true})
	converge(t, leader, nodes...)
	mustPropose(t, leader, usage("c1", "t1", start, 25))
	eventually(t, 10*time.Second, "a first attempt", func() bool { s, _ := rcv.counts(); return len(s) > 0 })
	leader.Close()
	rcv.status.Store(200)
	next := waitLeader(t, nodes[1], nodes[2])
	eventually(t, 15*time.Second, "the delivery by the new leader", func() bool { _, a := rcv.counts(); return len(a) > 0 })
	eventually(t, 10*time.Second, "the outbox to empty", func() bool { n, _ := next.OutboxStats(); return n == 0 })
	seen, acked := rcv.counts()
	for _, id := range seen {
		if id != seen[0] {
			t.Fatalf("ids %v: another notification was sent", seen)
		}
	}
	if len(acked) != 1 {
		t.Fatalf("acknowledged %v, want the one notification once", acked)
	}

	// Crossings on many customers in one entry: one webhook each.
	var cmds []engine.Command
	for i := 0; i < 8; i++ {
		id := fmt.Sprint("m", i)
		mustPropose(t, next, &engine.CreateCustomer{ID: id, Name: id})
		mustPropose(t, next, &engine.CreateContract{ID: "k" + id, CustomerID: id, RateCardID: "rc1", StartingAt: start})
		mustPropose(t, next, &engine.CreateAlert{CustomerID: id, Name: "x", Type: engine.AlertSpend, Threshold: money.FromInt(10), EvaluateOnCreate: true})
		cmds = append(cmds, usage(id, "u"+id, start, 10))
	}
	in := &engine.Ingest{}
	for _, c := range cmds {
		in.Events = append(in.Events, c.(*engine.Ingest).Events...)
	}
	mustPropose(t, next, in)
	eventually(t, 10*time.Second, "eight more deliveries", func() bool { _, a := rcv.counts(); return len(a) >= 9 })
	eventually(t, 10*time.Second, "the outbox to empty", func() bool { n, _ := next.OutboxStats(); return n == 0 })
	time.Sleep(200 * time.Millisecond)
	_, acked = rcv.counts()
	uniq := map[string]bool{}
	for _, id := range acked {
		if uniq[id] {
			t.Fatalf("duplicate delivery of %s", id)
		}
		uniq[id] = true
	}
	if len(acked) != 9 {
		t.Fatalf("%d deliveries, want 9", len(acked))
	}
}

// BenchmarkWebhookLatency measures ingest acknowledgement → webhook arrival
// on loopback, on one node under a steady ingest load of other customers:
// each iteration ingests one event that crosses a customer's spend alert
// and waits for its signed webhook. Reports p50 and p99 in ms.
func BenchmarkWebhookLatency(b *testing.B) {
	arrived := make(chan string, 1024)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if req.Header.Get("Metronome-Webhook-Signature") != SignWebhook("s", req.Header.Get("X-Metronome-Date"), body) {
			b.Error("bad signature")
		}
		var p struct{ Properties map[string]any }
		json.Unmarshal(body, &p) //nolint:errcheck
		arrived <- fmt.Sprint(p.Properties["customer_id"])
	}))
	defer srv.Close()
	spec := newSpec(b, "n1", true)
	spec.testClock = false
	spec.webhooks = WebhookConfig{URL: srv.URL, Secret: "s"}
	n := spec.open(b)
	waitLeader(b, n)
	start := n.Now().Add(-time.Hour).UnixNano()
	setupCatalog(b, n, start)
	for _, id := range []string{"load"} {
		mustPropose(b, n, &engine.CreateCustomer{ID: id, Name: id})
		mustPropose(b, n, &engine.CreateContract{ID: "k" + id, CustomerID: id, RateCardID: "rc1", StartingAt: start})
	}
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = fmt.Sprint("c", i)
		mustPropose(b, n, &engine.CreateCustomer{ID: ids[i], Name: ids[i]})
		mustPropose(b, n, &engine.CreateContract{ID: "k" + ids[i], CustomerID: ids[i], RateCardID: "rc1", StartingAt: start})
		mustPropose(b, n, &engine.CreateAlert{CustomerID: ids[i], Name: "x", Type: engine.AlertSpend, Threshold: money.FromInt(1), EvaluateOnCreate: true})
	}
	// Steady load: batches of 100 events for another customer.
	stop := make(chan struct{})
	var loadWG sync.WaitGroup
	loadWG.Add(1)
	go func() {
		defer loadWG.Done()
		for j := 0; ; j++ {
			select {
			case <-stop:
				return
			default:
			}
			in := &engine.Ingest{}
			for k := 0; k < 100; k++ {
				in.Events = append(in.Events, engine.Event{TransactionID: fmt.Sprint("l", j, "-", k), CustomerID: "load", EventType: "api", Timestamp: start, Properties: map[string]string{"n": "1"}})
			}
			n.Propose(ctxT(b, 10*time.Second), in) //nolint:errcheck
		}
	}()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := n.Propose(ctxT(b, 10*time.Second), usage(ids[i], "x", start, 1)); err != nil {
			b.Fatal(err)
		}
		acked := time.Now()
		if got := <-arrived; got != ids[i] {
			b.Fatalf("webhook for %s, want %s", got, ids[i])
		}
		lat = append(lat, time.Since(acked))
	}
	b.StopTimer()
	close(stop)
	loadWG.Wait()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// Deliveries given up are recorded through the log: a new leader lists
// them, and replays them by id or since a time, to their destination alone
// and with the notification's own id.
func TestFailedDeliveriesReplay(t *testing.T) {
	rcv := newReceiver(t, "s3cret")
	rcv.status.Store(503)
	other := newReceiver(t, "other") // acknowledges everything: gets nothing again on replay
	specs := []nodeSpec{newSpec(t, "n1", true), newSpec(t, "n2", false), newSpec(t, "n3", false)}
	for i := range specs {
		specs[i].webhooks = WebhookConfig{URL: rcv.srv.URL, Secret: "s3cret", RetryBase: 20 * time.Millisecond, RetryMax: 50 * time.Millisecond, RetryFor: 300 * time.Millisecond}
	}
	nodes := []*cluster.Node{specs[0].open(t), specs[1].open(t), specs[2].open(t)}
	leader := waitLeader(t, nodes[0])
	for _, s := range specs[1:] {
		if err := leader.AddNode(ctxT(t, 15*time.Second), s.id, s.raftAddr, s.httpAddr); err != nil {
			t.Fatal(err)
		}
	}
	mustPropose(t, leader, cluster.NewWebhookCreate(other.srv.URL, "other", nil))
	start := leader.Now().UnixNano()
	setupCatalog(t, leader, start)
	for _, id := range []string{"a", "b"} {
		mustPropose(t, leader, &engine.CreateCustomer{ID: id, Name: id})
		mustPropose(t, leader, &engine.CreateContract{ID: "k" + id, CustomerID: id, RateCardID: "rc1", StartingAt: start})
		mustPropose(t, leader, &engine.CreateAlert{CustomerID: id, Name: "x", Type: engine.AlertSpend, Threshold: money.FromInt(10), EvaluateOnCreate: true})
	}
	mustPropose(t, leader, usage("a", "t1", start, 25))
	eventually(t, 10*time.Second, "the first failure", func() bool { return len(leader.FailedDeliveries()) == 1 })
	if err := leader.SetClock(ctxT(t, 5*time.Second), leader.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	since := leader.Now().UnixNano()
	mustPropose(t, leader, usage("b", "t2", start, 25))
	eventually(t, 10*time.Second, "the second failure", func() bool { return len(leader.FailedDeliveries()) == 2 })
	eventually(t, 10*time.Second, "the outbox to empty", func() bool { n, _ := leader.OutboxStats(); return n == 0 })
	_, otherAcked := other.counts()
	if len(otherAcked) != 2 {
		t.Fatalf("the healthy destination got %v", otherAcked)
	}

	// A new leader sees them.
	leader.Close()
	next := waitLeader(t, nodes[1], nodes[2])
	failed := next.FailedDeliveries()
	if len(failed) != 2 || failed[0].DestinationID != DefaultDestinationID || failed[0].Attempts < 2 || failed[1].FailedAt < since || failed[0].FailedAt >= since {
		t.Fatalf("failed deliveries: %+v", failed)
	}
	var note struct{ ID string }
	json.Unmarshal(failed[0].Payload, &note) //nolint:errcheck
	if note.ID != failed[0].NotificationID {
		t.Fatalf("payload id %s, notification %s", note.ID, failed[0].NotificationID)
	}
	rcv.status.Store(200)

	// By id.
	r := mustPropose(t, next, cluster.NewDeliveriesReplay(failed[0].ID, 0))
	if r.ID != "1" {
		t.Fatalf("replayed %s", r.ID)
	}
	eventually(t, 10*time.Second, "the replay by id", func() bool { _, a := rcv.counts(); return len(a) == 1 })
	if _, a := rcv.counts(); a[0] != failed[0].NotificationID {
		t.Fatalf("replayed %v, want %s", a, failed[0].NotificationID)
	}
	if f := next.FailedDeliveries(); len(f) != 1 || f[0].ID != failed[1].ID {
		t.Fatalf("after the replay by id: %+v", f)
	}
	if r, err := next.Propose(ctxT(t, 5*time.Second), cluster.NewDeliveriesReplay(failed[0].ID, 0)); err != nil || r.Err == nil || r.Err.Code != engine.NotFound {
		t.Fatalf("replaying it twice: %v %v", r.Err, err)
	}
	// Since a time.
	if r := mustPropose(t, next, cluster.NewDeliveriesReplay("", since)); r.ID != "1" {
		t.Fatalf("replayed since: %s", r.ID)
	}
	eventually(t, 10*time.Second, "the replay since a time", func() bool { _, a := rcv.counts(); return len(a) == 2 })
	eventually(t, 10*time.Second, "the outbox to empty", func() bool { n, _ := next.OutboxStats(); return n == 0 })
	if _, a := rcv.counts(); a[1] != failed[1].NotificationID {
		t.Fatalf("replayed %v", a)
	}
	if f := next.FailedDeliveries(); len(f) != 0 {
		t.Fatalf("left: %+v", f)
	}
	if _, a := other.counts(); len(a) != 2 {
		t.Fatalf("the healthy destination got the replays too: %v", a)
	}
}

// A slow receiver holds at most perDestinationFlight deliveries and slows
// neither another destination nor ingest.
func TestSlowDestinationIsolated(t *testing.T) {
	release := make(chan struct{})
	var inflight, peak atomic.Int32
	var slowGot atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.ReadAll(req.Body) //nolint:errcheck
		n := inflight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		inflight.Add(-1)
		slowGot.Add(1)
	}))
	defer slow.Close()
	defer close(release)
	fast := newReceiver(t, "fast")
	spec := newSpec(t, "n1", true)
	spec.webhooks = WebhookConfig{URL: slow.URL, Secret: "slow"}
	n := spec.open(t)
	waitLeader(t, n)
	mustPropose(t, n, cluster.NewWebhookCreate(fast.srv.URL, "fast", nil))
	start := n.Now().UnixNano()
	setupCatalog(t, n, start)
	const customers = 12
	for i := 0; i < customers; i++ {
		id := fmt.Sprint("c", i)
		mustPropose(t, n, &engine.CreateCustomer{ID: id, Name: id})
		mustPropose(t, n, &engine.CreateContract{ID: "k" + id, CustomerID: id, RateCardID: "rc1", StartingAt: start})
		mustPropose(t, n, &engine.CreateAlert{CustomerID: id, Name: "x", Type: engine.AlertSpend, Threshold: money.FromInt(1), EvaluateOnCreate: true})
	}
	for i := 0; i < customers; i++ {
		mustPropose(t, n, usage(fmt.Sprint("c", i), "x", start, 1))
	}
	eventually(t, 5*time.Second, "every webhook at the fast destination", func() bool { _, a := fast.counts(); return len(a) == customers })
	eventually(t, 5*time.Second, "the slow destination's slots to fill", func() bool { return inflight.Load() == perDestinationFlight })
	// Ingest goes on while the slow receiver holds its deliveries.
	for i := 0; i < 50; i++ {
		t0 := time.Now()
		mustPropose(t, n, usage("c0", fmt.Sprint("more", i), start, 1))
		if d := time.Since(t0); d > time.Second {
			t.Fatalf("an ingest took %v behind a slow receiver", d)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if p := peak.Load(); p != perDestinationFlight {
		t.Fatalf("%d deliveries in flight at the slow destination, want %d", p, perDestinationFlight)
	}
	if got := slowGot.Load(); got != 0 {
		t.Fatalf("the slow receiver answered %d", got)
	}
	for i := 0; i < customers; i++ {
		release <- struct{}{}
	}
	eventually(t, 10*time.Second, "the outbox to empty", func() bool { s, _ := n.OutboxStats(); return s == 0 })
	if p := peak.Load(); p > perDestinationFlight {
		t.Fatalf("peak %d in flight", p)
	}
}
