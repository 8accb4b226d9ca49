package transport

import (
	"fmt"
	"testing"
)

// Scenario B step 5 with an EXTERNAL gate over HTTP: the top-up pack (1000
// AI credits, priority 10, a year) is bought with /v2/contracts/edit
// add_commits, an 8000-cent invoice and payment_gate_config EXTERNAL. The
// signed external_initiate webhook carries the workflow; while pending the
// pack is listed with balance 0 and the AI products stay balance_depleted;
// released paid they are entitled again, and May's pooled credits
// (priority 1) are consumed before the pack.
func TestHTTPScenarioBStep5ExternalGate(t *testing.T) {
	e := newEnv(t, "2026-04-01T00:00:00Z")
	rcv := newHookReceiver(t, "whsec_b")
	e.ok("POST", "/v1/webhooks/create", map[string]any{"url": rcv.srv.URL, "secret": "whsec_b"}, nil)
	apr := e.at("2026-04-01T00:00:00Z")
	ai := e.create("/v1/credit-types/create", map[string]any{"name": "AI credits"})
	products := map[string]string{}
	for _, p := range []struct{ name, ev string }{{"AI Assistant", "assist"}, {"AI Preview", "preview"}, {"AI Summary", "summary"}} {
		m := e.create("/v1/billable-metrics/create", map[string]any{"name": p.name, "aggregation_type": "COUNT",
			"event_type_filter": map[string]any{"in_values": []string{p.ev}}, "group_keys": [][]string{{"user_id"}}})
		products[p.ev] = e.create("/v1/contract-pricing/products/create", map[string]any{"name": p.name, "type": "USAGE", "billable_metric_id": m, "tags": []string{"ai"}})
	}
	team := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Team Plan", "type": "SUBSCRIPTION"})
	pack := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "AI credits", "type": "FIXED"})
	rc := e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "SeatsCo",
		"credit_type_conversions": []any{map[string]any{"custom_credit_type_id": ai, "fiat_per_custom_credit": 10}}})
	rate := func(product string, price any) map[string]any {
		return map[string]any{"product_id": product, "starting_at": apr, "entitled": true, "rate_type": "FLAT", "price": price, "credit_type_id": ai}
	}
	e.ok("POST", "/v1/contract-pricing/rate-cards/addRates", map[string]any{"rate_card_id": rc, "rates": []any{
		rate(products["assist"], 1), rate(products["preview"], 2), rate(products["summary"], 5),
		map[string]any{"product_id": team, "starting_at": apr, "entitled": true, "rate_type": "SUBSCRIPTION", "price": 10000,
			"billing_frequency": "ANNUAL", "is_prorated": true},
	}}, nil)
	cust := e.create("/v1/customers", map[string]any{"name": "SeatsCo customer", "ingest_aliases": []string{"seatsco"}})
	contract := e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": apr, "prepaid_only": true,
		"subscriptions": []any{map[string]any{"temporary_id": "team-plan", "collection_schedule": "ADVANCE", "initial_quantity": 5,
			"subscription_rate": map[string]any{"product_id": team, "billing_frequency": "ANNUAL"},
			"proration":         map[string]any{"is_prorated": true, "invoice_behavior": "BILL_IMMEDIATELY"}}},
		"recurring_credits": []any{map[string]any{"product_id": pack, "name": "Monthly AI credits", "priority": 1, "starting_at": apr,
			"applicable_product_tags": []string{"ai"}, "recurrence_frequency": "MONTHLY",
			"access_amount":   map[string]any{"credit_type_id": ai, "unit_price": 100},
			"commit_duration": map[string]any{"value": 1, "unit": "PERIODS"},
			"subscription_config": map[string]any{"subscription_id": "team-plan", "allocation": "POOLED",
				"apply_seat_increase_config": map[string]any{"is_prorated": true}}}},
	})
	use := func(ev, prefix string, n int, ts string) {
		evs := make([]map[string]any, n)
		for i := range evs {
			evs[i] = map[string]any{"transaction_id": fmt.Sprintf("%s-%d", prefix, i), "customer_id": "seatsco", "event_type": ev,
				"timestamp": e.at(ts), "properties": map[string]any{"user_id": []string{"user_1234", "u2", "u3"}[i%3]}}
		}
		e.ok("POST", "/v1/ingest", evs, nil)
	}
	// Step 4: 100 summaries (500 credits) empty the pool of 5 seats.
	e.setClock(e.at("2026-04-17T00:00:00Z"))
	use("summary", "s", 100, "2026-04-17T00:00:00Z")
	if c := e.check(cust, products["summary"]); c.Entitled || c.Reason != "balance_depleted" {
		t.Fatalf("step 4: %+v", c)
	}

	// Step 5: the pack through an EXTERNAL gate, 8000 cents invoiced.
	e.setClock(e.at("2026-04-20T00:00:00Z"))
	e.ok("POST", "/v2/contracts/edit", map[string]any{"customer_id": cust, "contract_id": contract, "add_commits": []any{map[string]any{
		"type": "PREPAID", "product_id": pack, "name": "Top-up pack", "priority": 10, "applicable_product_tags": []string{"ai"},
		"access_schedule": map[string]any{"credit_type_id": ai, "schedule_items": []any{map[string]any{"amount": 1000,
			"starting_at": e.at("2026-04-20T00:00:00Z"), "ending_before": e.at("2027-04-20T00:00:00Z")}}},
		"invoice_schedule":    map[string]any{"schedule_items": []any{map[string]any{"timestamp": e.at("2026-04-20T00:00:00Z"), "amount": 8000}}},
		"payment_gate_config": map[string]any{"payment_gate_type": "EXTERNAL"}}}}, nil)
	got := rcv.wait(1)
	if got[0].Type != "payment_gate.external_initiate" || got[0].Properties["invoice_total"] != 8000.0 ||
		got[0].Properties["workflow_type"] != "manual_commit" || got[0].Properties["contract_id"] != contract {
		t.Fatalf("step 5 initiate: %+v", got[0])
	}
	for _, p := range []string{"assist", "preview", "summary"} {
		if c := e.check(cust, products[p]); c.Entitled || c.Reason != "balance_depleted" || c.Balance != "0" {
			t.Fatalf("step 5 pending, %s: %+v", p, c)
		}
	}
	var list struct{ Data []gatedItem }
	e.ok("POST", "/v1/contracts/customerBalances/list", map[string]any{"customer_id": cust, "include_contract_balances": true, "include_balance": true}, &list)
	var pending *gatedItem
	for i := range list.Data {
		if list.Data[i].PaymentGateStatus != "" {
			pending = &list.Data[i]
		}
	}
	if pending == nil || pending.PaymentGateStatus != "pending" || string(*pending.Balance) != "0" {
		t.Fatalf("step 5 balances: %+v", list.Data)
	}

	var out struct{ Data releaseOut }
	e.ok("POST", "/v1/contracts/commits/threshold-billing/release", map[string]any{"workflow_id": got[0].Properties["workflow_id"], "outcome": "paid"}, &out)
	if out.Data.PaymentGateStatus != "paid" || out.Data.CommitID != pending.ID {
		t.Fatalf("step 5 release: %+v", out.Data)
	}
	if st := rcv.wait(2)[1]; st.Type != "payment_gate.payment_status" || st.Properties["payment_status"] != "paid" {
		t.Fatalf("step 5 status: %+v", st)
	}
	for _, p := range []string{"assist", "preview", "summary"} {
		if c := e.check(cust, products[p]); !c.Entitled || c.Balance != "1000" {
			t.Fatalf("step 5 paid, %s: %+v", p, c)
		}
	}

	// Step 6: on May 1st 500 pooled credits arrive; May's usage draws them
	// (priority 1) before the pack (priority 10).
	e.setClock(e.at("2026-05-01T00:00:00Z"))
	use("assist", "m", 3, "2026-05-01T00:00:00Z")
	var pool, topup string
	for _, b := range e.balances(cust) {
		switch {
		case b.ID == pending.ID:
			topup = string(*b.Balance)
		case b.Type == "CREDIT":
			pool = string(*b.Balance)
		}
	}
	if pool != "497" || topup != "1000" {
		t.Fatalf("step 6: pool %s pack %s, want 497 and 1000", pool, topup)
	}
	if c := e.check(cust, products["assist"]); !c.Entitled || c.Balance != "1497" {
		t.Fatalf("step 6: %+v", c)
	}
}
