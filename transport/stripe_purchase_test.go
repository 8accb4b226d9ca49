package transport

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"burndown/cluster"
	"burndown/effects"
)

// STRIPE gates paid through a Stripe invoice (payment_gate_config
// stripe_config payment_type INVOICE, the default when stripe_config is
// absent: engine/stripe_gate.go, effects/stripe_purchase.go), against
// stripe-mock.

// buyByInvoice adds a STRIPE-gated commit of amount with the gate's
// stripe_config (nil: none) and waits for its invoice item; it returns it.
func (e *stripeEnv) buyByInvoice(amount int, stripeConfig map[string]any) stripeCall {
	e.t.Helper()
	before := len(e.rec.purchaseItems())
	c := prepaidCommit(e.testEnv, e.product, amount)
	gate := map[string]any{"payment_gate_type": "STRIPE"}
	if stripeConfig != nil {
		gate["stripe_config"] = stripeConfig
	}
	c["payment_gate_config"] = gate
	e.ok("POST", "/v2/contracts/edit", map[string]any{"customer_id": e.cust, "contract_id": e.contract, "add_commits": []any{c}}, nil)
	deadline := time.Now().Add(10 * time.Second)
	for len(e.rec.purchaseItems()) == before {
		if time.Now().After(deadline) {
			e.t.Fatal("no invoice item was created")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return e.rec.purchaseItems()[before]
}

// purchaseInvoice is the customer's purchase invoice of the workflow's
// commit, read through GET /v1/customers/{id}/invoices/{invoice_id}.
func (e *stripeEnv) purchaseInvoices() []map[string]any {
	e.t.Helper()
	var list struct {
		Data []map[string]any `json:"data"`
	}
	e.ok("GET", "/v1/customers/"+e.cust+"/invoices", nil, &list)
	var out []map[string]any
	for _, inv := range list.Data {
		var one struct {
			Data map[string]any `json:"data"`
		}
		e.ok("GET", "/v1/customers/"+e.cust+"/invoices/"+inv["id"].(string), nil, &one)
		if lines, _ := one.Data["line_items"].([]any); len(lines) == 1 && lines[0].(map[string]any)["type"] == "commit_purchase" {
			out = append(out, one.Data)
		}
	}
	return out
}

// A STRIPE gate without stripe_config is paid through a Stripe invoice
// (Metronome's default): no PaymentIntent; the invoice, its item of the
// purchase's cents, finalize and pay go to Stripe with the gate's keys
// and metadata; paid, the commit is in force and the purchase invoice
// shows the Stripe invoice as its external invoice, PAID.
func TestStripeGatePaidByInvoice(t *testing.T) {
	e := newStripeEnv(t, &stripeRecorder{payStatus: "paid"})
	item := e.buyByInvoice(2000, nil)
	if item.form.Get("amount") != "2000" || item.form.Get("customer") != "cus_burndown" || !strings.HasSuffix(item.key, ":item:0") {
		t.Fatalf("invoice item %+v", item)
	}
	e.waitGate("paid")
	if ch := e.check(e.cust, e.api); !ch.Entitled || ch.Balance != "2000" {
		t.Fatalf("after payment: %+v", ch)
	}
	if n := len(e.rec.snapshot()); n != 0 {
		t.Fatalf("%d PaymentIntents for a gate paid by invoice", n)
	}
	var created stripeCall
	for _, c := range e.rec.sent() {
		if c.path == "/v1/invoices" {
			created = c
		}
	}
	wf := created.form.Get("metadata[" + effects.StripeMetaWorkflow + "]")
	if wf == "" || created.form.Get("metadata["+effects.StripeMetaCustomer+"]") != e.cust || created.form.Get("auto_advance") != "false" {
		t.Fatalf("Stripe invoice %+v", created.form)
	}
	invs := e.purchaseInvoices()
	if len(invs) != 1 {
		t.Fatalf("purchase invoices %+v", invs)
	}
	x, _ := invs[0]["external_invoice"].(map[string]any)
	if x["billing_provider_type"] != "stripe" || x["external_status"] != "PAID" || !strings.HasPrefix(x["invoice_id"].(string), "in_") {
		t.Fatalf("purchase invoice's external_invoice %+v", invs[0])
	}

	// The invoice_metadata goes on the Stripe invoice; PAYMENT_INTENT is
	// a PaymentIntent, whose purchase invoice shows no Stripe invoice.
	e.buyByInvoice(500, map[string]any{"payment_type": "INVOICE", "invoice_metadata": map[string]any{"po": "PO-42"}})
	found := false
	for _, c := range e.rec.sent() {
		found = found || (c.path == "/v1/invoices" && c.form.Get("metadata[po]") == "PO-42")
	}
	if !found {
		t.Fatal("the invoice_metadata is not on the Stripe invoice")
	}
	e.rec.mu.Lock()
	e.rec.status = "succeeded"
	e.rec.mu.Unlock()
	e.buyStripe(300)
	if c := e.rec.snapshot()[0]; c.form.Get("amount") != "300" {
		t.Fatalf("PaymentIntent %+v", c.form)
	}
}

// Stripe's invoice.paid and invoice.payment_failed, verified, settle a
// purchase paid by invoice (the workflow named in the invoice's metadata)
// and record the Stripe invoice; a bad signature changes nothing.
func TestStripeInvoiceEventsSettlePurchases(t *testing.T) {
	e := newStripeEnv(t, &stripeRecorder{})
	wfOf := func() string {
		var wf string
		for _, c := range e.rec.sent() {
			if c.path == "/v1/invoices" {
				wf = c.form.Get("metadata[" + effects.StripeMetaWorkflow + "]")
			}
		}
		return wf
	}
	e.buyByInvoice(2000, nil)
	wf := wfOf()
	e.waitGate("pending") // stripe-mock's invoice is not paid: the event settles it
	event := func(typ, id, secret string) (int, []byte) {
		return e.signedEvent(typ, "evt_"+typ+id, map[string]any{"id": id, "object": "invoice", "status": "paid", "customer": "cus_burndown",
			"metadata": map[string]string{effects.StripeMetaWorkflow: wf, effects.StripeMetaCustomer: e.cust, effects.StripeMetaContract: e.contract}}, secret)
	}
	if st, body := event("invoice.paid", "in_evt", "whsec_wrong"); st != 400 || !strings.Contains(string(body), "Stripe-Signature") {
		t.Fatalf("bad signature answered %d %s", st, body)
	}
	e.waitGate("pending")
	if st, body := event("invoice.finalized", "in_evt", stripeTestSecret); st != 200 || !strings.Contains(string(body), "ignored") {
		t.Fatalf("invoice.finalized of a purchase answered %d %s", st, body)
	}
	st, body := event("invoice.paid", "in_evt", stripeTestSecret)
	if st != 200 || !strings.Contains(string(body), `"payment_gate_status":"paid"`) {
		t.Fatalf("invoice.paid answered %d %s", st, body)
	}
	e.waitGate("paid")
	if x, _ := e.purchaseInvoices()[0]["external_invoice"].(map[string]any); x["invoice_id"] != "in_evt" || x["external_status"] != "PAID" {
		t.Fatalf("external_invoice %+v", x)
	}

	e.buyByInvoice(700, nil)
	wf = wfOf()
	if st, body := event("invoice.payment_failed", "in_fail", stripeTestSecret); st != 200 || !strings.Contains(string(body), `"payment_gate_status":"failed"`) {
		t.Fatalf("invoice.payment_failed answered %d %s", st, body)
	}
	g := e.waitGate("failed")
	if !strings.Contains(g.VoidReason, "in_fail") {
		t.Fatalf("voided commit %+v", g)
	}
	if ch := e.check(e.cust, e.api); ch.Balance != "2000" {
		t.Fatalf("balance %s, want 2000", ch.Balance)
	}
}

// stripe_config on the threshold configurations is applied and shown in
// contracts/get: a STRIPE gate without one shows INVOICE (the default the
// edge stamps), PAYMENT_INTENT is shown as such.
func TestStripeConfigShownOnThresholds(t *testing.T) {
	e := newStripeEnv(t, &stripeRecorder{})
	cfg := map[string]any{"is_enabled": false, "threshold_amount": 1000, "commit": map[string]any{"product_id": e.product},
		"payment_gate_config": map[string]any{"payment_gate_type": "STRIPE", "stripe_config": map[string]any{"payment_type": "INVOICE",
			"invoice_metadata": map[string]any{"cost_center": "42"}}}}
	e.ok("POST", "/v2/contracts/edit", map[string]any{"customer_id": e.cust, "contract_id": e.contract, "add_spend_threshold_configuration": cfg}, nil)
	gateOf := func(key string) map[string]any {
		var out struct {
			Data map[string]any `json:"data"`
		}
		e.ok("POST", "/v1/contracts/get", map[string]any{"customer_id": e.cust, "contract_id": e.contract}, &out)
		c, _ := out.Data[key].(map[string]any)
		g, _ := c["payment_gate_config"].(map[string]any)
		return g
	}
	got, _ := json.Marshal(gateOf("spend_threshold_configuration"))
	if string(got) != `{"payment_gate_type":"STRIPE","stripe_config":{"invoice_metadata":{"cost_center":"42"},"payment_type":"INVOICE"}}` {
		t.Fatalf("spend threshold's gate %s", got)
	}
	e.ok("POST", "/v2/contracts/edit", map[string]any{"customer_id": e.cust, "contract_id": e.contract, "update_spend_threshold_configuration": map[string]any{
		"payment_gate_config": piGate()}}, nil)
	if got, _ := json.Marshal(gateOf("spend_threshold_configuration")); string(got) != `{"payment_gate_type":"STRIPE","stripe_config":{"payment_type":"PAYMENT_INTENT"}}` {
		t.Fatalf("updated gate %s", got)
	}
	e.ok("POST", "/v2/contracts/edit", map[string]any{"customer_id": e.cust, "contract_id": e.contract, "add_prepaid_balance_threshold_configuration": map[string]any{
		"is_enabled": false, "threshold_amount": 100, "recharge_to_amount": 200, "commit": map[string]any{"product_id": e.product},
		"payment_gate_config": map[string]any{"payment_gate_type": "STRIPE"}}}, nil)
	if got, _ := json.Marshal(gateOf("prepaid_balance_threshold_configuration")); string(got) != `{"payment_gate_type":"STRIPE","stripe_config":{"payment_type":"INVOICE"}}` {
		t.Fatalf("recharge gate %s", got)
	}
}

// Every bad stripe_config is refused with a 400 naming the field.
func TestStripeConfigRefusedByField(t *testing.T) {
	e := newStripeEnv(t, &stripeRecorder{})
	many := map[string]any{}
	for i := 0; i < 48; i++ {
		many[strings.Repeat("k", 1+i%20)+string(rune('a'+i%26))+string(rune('a'+i/26))] = "v"
	}
	for _, tc := range []struct {
		gate map[string]any
		want string
	}{
		{map[string]any{"payment_gate_type": "EXTERNAL", "stripe_config": map[string]any{"payment_type": "INVOICE"}},
			"add_commits[0].payment_gate_config.stripe_config: only payment_gate_type STRIPE has a stripe_config"},
		{map[string]any{"payment_gate_type": "STRIPE", "stripe_config": map[string]any{}}, "add_commits[0].payment_gate_config.stripe_config.payment_type: "},
		{map[string]any{"payment_gate_type": "STRIPE", "stripe_config": map[string]any{"payment_type": "CHECK"}}, "add_commits[0].payment_gate_config.stripe_config.payment_type: "},
		{map[string]any{"payment_gate_type": "STRIPE", "stripe_config": map[string]any{"payment_type": "PAYMENT_INTENT", "invoice_metadata": map[string]any{"a": "b"}}},
			"add_commits[0].payment_gate_config.stripe_config.invoice_metadata: only payment_type INVOICE"},
		{map[string]any{"payment_gate_type": "STRIPE", "stripe_config": map[string]any{"payment_type": "INVOICE", "invoice_metadata": many}},
			"add_commits[0].payment_gate_config.stripe_config.invoice_metadata: 48 keys, at most 47"},
		{map[string]any{"payment_gate_type": "STRIPE", "stripe_config": map[string]any{"payment_type": "INVOICE", "invoice_metadata": map[string]any{strings.Repeat("k", 41): "v"}}},
			"add_commits[0].payment_gate_config.stripe_config.invoice_metadata: key "},
		{map[string]any{"payment_gate_type": "STRIPE", "stripe_config": map[string]any{"payment_type": "INVOICE", "invoice_metadata": map[string]any{"k": strings.Repeat("v", 501)}}},
			"add_commits[0].payment_gate_config.stripe_config.invoice_metadata.k: at most 500"},
		{map[string]any{"payment_gate_type": "STRIPE", "stripe_config": map[string]any{"payment_type": "INVOICE", "invoice_metadata": map[string]any{"burndown_workflow_id": "x"}}},
			"add_commits[0].payment_gate_config.stripe_config.invoice_metadata: key \"burndown_workflow_id\": the prefix burndown_ is Burndown's own"},
		{map[string]any{"payment_gate_type": "STRIPE", "stripe_config": map[string]any{"payment_type": "INVOICE", "invoice_metadata": map[string]any{"k": 5}}},
			"add_commits[0].payment_gate_config.stripe_config.invoice_metadata.k: "},
		{map[string]any{"payment_gate_type": "STRIPE", "stripe_config": map[string]any{"payment_type": "INVOICE", "on_session_payment": true}},
			"add_commits[0].payment_gate_config.stripe_config.on_session_payment: "},
		{map[string]any{"payment_gate_type": "STRIPE", "stripe_config": "INVOICE"}, "add_commits[0].payment_gate_config.stripe_config: "},
	} {
		c := prepaidCommit(e.testEnv, e.product, 100)
		c["payment_gate_config"] = tc.gate
		st, body := e.do("POST", "/v2/contracts/edit", map[string]any{"customer_id": e.cust, "contract_id": e.contract, "add_commits": []any{c}})
		var msg struct{ Message string }
		json.Unmarshal(body, &msg) //nolint:errcheck
		if st != 400 || !strings.HasPrefix(msg.Message, tc.want) {
			t.Errorf("%v: %d %s, want 400 starting %q", tc.gate, st, body, tc.want)
		}
	}
}

// Until the upgrade is finalized, a STRIPE gate paid by invoice (the
// default without stripe_config) is refused with a 400 that says to send
// payment_type PAYMENT_INTENT, as scheduled_charges_on_usage_invoices asks
// for ALL; with it the purchase goes through.
func TestStripeInvoiceNeedsFinalizedUpgrade(t *testing.T) {
	node := newFakeNode(mustTime(t, "2026-01-02T00:00:00Z"))
	t.Cleanup(node.eng.Close)
	e := startServer(t, node)
	_, purchase, rc := scenarioACatalog(e)
	cust := e.create("/v1/customers", map[string]any{"name": "S", "customer_billing_provider_configurations": []any{map[string]any{
		"billing_provider": "stripe", "delivery_method": "direct_to_billing_provider", "configuration": map[string]any{"stripe_customer_id": "cus_1"}}}})
	contract := e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": "2026-01-01T00:00:00Z",
		"scheduled_charges_on_usage_invoices": "ALL"})
	node.mu.Lock()
	node.proposeErr = cluster.ErrUpgradeNotFinalized
	node.mu.Unlock()
	c := prepaidCommit(e, purchase, 100)
	c["payment_gate_config"] = map[string]any{"payment_gate_type": "STRIPE"}
	st, body := e.do("POST", "/v2/contracts/edit", map[string]any{"customer_id": cust, "contract_id": contract, "add_commits": []any{c}})
	if st != 400 || !strings.Contains(string(body), `payment_gate_config.stripe_config: a STRIPE gate paid through a Stripe invoice`) ||
		!strings.Contains(string(body), `PAYMENT_INTENT`) {
		t.Fatalf("not finalized: %d %s", st, body)
	}
	node.mu.Lock()
	node.proposeErr = nil
	node.mu.Unlock()
	c["payment_gate_config"] = piGate()
	e.ok("POST", "/v2/contracts/edit", map[string]any{"customer_id": cust, "contract_id": contract, "add_commits": []any{c}}, nil)
}
