package effects

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"burndown/cluster"
	"burndown/engine"
	"burndown/money"
)

// payHook is one delivery a payReceiver saw.
type payHook struct {
	ID, Type   string
	Properties map[string]any
	Acked      bool
}

// payReceiver is a signing webhook endpoint that keeps every attempt's
// payload (the payment tests read workflow ids from them); status decides
// its answer.
type payReceiver struct {
	mu     sync.Mutex
	hooks  []payHook
	status atomic.Int32
	srv    *httptest.Server
}

func newPayReceiver(t *testing.T) *payReceiver {
	r := &payReceiver{}
	r.status.Store(200)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		date := req.Header.Get("X-Metronome-Date")
		if req.Header.Get("Metronome-Webhook-Signature") != SignWebhook("s3cret", date, body) {
			t.Errorf("bad signature")
			w.WriteHeader(400)
			return
		}
		var p payHook
		if err := json.Unmarshal(body, &p); err != nil || p.ID == "" {
			t.Errorf("bad payload %s", body)
		}
		st := int(r.status.Load())
		p.Acked = st < 300
		r.mu.Lock()
		r.hooks = append(r.hooks, p)
		r.mu.Unlock()
		w.WriteHeader(st)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// acked returns the acknowledged notifications, one per id: delivery is at
// least once (a new leader resends what the old one delivered but had not
// recorded yet, with the same id), so a receiver dedupes on the id.
func (r *payReceiver) acked(t *testing.T) []payHook {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []payHook
	seen := map[string]bool{}
	for _, h := range r.hooks {
		if !h.Acked {
			continue
		}
		if seen[h.ID] {
			continue
		}
		seen[h.ID] = true
		out = append(out, h)
	}
	return out
}

// ids returns the distinct ids of every attempt, acknowledged or not.
func (r *payReceiver) ids() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]string{}
	for _, h := range r.hooks {
		out[h.ID] = h.Type
	}
	return out
}

// ofType filters hooks by type (and customer, when not "").
func ofType(hooks []payHook, typ, customer string) []payHook {
	var out []payHook
	for _, h := range hooks {
		if h.Type == typ && (customer == "" || h.Properties["customer_id"] == customer) {
			out = append(out, h)
		}
	}
	return out
}

// waitAcked waits until n notifications were acknowledged, then a little
// longer so that a late duplicate would show, and returns them.
func (r *payReceiver) waitAcked(t *testing.T, n int) []payHook {
	t.Helper()
	eventually(t, 15*time.Second, "acknowledged deliveries", func() bool { return len(r.acked(t)) >= n })
	time.Sleep(300 * time.Millisecond)
	got := r.acked(t)
	if len(got) != n {
		t.Fatalf("%d deliveries acknowledged, want %d: %+v", len(got), n, got)
	}
	return got
}

// workflows returns the contract's payment workflows as a node holds them.
func workflows(t *testing.T, n *cluster.Node, cust, contract string) []engine.PaymentWorkflow {
	t.Helper()
	var out []engine.PaymentWorkflow
	readCopy(n.Engine(), ctxT(t, 5*time.Second), cust, func(c *engine.Customer, _ *engine.Catalog, _ engine.Nanos) {
		for _, wf := range c.Contract(contract).Workflows() {
			out = append(out, *wf)
		}
	})
	return out
}

func others(nodes []*cluster.Node, dead *cluster.Node) []*cluster.Node {
	var out []*cluster.Node
	for _, n := range nodes {
		if n != dead {
			out = append(out, n)
		}
	}
	return out
}

