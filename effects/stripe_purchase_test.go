package effects

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"burndown/cluster"
	"burndown/engine"
	"burndown/money"
)

// STRIPE gates paid through a Stripe invoice (stripe_purchase.go), against
// stripe-mock (github.com/stripe/stripe-mock@v0.203.0, as transport's
// tests run it): the requests, their Idempotency-Keys and metadata, and
// how each answer settles the workflow. stripe-mock keeps no state and
// answers fixtures, so the answers to map are rewritten by the round
// tripper in front of it (an invoice paid or with a PaymentIntent
// requiring action, a card error, Stripe's requires_action error).

// startStripeMockBin runs stripe-mock on loopback ports until the test
// ends and returns its base URL; without the binary the test fails saying
// how to get it.
func startStripeMockBin(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		out, gerr := exec.Command("go", "env", "GOPATH").Output()
		if gerr != nil {
			t.Fatalf("stripe-mock is required: go install github.com/stripe/stripe-mock@v0.203.0")
		}
		bin = strings.TrimSpace(string(out)) + "/bin/stripe-mock"
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "-http-addr", addr, "-https-addr", freeAddr(t))
	if err := cmd.Start(); err != nil {
		t.Fatalf("start stripe-mock (go install github.com/stripe/stripe-mock@v0.203.0): %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()          //nolint:errcheck
	t.Cleanup(func() { cmd.Process.Kill(); <-exited }) //nolint:errcheck
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatal("stripe-mock exited")
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("stripe-mock did not listen on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sentReq is one POST the client sent.
type sentReq struct {
	path, key string
	form      url.Values
}

// purchaseTripper records POSTs and rewrites the pay request's answer.
type purchaseTripper struct {
	mu   sync.Mutex
	sent []sentReq
	// pay rewrites POST /v1/invoices/{id}/pay's answer: nil leaves
	// stripe-mock's.
	pay func() (*http.Response, error)
}

func (p *purchaseTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		p.mu.Lock()
		p.sent = append(p.sent, sentReq{path: req.URL.Path, key: req.Header.Get("Idempotency-Key"), form: form})
		p.mu.Unlock()
	}
	if strings.HasSuffix(req.URL.Path, "/pay") && p.pay != nil {
		return p.pay()
	}
	return http.DefaultTransport.RoundTrip(req)
}

// answer is a JSON response of the status.
func answer(status int, v any) func() (*http.Response, error) {
	return func() (*http.Response, error) {
		b, _ := json.Marshal(v)
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewReader(b)), ContentLength: int64(len(b))}, nil
	}
}

