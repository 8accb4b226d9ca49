package transport

import (
	"strings"
	"testing"
)

type gatedItem struct {
	ID                string      `json:"id"`
	Balance           *jsonNumber `json:"balance"`
	PaymentGateStatus string      `json:"payment_gate_status"`
	VoidReason        string      `json:"void_reason"`
}

// Scenario A steps 2, 3, 6 and 7 through the HTTP API: webhooks arrive at a
// receiver checking signatures; customerBalances/list shows the pending and
// voided purchases with balance 0 and their gate status.
func TestHTTPScenarioAPaymentGates(t *testing.T) {
	e := newEnv(t, "2026-01-02T00:00:00Z")
	rcv := newHookReceiver(t, "whsec_pay")
	e.ok("POST", "/v1/webhooks/create", map[string]any{"url": rcv.srv.URL, "secret": "whsec_pay"}, nil)
	api, purchase, rc := scenarioACatalog(e)
	cust := e.create("/v1/customers", map[string]any{"name": "Example Inc", "ingest_aliases": []string{"example-inc"}})
	contract := e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"), "prepaid_only": true})
	buy := func(amount int) {
		e.ok("POST", "/v2/contracts/edit", map[string]any{"customer_id": cust, "contract_id": contract, "add_commits": []any{map[string]any{
			"type": "PREPAID", "product_id": purchase, "payment_gate_config": map[string]any{"payment_gate_type": "EXTERNAL"},
			"access_schedule": map[string]any{"schedule_items": []any{map[string]any{"amount": amount,
				"starting_at": e.at("2026-01-01T00:00:00Z"), "ending_before": e.at("2027-01-01T00:00:00Z")}}}}}}, nil)
	}
	release := func(wf, outcome string) releaseOut {
		var out struct{ Data releaseOut }
		e.ok("POST", "/v1/contracts/commits/threshold-billing/release", map[string]any{"workflow_id": wf, "outcome": outcome}, &out)
		return out.Data
	}

	// Step 2.
	buy(2000)
	got := rcv.wait(1)
	if got[0].Type != "payment_gate.external_initiate" || got[0].Properties["invoice_total"] != 2000.0 || got[0].Properties["contract_id"] != contract {
		t.Fatalf("step 2: %+v", got[0])
	}
	wf := got[0].Properties["workflow_id"].(string)
	if c := e.check(cust, api); c.Entitled || c.Balance != "0" {
		t.Fatalf("step 2: %+v", c)
	}
	var list struct{ Data []gatedItem }
	e.ok("POST", "/v1/contracts/customerBalances/list", map[string]any{"customer_id": cust, "include_contract_balances": true, "include_balance": true}, &list)
	if len(list.Data) != 1 || list.Data[0].PaymentGateStatus != "pending" || string(*list.Data[0].Balance) != "0" {
		t.Fatalf("step 2 balances: %+v", list.Data)
	}

	// Step 3.
	if r := release(wf, "paid"); r.PaymentGateStatus != "paid" {
		t.Fatalf("step 3: %+v", r)
	}
	got = rcv.wait(2)
	if got[1].Type != "payment_gate.payment_status" || got[1].Properties["payment_status"] != "paid" {
		t.Fatalf("step 3: %+v", got[1])
	}
	if c := e.check(cust, api); !c.Entitled || c.Balance != "2000" {
		t.Fatalf("step 3: %+v", c)
	}

	// Step 6: released failed, twice, then paid: voided, credits nothing.
	buy(1000)
	got = rcv.wait(3)
	wf2 := got[2].Properties["workflow_id"].(string)
	for _, outcome := range []string{"failed", "failed", "paid"} {
		if r := release(wf2, outcome); r.PaymentGateStatus != "failed" {
			t.Fatalf("step 6: %s answered %+v", outcome, r)
		}
	}
	got = rcv.wait(4)
	if got[3].Properties["payment_status"] != "failed" {
		t.Fatalf("step 6: %+v", got[3])
	}
	if c := e.check(cust, api); c.Balance != "2000" {
		t.Fatalf("step 6: %+v", c)
	}
	e.ok("POST", "/v1/contracts/customerBalances/list", map[string]any{"customer_id": cust, "include_contract_balances": true, "include_balance": true}, &list)
	if len(list.Data) != 2 || list.Data[1].PaymentGateStatus != "failed" || string(*list.Data[1].Balance) != "0" || list.Data[0].PaymentGateStatus != "paid" {
		t.Fatalf("step 6 balances: %+v", list.Data)
	}

	// Step 7: auto-recharge through the edit; spending to the threshold raises one recharge.
	e.ok("POST", "/v2/contracts/edit", map[string]any{"customer_id": cust, "contract_id": contract,
		"add_prepaid_balance_threshold_configuration": map[string]any{"is_enabled": true, "threshold_amount": 500, "recharge_to_amount": 2000,
			"commit": map[string]any{"product_id": purchase}, "payment_gate_config": map[string]any{"payment_gate_type": "EXTERNAL"}}}, nil)
	ingestAll(e, "example-inc", "r", 1600, e.at("2026-01-02T00:00:00Z"))
	got = rcv.wait(5)
	if got[4].Type != "payment_gate.external_initiate" || got[4].Properties["invoice_total"] != 1500.0 || got[4].Properties["workflow_type"] != "prepaid_balance" {
		t.Fatalf("step 7: %+v", got[4])
	}
	release(got[4].Properties["workflow_id"].(string), "paid")
	rcv.wait(6)
	if c := e.check(cust, api); !c.Entitled || c.Balance != "1900" {
		t.Fatalf("step 7: %+v", c)
	}

	// Unknown workflow, bad outcome, STRIPE without a Stripe customer and the old configuration name are refused by name.
	for _, tc := range []struct {
		path string
		body map[string]any
		want string
	}{
		{"/v1/contracts/commits/threshold-billing/release", map[string]any{"workflow_id": "nope", "outcome": "paid"}, "workflow_id: "},
		{"/v1/contracts/commits/threshold-billing/release", map[string]any{"workflow_id": wf, "outcome": "maybe"}, "outcome: "},
		{"/v2/contracts/edit", map[string]any{"customer_id": cust, "contract_id": contract, "add_commits": []any{map[string]any{
			"type": "PREPAID", "product_id": purchase, "payment_gate_config": map[string]any{"payment_gate_type": "STRIPE"},
			"access_schedule": map[string]any{"schedule_items": []any{map[string]any{"amount": 1, "starting_at": e.at("2026-01-01T00:00:00Z"), "ending_before": e.at("2027-01-01T00:00:00Z")}}}}}},
			"add_commits[0].payment_gate_config.payment_gate_type: STRIPE needs the customer's stripe billing provider configuration"},
		{"/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2030-01-01T00:00:00Z"),
			"threshold_billing_configuration": map[string]any{"is_enabled": true}}, "threshold_billing_configuration.commit: is required"},
	} {
		st, body := e.do("POST", tc.path, tc.body)
		if (st != 400 && st != 404) || !strings.Contains(string(body), `"`+tc.want) {
			t.Errorf("%s: %d %s, want a refusal starting %q", tc.path, st, body, tc.want)
		}
	}
}

