package transport

import (
	"fmt"
	"testing"

	"burndown/engine"
)

// The alert steps of scenarios A (step 5) and B (steps 3 and 7) through the
// HTTP API, with a receiver that checks every signature: a balance alert
// fires exactly once when the balance reaches its threshold, and a spend
// alert scoped to one user's group value is a hard limit for that user only.
func TestHTTPAlertStepsOfScenariosAB(t *testing.T) {
	e := newEnv(t, "2026-01-05T00:00:00Z")
	rcv := newHookReceiver(t, "whsec_ab")
	e.ok("POST", "/v1/webhooks/create", map[string]any{"url": rcv.srv.URL, "secret": "whsec_ab"}, nil)
	start, now := e.at("2026-01-01T00:00:00Z"), e.at("2026-01-05T00:00:00Z")
	metric := e.create("/v1/billable-metrics/create", map[string]any{"name": "calls", "event_type_filter": map[string]any{"in_values": []string{"api_call"}},
		"group_keys": [][]string{{"user_id"}}})
	product := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "API calls", "type": "USAGE", "billable_metric_id": metric,
		"presentation_group_key": []string{"user_id"}})
	fixed := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Credit purchase", "type": "FIXED"})
	rc := e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "Prepaid"})
	e.ok("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": product, "starting_at": start,
		"entitled": true, "rate_type": "FLAT", "price": 1}, nil)

	// Scenario A step 5: a prepaid-only customer with 2000, an alert at 0.
	a := e.create("/v1/customers", map[string]any{"name": "Example Inc", "ingest_aliases": []string{"example-inc"}})
	e.create("/v1/contracts/create", map[string]any{"customer_id": a, "rate_card_id": rc, "starting_at": start, "prepaid_only": true,
		"commits": []any{map[string]any{"type": "PREPAID", "product_id": fixed, "access_schedule": map[string]any{"schedule_items": []any{
			map[string]any{"amount": 2000, "starting_at": start, "ending_before": e.at("2027-01-01T00:00:00Z")}}}}}})
	low := e.create("/v1/alerts/create", map[string]any{"alert_type": "low_remaining_contract_credit_and_commit_balance_reached",
		"name": "empty", "threshold": 0, "customer_id": a, "credit_type_id": engine.USDCreditTypeID})
	ingestInBatches(e, userEvents("example-inc", "a", 0, 1500, "u1", now))
	if c := e.check("example-inc", product); !c.Entitled || c.Balance != "500" {
		t.Fatalf("after 1500: %+v", c)
	}
	ingestInBatches(e, userEvents("example-inc", "a", 1500, 600, "u1", now))
	got := rcv.wait(1)
	if got[0].Type != "alerts.low_remaining_contract_credit_and_commit_balance_reached" || got[0].Properties["alert_id"] != low {
		t.Fatalf("balance webhook: %+v", got[0])
	}
	if c := e.check("example-inc", product); c.Entitled || c.Reason != "balance_depleted" || c.Balance != "0" {
		t.Fatalf("after 2100: %+v", c)
	}

	// Scenario B step 7: a per-user cap of 10 on a PayGo customer.
	b := e.create("/v1/customers", map[string]any{"name": "SeatsCo", "ingest_aliases": []string{"seatsco"}})
	e.create("/v1/contracts/create", map[string]any{"customer_id": b, "rate_card_id": rc, "starting_at": start})
	capAlert := e.create("/v1/alerts/create", map[string]any{"alert_type": "spend_threshold_reached", "name": "per-user cap", "threshold": 10,
		"customer_id": b, "credit_type_id": engine.USDCreditTypeID, "block_on_alarm": true, "group_values": []any{map[string]any{"key": "user_id", "value": "user_1234"}}})
	ingestInBatches(e, userEvents("seatsco", "b", 0, 10, "user_1234", now))
	ingestInBatches(e, userEvents("seatsco", "c", 0, 30, "user_9", now))
	got = rcv.wait(2)
	if got[1].Type != "alerts.spend_threshold_reached" || got[1].Properties["alert_id"] != capAlert {
		t.Fatalf("cap webhook: %+v", got[1])
	}
	var capped, other checkResult
	e.ok("GET", "/v1/entitlements/check?customer_id=seatsco&product_id="+product+"&group_key=user_id&group_value=user_1234", nil, &capped)
	e.ok("GET", "/v1/entitlements/check?customer_id=seatsco&product_id="+product+"&group_key=user_id&group_value=user_9", nil, &other)
	if capped.Entitled || capped.Reason != "limit_reached" || !other.Entitled {
		t.Fatalf("user_1234 %+v, user_9 %+v: only the capped user is limited", capped, other)
	}
}

// userEvents are n api_call events of one user_id.
func userEvents(customer, prefix string, from, n int, user, ts string) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"transaction_id": fmt.Sprintf("%s-%d", prefix, from+i), "customer_id": customer,
			"event_type": "api_call", "timestamp": ts, "properties": map[string]any{"user_id": user}}
	}
	return out
}

// ingestInBatches sends events as requests of at most 100, as a client must.
func ingestInBatches(e *testEnv, evs []map[string]any) {
	e.t.Helper()
	for len(evs) > 0 {
		n := min(len(evs), 100)
		e.ok("POST", "/v1/ingest", evs[:n], nil)
		evs = evs[n:]
	}
}
