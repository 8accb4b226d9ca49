package transport

import (
	"fmt"
	"strings"
	"testing"
)

// Scenario B (seed 001) over HTTP, steps 1, 2, 4, 5 (gate NONE) and 6, with
// the test clock across the month boundary: the contract with a Team Plan
// subscription and a pooled recurring AI credit, a seat added by
// /v2/contracts/edit, the pool drained, a top-up pack, April's grant
// expiring and May's arriving.
func TestHTTPScenarioBSeats(t *testing.T) {
	e := newEnv(t, "2026-04-01T00:00:00Z")
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
	rate := func(product string, price any, extra ...any) map[string]any {
		r := map[string]any{"product_id": product, "starting_at": apr, "entitled": true, "rate_type": "FLAT", "price": price, "credit_type_id": ai}
		for i := 0; i < len(extra); i += 2 {
			r[extra[i].(string)] = extra[i+1]
		}
		return r
	}
	e.ok("POST", "/v1/contract-pricing/rate-cards/addRates", map[string]any{"rate_card_id": rc, "rates": []any{
		rate(products["assist"], 1), rate(products["preview"], 2), rate(products["summary"], 5),
		rate(team, 1000, "rate_type", "SUBSCRIPTION", "billing_frequency", "MONTHLY", "is_prorated", true, "credit_type_id", "2714e483-4ff1-48e4-9e25-ac732e8f24f2"),
		rate(team, 10000, "rate_type", "SUBSCRIPTION", "billing_frequency", "ANNUAL", "is_prorated", true, "credit_type_id", "2714e483-4ff1-48e4-9e25-ac732e8f24f2"),
	}}, nil)
	cust := e.create("/v1/customers", map[string]any{"name": "SeatsCo customer", "ingest_aliases": []string{"seatsco"}})

	// Step 1.
	contract := e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": apr, "prepaid_only": true,
		"subscriptions": []any{map[string]any{"temporary_id": "team-plan", "collection_schedule": "ADVANCE", "initial_quantity": 4,
			"subscription_rate": map[string]any{"product_id": team, "billing_frequency": "ANNUAL"},
			"proration":         map[string]any{"is_prorated": true, "invoice_behavior": "BILL_IMMEDIATELY"}}},
		"recurring_credits": []any{map[string]any{"product_id": pack, "name": "Monthly AI credits", "priority": 1, "starting_at": apr,
			"applicable_product_tags": []string{"ai"}, "recurrence_frequency": "MONTHLY",
			"access_amount":   map[string]any{"credit_type_id": ai, "unit_price": 100},
			"commit_duration": map[string]any{"value": 1, "unit": "PERIODS"},
			"subscription_config": map[string]any{"subscription_id": "team-plan", "allocation": "POOLED",
				"apply_seat_increase_config": map[string]any{"is_prorated": true}}}},
	})
	if c := e.check(cust, products["summary"]); !c.Entitled || c.Balance != "400" {
		t.Fatalf("step 1: %+v", c)
	}
	subLines := func() string {
		var out []string
		for _, inv := range e.invoices(cust, "") {
			for _, l := range inv.LineItems {
				if l.Type == "subscription" {
					out = append(out, fmt.Sprintf("%s %sx%s=%s", inv.StartTimestamp[:10], l.Quantity.String(), l.UnitPrice.String(), l.Total))
				}
			}
		}
		return strings.Join(out, ", ")
	}
	if got, want := subLines(), "2026-04-01 4x10000=40000"; got != want {
		t.Fatalf("step 1 lines %q, want %q", got, want)
	}
	var k struct {
		Data struct {
			Subscriptions []struct {
				ID               string           `json:"id"`
				QuantitySchedule []map[string]any `json:"quantity_schedule"`
			} `json:"subscriptions"`
		} `json:"data"`
	}
	e.ok("POST", "/v1/contracts/get", map[string]any{"customer_id": cust, "contract_id": contract}, &k)
	if len(k.Data.Subscriptions) != 1 {
		t.Fatalf("subscriptions: %+v", k.Data)
	}
	subID := k.Data.Subscriptions[0].ID

	// Step 2: a fifth seat on 2026-04-16.
	e.setClock(e.at("2026-04-16T00:00:00Z"))
	e.create("/v2/contracts/edit", map[string]any{"customer_id": cust, "contract_id": contract, "update_subscriptions": []any{
		map[string]any{"subscription_id": subID, "quantity_updates": []any{map[string]any{"starting_at": e.at("2026-04-16T00:00:00Z"), "quantity_delta": 1}}}}})
	if c := e.check(cust, products["summary"]); c.Balance != "450" {
		t.Fatalf("step 2 pool: %+v", c)
	}
	if got, want := subLines(), "2026-04-01 4x10000=40000, 2026-04-01 1x10000=9589.04"; got != want {
		t.Fatalf("step 2 lines %q, want %q", got, want)
	}

	// Step 4: 90 summaries (450 credits) by three users empty the pool.
	evs := make([]map[string]any, 90)
	for i := range evs {
		evs[i] = map[string]any{"transaction_id": fmt.Sprintf("s-%d", i), "customer_id": "seatsco", "event_type": "summary",
			"timestamp": e.at("2026-04-17T00:00:00Z"), "properties": map[string]any{"user_id": []string{"user_1234", "u2", "u3"}[i%3]}}
	}
	e.ok("POST", "/v1/ingest", evs, nil)
	for _, p := range []string{"assist", "preview", "summary"} {
		if c := e.check(cust, products[p]); c.Entitled || c.Reason != "balance_depleted" {
			t.Fatalf("step 4 %s: %+v", p, c)
		}
	}
	if c := e.check(cust, team); !c.Entitled {
		t.Fatalf("step 4 team plan: %+v", c)
	}

	// Step 5: the top-up pack, priority 10, for a year.
	e.setClock(e.at("2026-04-20T00:00:00Z"))
	e.create("/v2/contracts/edit", map[string]any{"customer_id": cust, "contract_id": contract, "add_credits": []any{map[string]any{
		"product_id": pack, "name": "Top-up pack", "priority": 10, "applicable_product_tags": []string{"ai"},
		"access_schedule": map[string]any{"credit_type_id": ai, "schedule_items": []any{map[string]any{"amount": 1000,
			"starting_at": e.at("2026-04-20T00:00:00Z"), "ending_before": e.at("2027-04-20T00:00:00Z")}}}}}})
	if c := e.check(cust, products["assist"]); !c.Entitled || c.Balance != "1000" {
		t.Fatalf("step 5: %+v", c)
	}

	// Step 6: on May 1st April's grant expires and 500 credits arrive; May's
	// usage draws the pool, not the pack.
	e.setClock(e.at("2026-05-01T00:00:00Z"))
	if c := e.check(cust, products["assist"]); c.Balance != "1500" {
		t.Fatalf("step 6: %+v", c)
	}
	e.ok("POST", "/v1/ingest", []map[string]any{{"transaction_id": "m-1", "customer_id": "seatsco", "event_type": "assist",
		"timestamp": e.at("2026-05-01T00:00:00Z"), "properties": map[string]any{"user_id": "u2"}}}, nil)
	var pool, topup *balanceItem
	for _, b := range e.balances(cust) {
		b := b
		if b.Type != "CREDIT" {
			continue
		}
		if len(b.Ledger) > 0 && b.Ledger[0].Amount.String() == "1000" {
			topup = &b
		} else {
			pool = &b
		}
	}
	if pool == nil || topup == nil || pool.Balance.String() != "499" || topup.Balance.String() != "1000" {
		t.Fatalf("step 6 balances: pool %+v pack %+v", pool, topup)
	}
	var types []string
	for _, l := range pool.Ledger {
		types = append(types, l.Type+" "+l.Amount.String())
	}
	// Deductions are dated at their invoice's start (balance.go), so April's
	// comes before the seat adjustment of the 16th.
	want := "CREDIT_SEGMENT_START 400, CREDIT_AUTOMATED_INVOICE_DEDUCTION -450, CREDIT_SEAT_BASED_ADJUSTMENT 50, CREDIT_EXPIRATION 0, " +
		"CREDIT_SEGMENT_START 500, CREDIT_AUTOMATED_INVOICE_DEDUCTION -1"
	if strings.Join(types, ", ") != want {
		t.Fatalf("pool ledger %s, want %s", strings.Join(types, ", "), want)
	}
	// The annual subscription bills nothing in May.
	if got := subLines(); strings.Contains(got, "2026-05") {
		t.Fatalf("May lines %q", got)
	}
	// Refused at the edge by name: seat-based quantity management.
	st, body := e.do("POST", "/v2/contracts/edit", map[string]any{"customer_id": cust, "contract_id": contract,
		"add_subscriptions": []any{map[string]any{"quantity_management_mode": "SEAT_BASED", "collection_schedule": "ADVANCE",
			"subscription_rate": map[string]any{"product_id": team, "billing_frequency": "MONTHLY"}, "proration": map[string]any{"is_prorated": true}}}})
	if st != 400 || !strings.Contains(string(body), "add_subscriptions[0].quantity_management_mode") {
		t.Fatalf("SEAT_BASED: %d %s", st, body)
	}
}