// Scenario E through the HTTP API: threshold billing on contracts/create.
func TestHTTPScenarioEThresholdBilling(t *testing.T) {
	e := newEnv(t, "2026-01-02T00:00:00Z")
	rcv := newHookReceiver(t, "whsec_e")
	e.ok("POST", "/v1/webhooks/create", map[string]any{"url": rcv.srv.URL, "secret": "whsec_e"}, nil)
	_, purchase, rc := scenarioACatalog(e)
	cust := e.create("/v1/customers", map[string]any{"name": "PayGo", "ingest_aliases": []string{"paygo"}})
	e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"),
		"spend_threshold_configuration": map[string]any{"is_enabled": true, "threshold_amount": 10000,
			"commit": map[string]any{"product_id": purchase, "name": "Threshold charge"}, "payment_gate_config": map[string]any{"payment_gate_type": "EXTERNAL"}}})
	ingestAll(e, "paygo", "a", 10000, e.at("2026-01-02T00:00:00Z"))
	got := rcv.wait(2) // delivered in any order
	byType := map[string]hookPayload{}
	for _, p := range got {
		byType[p.Type] = p
	}
	initiate, ok := byType["payment_gate.external_initiate"]
	if _, reached := byType["payment_gate.threshold_reached"]; !reached || !ok || initiate.Properties["invoice_total"] != 10000.0 {
		t.Fatalf("crossing: %+v", got)
	}
	var out struct{ Data releaseOut }
	e.ok("POST", "/v1/contracts/commits/threshold-billing/release", map[string]any{"workflow_id": initiate.Properties["workflow_id"], "outcome": "paid"}, &out)
	rcv.wait(3)
	invs := e.invoices(cust, "?type=USAGE")
	if len(invs) != 1 || string(invs[0].Total) != "0" {
		t.Fatalf("after the threshold charge the draft is %+v, want total 0", invs)
	}
	// The charge was paid through its own purchase invoice.
	if buy := e.invoices(cust, "?type=SCHEDULED"); len(buy) != 1 || buy[0].ID != initiate.Properties["invoice_id"] || string(buy[0].Total) != "10000" ||
		buy[0].Status != "FINALIZED" || len(buy[0].LineItems) != 1 || buy[0].LineItems[0].Type != "commit_purchase" {
		t.Fatalf("the threshold charge's purchase invoice: %+v", buy)
	}
}

// ingestAll sends n events in requests of 100.
func ingestAll(e *testEnv, customer, prefix string, n int, ts string) {
	e.t.Helper()
	for i := 0; i < n; i += 100 {
		e.ok("POST", "/v1/ingest", events(customer, prefix, i, min(100, n-i), ts), nil)
	}
}