func chargePayload(t *testing.T, paymentType string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"id": "note-1", "type": engine.NoteStripeCharge, "properties": engine.StripeCharge{
		WorkflowType: engine.WorkflowManualCommit, CustomerID: "cu", ContractID: "k", WorkflowID: "wf-1", CommitID: "cm",
		InvoiceID: "inv-wf", InvoiceTotal: "1999.5", InvoiceCurrency: "USD", StripeCustomerID: "cus_123",
		PaymentType: paymentType, InvoiceMetadata: map[string]string{"po": "PO-7"}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A purchase paid by invoice: an invoice with the gate's metadata and
// Burndown's, one item of the whole cents (1999.5 cents: 2000), finalized
// without auto-advance, paid off-session with the customer's payment
// method, each request keyed by the notification id and its role; each
// answer mapped as Charge maps a PaymentIntent's.
func TestChargeByInvoice(t *testing.T) {
	base := startStripeMockBin(t)
	rt := &purchaseTripper{}
	st, err := NewStripe(StripeConfig{APIKey: "sk_test_123", APIBase: base, HTTPClient: &http.Client{Transport: rt, Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	charge := func() (*engine.ReleasePaymentGate, error) {
		return st.Charge(t.Context(), "note-1", chargePayload(t, engine.StripePayInvoice))
	}
	// stripe-mock's fixture invoice is not paid: Stripe's event settles it.
	rel, err := charge()
	if err != nil || rel != nil {
		t.Fatalf("an unpaid invoice settled %+v (%v)", rel, err)
	}
	rt.mu.Lock()
	sent := append([]sentReq(nil), rt.sent...)
	rt.mu.Unlock()
	var paths, keys []string
	for _, s := range sent {
		paths = append(paths, s.path)
		keys = append(keys, s.key)
	}
	if len(sent) != 4 || paths[0] != "/v1/invoices" || paths[1] != "/v1/invoiceitems" || !strings.HasSuffix(paths[2], "/finalize") || !strings.HasSuffix(paths[3], "/pay") {
		t.Fatalf("requests %v", paths)
	}
	if strings.Join(keys, " ") != "note-1:invoice note-1:item:0 note-1:finalize note-1:pay" {
		t.Fatalf("idempotency keys %v", keys)
	}
	inv, item, fin, pay := sent[0].form, sent[1].form, sent[2].form, sent[3].form
	if inv.Get("customer") != "cus_123" || inv.Get("collection_method") != "charge_automatically" || inv.Get("auto_advance") != "false" ||
		inv.Get("pending_invoice_items_behavior") != "exclude" || inv.Get("currency") != "usd" || inv.Get("metadata[po]") != "PO-7" ||
		inv.Get("metadata["+StripeMetaWorkflow+"]") != "wf-1" || inv.Get("metadata["+StripeMetaCustomer+"]") != "cu" || inv.Get("metadata["+StripeMetaContract+"]") != "k" {
		t.Fatalf("invoice %v", inv)
	}
	if item.Get("amount") != "2000" || item.Get("invoice") == "" || item.Get("customer") != "cus_123" {
		t.Fatalf("invoice item %v", item)
	}
	if fin.Get("auto_advance") != "false" || pay.Get("off_session") != "true" || pay.Get("payment_method") == "" {
		t.Fatalf("finalize %v, pay %v", fin, pay)
	}

	for name, tc := range map[string]struct {
		pay     func() (*http.Response, error)
		outcome string
		reason  string
	}{
		"paid": {answer(200, map[string]any{"id": "in_paid", "object": "invoice", "status": "paid"}), engine.GatePaid, ""},
		"card error": {answer(402, map[string]any{"error": map[string]any{"type": "card_error", "code": "card_declined",
			"decline_code": "insufficient_funds", "message": "Your card has insufficient funds."}}), engine.GateFailed, "Your card has insufficient funds. (insufficient_funds)"},
		"requires action error": {answer(402, map[string]any{"error": map[string]any{"type": "invalid_request_error", "code": "invoice_payment_intent_requires_action",
			"message":        "This payment requires additional user action before it can be completed successfully.",
			"payment_intent": map[string]any{"id": "pi_3ds", "object": "payment_intent", "status": "requires_action", "next_action": map[string]any{"type": "use_stripe_sdk"}}}}),
			engine.GateActionRequired, "use_stripe_sdk"},
		"payment intent requires action": {answer(200, map[string]any{"id": "in_open", "object": "invoice", "status": "open",
			"payments": map[string]any{"object": "list", "data": []any{map[string]any{"id": "inpay_1", "object": "invoice_payment",
				"payment": map[string]any{"type": "payment_intent", "payment_intent": map[string]any{"id": "pi_open", "object": "payment_intent", "status": "requires_action",
					"next_action": map[string]any{"type": "redirect_to_url"}}}}}}}), engine.GateActionRequired, "redirect_to_url"},
	} {
		rt.pay = tc.pay
		rel, err := charge()
		if err != nil || rel == nil {
			t.Fatalf("%s: %+v %v", name, rel, err)
		}
		if rel.Outcome != tc.outcome || rel.ErrorMessage != tc.reason || rel.WorkflowID != "wf-1" || rel.Provider != engine.ProviderStripe || rel.StripeInvoiceID == "" {
			t.Errorf("%s: release %+v", name, rel)
		}
	}
	// Stripe's 5xx is retried, never settled.
	rt.pay = answer(500, map[string]any{"error": map[string]any{"type": "api_error", "message": "boom"}})
	if rel, err := charge(); err == nil || rel != nil {
		t.Fatalf("a 500 settled %+v (%v)", rel, err)
	}
	rt.pay = func() (*http.Response, error) { return nil, errors.New("connection reset") }
	if rel, err := charge(); err == nil || rel != nil {
		t.Fatalf("a lost answer settled %+v (%v)", rel, err)
	}
}

// Without payment_type INVOICE the charge is still a PaymentIntent.
func TestChargeWithoutStripeConfigIsAPaymentIntent(t *testing.T) {
	base := startStripeMockBin(t)
	rt := &purchaseTripper{}
	st, err := NewStripe(StripeConfig{APIKey: "sk_test_123", APIBase: base, HTTPClient: &http.Client{Transport: rt, Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Charge(t.Context(), "note-2", chargePayload(t, "")); err != nil {
		t.Fatal(err)
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(rt.sent) != 1 || rt.sent[0].path != "/v1/payment_intents" || rt.sent[0].key != "note-2" {
		t.Fatalf("requests %+v", rt.sent)
	}
}

// nodeTripper is a node's round tripper to stripe-mock in a failover
// test: every POST is logged with the node's name; the pay answer is lost
// on a dead node and rewritten to a paid invoice elsewhere.
type nodeTripper struct {
	node string
	log  *sharedSent
	dead bool
}

type sharedSent struct {
	mu   sync.Mutex
	sent []struct{ node, path, key string }
}

func (s *sharedSent) snapshot() []struct{ node, path, key string } {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]struct{ node, path, key string }(nil), s.sent...)
}

func (n nodeTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost {
		n.log.mu.Lock()
		n.log.sent = append(n.log.sent, struct{ node, path, key string }{n.node, req.URL.Path, req.Header.Get("Idempotency-Key")})
		n.log.mu.Unlock()
	}
	if !strings.HasSuffix(req.URL.Path, "/pay") {
		return http.DefaultTransport.RoundTrip(req)
	}
	if n.dead {
		return nil, errors.New("connection reset after the invoice was paid")
	}
	return answer(200, map[string]any{"id": "in_paid", "object": "invoice", "status": "paid"})()
}

// A purchase paid by invoice across a failover: the first leader's pay
// answer is lost with it; the new leader sends the four requests again
// with the same Idempotency-Keys (Stripe answers with the first objects),
// the workflow is paid once and every replica records the Stripe invoice.
func TestStripeInvoicePurchaseAfterFailover(t *testing.T) {
	base := startStripeMockBin(t)
	log := &sharedSent{}
	specs := []nodeSpec{newSpec(t, "n1", true), newSpec(t, "n2", false), newSpec(t, "n3", false)}
	nodes := make([]*cluster.Node, len(specs))
	for i, s := range specs {
		st, err := NewStripe(StripeConfig{APIKey: "sk_test_123", APIBase: base,
			HTTPClient: &http.Client{Transport: nodeTripper{node: s.id, log: log, dead: s.id == "n1"}, Timeout: 10 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		s.webhooks = WebhookConfig{RetryBase: 20 * time.Millisecond, RetryMax: 100 * time.Millisecond}
		s.payments = st
		nodes[i] = s.open(t)
	}
	leader := waitLeader(t, nodes[0])
	for _, s := range specs[1:] {
		if err := leader.AddNode(ctxT(t, 15*time.Second), s.id, s.raftAddr, s.httpAddr); err != nil {
			t.Fatal(err)
		}
	}
	start := leader.Now().UnixNano()
	setupCatalog(t, leader, start)
	mustPropose(t, leader, &engine.CreateCustomer{ID: "c1", Name: "c1", BillingProviders: []engine.BillingProviderConfig{
		{BillingProvider: "stripe", Configuration: map[string]string{"stripe_customer_id": "cus_1"}}}})
	mustPropose(t, leader, &engine.CreateContract{ID: "k1", CustomerID: "c1", RateCardID: "rc1", StartingAt: start})
	converge(t, leader, nodes...)
	mustPropose(t, leader, &engine.EditContract{CustomerID: "c1", ContractID: "k1", AddCommits: []engine.CommitInput{{
		Type: engine.CommitPrepaid, ProductID: "p1", AccessSchedule: []engine.ScheduleItem{{Amount: money.FromInt(2000), StartingAt: start, EndingBefore: start + 90*day}},
		PaymentGate: &engine.PaymentGateInput{Type: engine.GateStripe, Stripe: &engine.StripeGateConfig{PaymentType: engine.StripePayInvoice}}}}})
	eventually(t, 10*time.Second, "the first leader's pay request", func() bool {
		for _, s := range log.snapshot() {
			if strings.HasSuffix(s.path, "/pay") {
				return true
			}
		}
		return false
	})
	leader.Close()
	live := others(nodes, leader)
	next := waitLeader(t, live...)
	eventually(t, 15*time.Second, "the purchase paid", func() bool {
		wfs := workflows(t, next, "c1", "k1")
		return len(wfs) == 1 && wfs[0].Status == engine.GatePaid
	})
	converge(t, next, live...)
	for _, n := range live {
		if wfs := workflows(t, n, "c1", "k1"); wfs[0].StripeInvoiceID == "" || !wfs[0].Stripe.PaysByInvoice() {
			t.Fatalf("node %s: workflow %+v", nodeID(n), wfs[0])
		}
		if b, _ := balance(n.Engine(), "c1"); b.String() != "2000" {
			t.Fatalf("node %s: balance %s, want 2000", nodeID(n), b)
		}
	}
	byKey := map[string]map[string]bool{} // key: the nodes that sent it
	for _, s := range log.snapshot() {
		if byKey[s.key] == nil {
			byKey[s.key] = map[string]bool{}
		}
		byKey[s.key][s.node] = true
	}
	if len(byKey) != 4 {
		t.Fatalf("%d distinct keys, want the purchase's 4: %v", len(byKey), byKey)
	}
	for k, sent := range byKey {
		if !sent["n1"] || len(sent) != 2 {
			t.Fatalf("key %s sent by %v, want the first leader and the new one", k, sent)
		}
	}
}
