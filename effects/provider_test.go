package effects

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"burndown/cluster"
	"burndown/engine"
	"burndown/money"
)

// fakeCharger stands in for the Stripe client: it records every charge
// (which node, which idempotency key) and answers with fail or pay.
type fakeCharger struct {
	node string
	log  *chargeLog
}

type chargeLog struct {
	mu    sync.Mutex
	calls []chargeCall
	// invoices are the invoice sends (workflow: Burndown's invoice id).
	invoices []chargeCall
	// dead lists the nodes whose charges reach the provider but whose
	// answer is lost (the leader dies before recording it).
	dead map[string]bool
}

type chargeCall struct{ node, key, workflow string }

func (f fakeCharger) Charge(_ context.Context, key string, payload []byte) (*engine.ReleasePaymentGate, error) {
	var p struct {
		ID         string              `json:"id"`
		Properties engine.StripeCharge `json:"properties"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, err
	}
	f.log.mu.Lock()
	defer f.log.mu.Unlock()
	f.log.calls = append(f.log.calls, chargeCall{f.node, key, p.Properties.WorkflowID})
	if f.log.dead[f.node] {
		return nil, errors.New("connection reset after the charge was sent")
	}
	return &engine.ReleasePaymentGate{WorkflowID: p.Properties.WorkflowID, Outcome: engine.GatePaid}, nil
}

// VoidInvoice answers as Stripe does to a void: the invoice is void.
func (f fakeCharger) VoidInvoice(_ context.Context, key string, payload []byte) (*engine.RecordExternalInvoice, error) {
	var p struct {
		Properties engine.StripeVoid `json:"properties"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, err
	}
	return &engine.RecordExternalInvoice{CustomerID: p.Properties.CustomerID, InvoiceID: p.Properties.InvoiceID, Provider: engine.ProviderStripeBilling,
		ExternalID: p.Properties.StripeInvoiceID, Status: engine.ExternalVoid}, nil
}