// Scenario E step 2 across a failover: the leader is closed after the
// threshold crossing is committed and before its webhooks are delivered
// (the receiver refuses the first leader's attempts). The new leader
// delivers the same notifications (same ids): one threshold_reached and one
// external_initiate, never a second workflow for the crossing. Crossing
// again after the charge is paid raises exactly one more.
func TestThresholdChargeAfterFailover(t *testing.T) {
	rcv := newPayReceiver(t)
	rcv.status.Store(503)
	_, nodes := threeWithWebhook(t, rcv.srv.URL)
	leader := nodes[0]
	start := leader.Now().UnixNano()
	setupCatalog(t, leader, start)
	mustPropose(t, leader, &engine.CreateProduct{ID: "buy", Name: "Threshold charge", Type: engine.ProductFixed})
	mustPropose(t, leader, &engine.CreateCustomer{ID: "c1", Name: "c1"})
	on, th := true, money.FromInt(100)
	mustPropose(t, leader, &engine.CreateContract{ID: "k1", CustomerID: "c1", RateCardID: "rc1", StartingAt: start,
		SpendThreshold: &engine.SpendThresholdInput{IsEnabled: &on, ThresholdAmount: &th,
			Commit: &engine.ThresholdCommitInput{ProductID: "buy"}, PaymentGate: &engine.PaymentGateInput{Type: engine.GateExternal}}})
	converge(t, leader, nodes...)

	mustPropose(t, leader, usage("c1", "t1", start, 100)) // the crossing
	eventually(t, 10*time.Second, "the first leader's attempts of both notifications", func() bool { return len(rcv.ids()) >= 2 })
	leader.Close()
	rcv.status.Store(200)
	live := others(nodes, leader)
	next := waitLeader(t, live...)
	got := rcv.waitAcked(t, 2)
	eventually(t, 10*time.Second, "the outbox to empty", func() bool { n, _ := next.OutboxStats(); return n == 0 })
	reached, initiate := ofType(got, engine.NoteThresholdReached, "c1"), ofType(got, engine.NotePaymentInitiate, "c1")
	if len(reached) != 1 || len(initiate) != 1 {
		t.Fatalf("after the failover: %+v, want one threshold_reached and one external_initiate", got)
	}
	if ids := rcv.ids(); len(ids) != 2 || ids[reached[0].ID] == "" || ids[initiate[0].ID] == "" {
		t.Fatalf("ids attempted %v: the new leader sent other notifications than the first leader's", ids)
	}
	wfID, _ := initiate[0].Properties["workflow_id"].(string)
	if initiate[0].Properties["invoice_total"] != 100.0 || initiate[0].Properties["workflow_type"] != engine.WorkflowSpend || wfID == "" {
		t.Fatalf("initiate %+v", initiate[0])
	}
	for _, n := range live {
		if wfs := workflows(t, n, "c1", "k1"); len(wfs) != 1 || wfs[0].ID != wfID || wfs[0].Status != engine.GatePending {
			t.Fatalf("node %s workflows %+v, want the one pending charge", nodeID(n), wfs)
		}
	}

	// Spend while the charge is pending raises nothing; paid, then crossing
	// again raises exactly one more charge (of what is outstanding).
	mustPropose(t, next, usage("c1", "t2", start, 50))
	r := mustPropose(t, next, &engine.ReleasePaymentGate{WorkflowID: wfID, Outcome: engine.GatePaid})
	if r.Gate == nil || r.Gate.Status != engine.GatePaid {
		t.Fatalf("release answered %+v", r.Gate)
	}
	mustPropose(t, next, usage("c1", "t3", start, 100))
	got = rcv.waitAcked(t, 5)
	if n := len(ofType(got, engine.NotePaymentStatus, "c1")); n != 1 {
		t.Fatalf("%d payment_status, want 1: %+v", n, got)
	}
	reached, initiate = ofType(got, engine.NoteThresholdReached, "c1"), ofType(got, engine.NotePaymentInitiate, "c1")
	if len(reached) != 2 || len(initiate) != 2 {
		t.Fatalf("after crossing again: %+v, want two of each", got)
	}
	second, _ := initiate[1].Properties["workflow_id"].(string)
	if second == wfID || initiate[1].Properties["invoice_total"] != 150.0 {
		t.Fatalf("second charge %+v", initiate[1])
	}
	converge(t, next, live...)
	for _, n := range live {
		if wfs := workflows(t, n, "c1", "k1"); len(wfs) != 2 || wfs[0].Status != engine.GatePaid || wfs[1].Status != engine.GatePending {
			t.Fatalf("node %s workflows %+v", nodeID(n), wfs)
		}
	}
}

// Auto-recharge across a failover: a recharge raised under the first leader
// and released paid on the new one credits the customer once; releasing it
// again changes nothing; and a release committed under the first leader and
// sent again to the new one (the client did not see the answer) changes
// nothing either.
func TestRechargeReleaseAfterFailover(t *testing.T) {
	rcv := newPayReceiver(t)
	_, nodes := threeWithWebhook(t, rcv.srv.URL)
	leader := nodes[0]
	start := leader.Now().UnixNano()
	setupCatalog(t, leader, start)
	mustPropose(t, leader, &engine.CreateProduct{ID: "buy", Name: "Recharge", Type: engine.ProductFixed})
	on, th, to := true, money.FromInt(100), money.FromInt(1000)
	for _, id := range []string{"a", "b"} {
		cust, contract := customerCmds(id, start, 500)
		contract.(*engine.CreateContract).PrepaidBalanceThreshold = &engine.RechargeInput{IsEnabled: &on, ThresholdAmount: &th, RechargeToAmount: &to,
			Commit: &engine.ThresholdCommitInput{ProductID: "buy"}, PaymentGate: &engine.PaymentGateInput{Type: engine.GateExternal}}
		mustPropose(t, leader, cust)
		mustPropose(t, leader, contract)
		mustPropose(t, leader, usage(id, "spend-"+id, start, 400)) // balance 100: at the threshold
	}
	got := rcv.waitAcked(t, 2)
	wf := map[string]string{}
	for _, id := range []string{"a", "b"} {
		in := ofType(got, engine.NotePaymentInitiate, id)
		if len(in) != 1 || in[0].Properties["invoice_total"] != 900.0 || in[0].Properties["workflow_type"] != engine.WorkflowRecharge {
			t.Fatalf("recharge of %s: %+v", id, got)
		}
		wf[id] = in[0].Properties["workflow_id"].(string)
	}
	// b is released under the first leader.
	if r := mustPropose(t, leader, &engine.ReleasePaymentGate{WorkflowID: wf["b"], Outcome: engine.GatePaid}); r.Gate.Status != engine.GatePaid {
		t.Fatalf("release b answered %+v", r.Gate)
	}
	converge(t, leader, nodes...)
	leader.Close()
	live := others(nodes, leader)
	next := waitLeader(t, live...)

	// a, raised under the first leader, is released on the new one, twice,
	// then failed; b's release is sent again.
	for i, rel := range []struct{ id, outcome string }{{"a", engine.GatePaid}, {"a", engine.GatePaid}, {"b", engine.GatePaid}, {"a", engine.GateFailed}, {"b", engine.GateFailed}} {
		r := mustPropose(t, next, &engine.ReleasePaymentGate{WorkflowID: wf[rel.id], Outcome: rel.outcome})
		if r.Gate == nil || r.Gate.Status != engine.GatePaid || r.Gate.WorkflowID != wf[rel.id] {
			t.Fatalf("release %d (%s %s) answered %+v, want paid", i, rel.id, rel.outcome, r.Gate)
		}
	}
	got = rcv.waitAcked(t, 4)
	for _, id := range []string{"a", "b"} {
		st := ofType(got, engine.NotePaymentStatus, id)
		if len(st) != 1 || st[0].Properties["payment_status"] != engine.GatePaid || st[0].Properties["workflow_id"] != wf[id] {
			t.Fatalf("payment_status of %s: %+v", id, st)
		}
		if n := len(ofType(got, engine.NotePaymentInitiate, id)); n != 1 {
			t.Fatalf("%d recharges of %s, want 1", n, id)
		}
	}
	converge(t, next, live...)
	for _, n := range live {
		for _, id := range []string{"a", "b"} {
			if b, _ := balance(n.Engine(), id); !b.Equal(money.MustParse("1000")) {
				t.Fatalf("node %s: %s's balance %s, want 1000 (100 + the recharge of 900, once)", nodeID(n), id, b)
			}
			if wfs := workflows(t, n, id, "k-"+id); len(wfs) != 1 || wfs[0].Status != engine.GatePaid {
				t.Fatalf("node %s: %s's workflows %+v", nodeID(n), id, wfs)
			}
		}
	}
}