// SendInvoice records the send (which node, which key, which invoice) and
// answers as Stripe would for that key: the same invoice id ("in_" and the
// key) however often it is sent.
func (f fakeCharger) SendInvoice(_ context.Context, key string, payload []byte) (*engine.RecordExternalInvoice, error) {
	var p struct {
		Properties engine.StripeInvoice `json:"properties"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, err
	}
	f.log.mu.Lock()
	defer f.log.mu.Unlock()
	f.log.invoices = append(f.log.invoices, chargeCall{f.node, key, p.Properties.InvoiceID})
	if f.log.dead[f.node] {
		return nil, errors.New("connection reset after the invoice was finalized")
	}
	return &engine.RecordExternalInvoice{CustomerID: p.Properties.CustomerID, InvoiceID: p.Properties.InvoiceID, Provider: engine.ProviderStripeBilling,
		ExternalID: "in_" + key, Status: engine.ExternalFinalized}, nil
}

func (l *chargeLog) sends() []chargeCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]chargeCall(nil), l.invoices...)
}

func (l *chargeLog) snapshot() []chargeCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]chargeCall(nil), l.calls...)
}

// oneRetryByNewLeader checks the provider calls of a failover test: the
// first leader's (n1, whose answer was lost) and exactly one by the new
// leader, all with the same idempotency key about the same workflow or
// invoice.
func oneRetryByNewLeader(t *testing.T, what string, calls []chargeCall) {
	t.Helper()
	if len(calls) == 0 || calls[0].key == "" || calls[0].node != "n1" {
		t.Fatalf("%s %+v: want the first leader's first, with a key", what, calls)
	}
	byNew := 0
	for _, c := range calls {
		if c.key != calls[0].key || c.workflow != calls[0].workflow {
			t.Fatalf("%s %+v: another key or object", what, calls)
		}
		if c.node != "n1" {
			byNew++
		}
	}
	if byNew != 1 {
		t.Fatalf("%s %+v: want exactly one by the new leader, with the first leader's key", what, calls)
	}
}

// threeWithCharger starts a three-node cluster (n1 the leader) whose
// dispatchers charge through fakeChargers recording into charges.
func threeWithCharger(t *testing.T, charges *chargeLog) []*cluster.Node {
	t.Helper()
	specs := []nodeSpec{newSpec(t, "n1", true), newSpec(t, "n2", false), newSpec(t, "n3", false)}
	nodes := make([]*cluster.Node, len(specs))
	for i, s := range specs {
		s.webhooks = WebhookConfig{RetryBase: 20 * time.Millisecond, RetryMax: 100 * time.Millisecond}
		s.payments = fakeCharger{node: s.id, log: charges}
		nodes[i] = s.open(t)
	}
	leader := waitLeader(t, nodes[0])
	for _, s := range specs[1:] {
		if err := leader.AddNode(ctxT(t, 15*time.Second), s.id, s.raftAddr, s.httpAddr); err != nil {
			t.Fatal(err)
		}
	}
	return nodes
}

// The leader dies after a STRIPE charge is sent and before its result is
// recorded: the new leader charges again with the same idempotency key
// (the notification id) and the customer is credited once.
func TestStripeChargeAfterFailover(t *testing.T) {
	charges := &chargeLog{dead: map[string]bool{"n1": true}}
	nodes := threeWithCharger(t, charges)
	leader := nodes[0]
	start := leader.Now().UnixNano()
	setupCatalog(t, leader, start)
	mustPropose(t, leader, &engine.CreateCustomer{ID: "c1", Name: "c1", BillingProviders: []engine.BillingProviderConfig{
		{BillingProvider: "stripe", Configuration: map[string]string{"stripe_customer_id": "cus_1"}}}})
	mustPropose(t, leader, &engine.CreateContract{ID: "k1", CustomerID: "c1", RateCardID: "rc1", StartingAt: start})
	converge(t, leader, nodes...)
	mustPropose(t, leader, &engine.EditContract{CustomerID: "c1", ContractID: "k1", AddCommits: []engine.CommitInput{{
		Type: engine.CommitPrepaid, ProductID: "p1", PaymentGate: &engine.PaymentGateInput{Type: engine.GateStripe},
		AccessSchedule: []engine.ScheduleItem{{Amount: money.FromInt(2000), StartingAt: start, EndingBefore: start + 90*day}}}}})
	eventually(t, 10*time.Second, "the first leader's charge", func() bool { return len(charges.snapshot()) > 0 })
	if b, _ := balance(leader.Engine(), "c1"); !b.IsZero() {
		t.Fatalf("balance %s before the payment is recorded", b)
	}
	leader.Close()
	next := waitLeader(t, nodes[1], nodes[2])
	eventually(t, 15*time.Second, "the credit", func() bool { b, _ := balance(next.Engine(), "c1"); return !b.IsZero() })
	eventually(t, 10*time.Second, "the outbox to empty", func() bool { n, _ := next.OutboxStats(); return n == 0 })
	time.Sleep(200 * time.Millisecond)
	oneRetryByNewLeader(t, "charges", charges.snapshot())
	if b, _ := balance(next.Engine(), "c1"); b.String() != "2000" {
		t.Fatalf("balance %s, want 2000 (credited once)", b)
	}
}

// Threshold billing with a STRIPE gate across a failover: the crossing is
// committed and charged by the first leader, which dies before recording
// the result; the new leader charges the same workflow with the same key,
// the threshold commit is issued once and the outstanding spend is 0.
func TestStripeThresholdChargeAfterFailover(t *testing.T) {
	charges := &chargeLog{dead: map[string]bool{"n1": true}}
	nodes := threeWithCharger(t, charges)
	leader := nodes[0]
	start := leader.Now().UnixNano()
	setupCatalog(t, leader, start)
	mustPropose(t, leader, &engine.CreateProduct{ID: "buy", Name: "Threshold charge", Type: engine.ProductFixed})
	mustPropose(t, leader, &engine.CreateCustomer{ID: "c1", Name: "c1", BillingProviders: []engine.BillingProviderConfig{
		{BillingProvider: "stripe", Configuration: map[string]string{"stripe_customer_id": "cus_1"}}}})
	on, th := true, money.FromInt(100)
	mustPropose(t, leader, &engine.CreateContract{ID: "k1", CustomerID: "c1", RateCardID: "rc1", StartingAt: start,
		SpendThreshold: &engine.SpendThresholdInput{IsEnabled: &on, ThresholdAmount: &th,
			Commit: &engine.ThresholdCommitInput{ProductID: "buy"}, PaymentGate: &engine.PaymentGateInput{Type: engine.GateStripe}}})
	converge(t, leader, nodes...)
	mustPropose(t, leader, usage("c1", "t1", start, 100)) // the crossing
	eventually(t, 10*time.Second, "the first leader's charge", func() bool { return len(charges.snapshot()) > 0 })
	leader.Close()
	live := others(nodes, leader)
	next := waitLeader(t, live...)
	eventually(t, 15*time.Second, "the charge paid", func() bool {
		wfs := workflows(t, next, "c1", "k1")
		return len(wfs) == 1 && wfs[0].Status == engine.GatePaid
	})
	eventually(t, 10*time.Second, "the outbox to empty", func() bool { n, _ := next.OutboxStats(); return n == 0 })
	time.Sleep(200 * time.Millisecond)
	oneRetryByNewLeader(t, "charges", charges.snapshot())
	converge(t, next, live...)
	for _, n := range live {
		var out money.Amount
		var commits int
		readCopy(n.Engine(), ctxT(t, 5*time.Second), "c1", func(c *engine.Customer, cat *engine.Catalog, _ engine.Nanos) {
			k := c.Contract("k1")
			out, commits = k.OutstandingSpend(cat.RateCards["rc1"].FiatCreditTypeID), len(k.Balances)
		})
		if !out.IsZero() || commits != 1 {
			t.Fatalf("node %s: outstanding %s with %d commits, want 0 with the one threshold commit", nodeID(n), out, commits)
		}
	}
}

// A finalized invoice of a Stripe customer's contract whose
// billing_provider_configuration selects Stripe is sent by the leader, which
// dies before the record of Stripe's invoice is applied: the new leader
// sends it again with the same idempotency key (so Stripe answers with the
// same invoice) and records it once; every replica shows it.
func TestStripeInvoiceAfterFailover(t *testing.T) {
	charges := &chargeLog{dead: map[string]bool{"n1": true}}
	nodes := threeWithCharger(t, charges)
	leader := nodes[0]
	start := leader.Now().UnixNano()
	setupCatalog(t, leader, start)
	mustPropose(t, leader, &engine.CreateCustomer{ID: "c1", Name: "c1", BillingProviders: []engine.BillingProviderConfig{
		{BillingProvider: "stripe", Configuration: map[string]string{"stripe_customer_id": "cus_1"}}}})
	mustPropose(t, leader, &engine.CreateContract{ID: "k1", CustomerID: "c1", RateCardID: "rc1", StartingAt: start,
		BillingProviderConfiguration: &engine.ContractBillingProvider{BillingProvider: engine.ProviderStripeBilling, DeliveryMethod: engine.DeliveryDirect}})
	mustPropose(t, leader, usage("c1", "t1", start, 250))
	if err := leader.SetClock(ctxT(t, 10*time.Second), time.Unix(0, start+40*day)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the first leader's send", func() bool { return len(charges.sends()) > 0 })
	leader.Close()
	live := others(nodes, leader)
	next := waitLeader(t, live...)
	eventually(t, 10*time.Second, "the outbox to empty", func() bool { n, _ := next.OutboxStats(); return n == 0 })
	time.Sleep(200 * time.Millisecond)
	sends := charges.sends()
	oneRetryByNewLeader(t, "sends", sends)
	converge(t, next, live...)
	for _, n := range live {
		var ext *engine.ExternalInvoice
		var total money.Amount
		readCopy(n.Engine(), ctxT(t, 5*time.Second), "c1", func(c *engine.Customer, _ *engine.Catalog, _ engine.Nanos) {
			if inv := c.Contract("k1").Invoice(sends[0].workflow); inv != nil {
				ext, total = inv.External(), inv.Total
			}
		})
		if ext == nil || ext.InvoiceID != "in_"+sends[0].key || ext.Provider != "stripe" || ext.Status != engine.ExternalFinalized || ext.IssuedAt == 0 ||
			total.String() != "250" {
			t.Fatalf("node %s: invoice total %s, external %+v", nodeID(n), total, ext)
		}
	}
}
