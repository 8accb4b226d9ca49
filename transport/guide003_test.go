package transport

import (
	"fmt"
	"testing"
	"time"
)

// Guide 003, customer-set spend limits (seed 003): every alerts/create and
// alerts/archive call works as written, and each alert goes in_alarm at
// the guide's threshold and not before.
func TestGuide003SpendLimits(t *testing.T) {
	e := newEnv(t, "2026-01-01T00:00:00Z")
	metric := e.create("/v1/billable-metrics/create", map[string]any{"name": "api_calls", "aggregation_type": "COUNT",
		"event_type_filter": map[string]any{"in_values": []string{"api_call"}}})
	api := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "API calls", "type": "USAGE", "billable_metric_id": metric})
	fixed := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Prepaid", "type": "FIXED"})
	rc := e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "PayGo"})
	e.ok("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": api,
		"starting_at": "2026-01-01T00:00:00Z", "entitled": true, "rate_type": "FLAT", "price": 100}, nil)
	customer := func(alias string, extra map[string]any) string {
		id := e.create("/v1/customers", map[string]any{"name": alias, "ingest_aliases": []string{alias}})
		body := map[string]any{"customer_id": id, "rate_card_id": rc, "starting_at": "2026-01-01T00:00:00Z"}
		for k, v := range extra {
			body[k] = v
		}
		e.create("/v1/contracts/create", body)
		return id
	}
	status := func(cust, alert string) string {
		var out struct {
			Data struct {
				CustomerStatus *string `json:"customer_status"`
			} `json:"data"`
		}
		e.ok("POST", "/v1/customer-alerts/get", map[string]any{"customer_id": cust, "alert_id": alert}, &out)
		if out.Data.CustomerStatus == nil {
			return "null"
		}
		return *out.Data.CustomerStatus
	}
	// waitStatus waits for an alert's status (alerts are evaluated as
	// usage is rated, on the customer's shard).
	waitStatus := func(cust, alert, want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for status(cust, alert) != want {
			if time.Now().After(deadline) {
				t.Fatalf("alert %s: %s, want %s", alert, status(cust, alert), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	use := func(alias, prefix string, n int) { ingestAll(e, alias, prefix, n, "2026-01-02T00:00:00Z") }
	alert := func(body, cust string) string { return e.create("/v1/alerts/create", fmt.Sprintf(body, cust)) }

	// Soft and hard limits.
	paygo := customer("paygo", nil)
	soft := alert(`{
"alert_type": "spend_threshold_reached",
"credit_type_id": "2714e483-4ff1-48e4-9e25-ac732e8f24f2",
"name": "SOFT spend threshold",
"threshold": 5000,
"customer_id": %q
}`, paygo)
	hard := alert(`{
"alert_type": "spend_threshold_reached",
"credit_type_id": "2714e483-4ff1-48e4-9e25-ac732e8f24f2",
"name": "HARD spend threshold",
"threshold": 10000,
"customer_id": %q
}`, paygo)
	use("paygo", "s", 49)
	waitStatus(paygo, soft, "ok")
	use("paygo", "t", 11) // 6000 cents
	waitStatus(paygo, soft, "in_alarm")
	waitStatus(paygo, hard, "ok")
	use("paygo", "u", 40) // 10000 cents
	waitStatus(paygo, hard, "in_alarm")
	e.ok("POST", "/v1/alerts/archive", fmt.Sprintf(`{
"id": %q
}`, hard), nil)
	if st := status(paygo, hard); st != "null" {
		t.Fatalf("archived alert status %s, want null", st)
	}
	var list struct{ Data []map[string]any }
	e.ok("POST", "/v1/customer-alerts/list", map[string]any{"customer_id": paygo}, &list)
	if len(list.Data) != 1 {
		t.Fatalf("enabled alerts after the archive: %+v", list.Data)
	}

	// Commit balance: a prepaid commit of 2000; the alert at 500 fires once
	// 1500 is spent.
	committed := customer("committed", map[string]any{"commits": []any{map[string]any{"type": "PREPAID", "product_id": fixed,
		"access_schedule": map[string]any{"schedule_items": []any{map[string]any{"amount": 2000,
			"starting_at": "2026-01-01T00:00:00Z", "ending_before": "2027-01-01T00:00:00Z"}}}}}})
	low := alert(`{
"alert_type": "low_remaining_commit_balance_reached",
"credit_type_id": "2714e483-4ff1-48e4-9e25-ac732e8f24f2",
"name": "Commitment Balance Alert",
"threshold": 500,
"customer_id": %q
}`, committed)
	use("committed", "c", 14)
	waitStatus(committed, low, "ok")
	use("committed", "d", 1) // 1500 spent: 500 left
	waitStatus(committed, low, "in_alarm")

	// Invoice total after a 5000 credit: reaches 10000 at 15000 of usage.
	credited := customer("credited", map[string]any{"credits": []any{map[string]any{"product_id": fixed,
		"access_schedule": map[string]any{"schedule_items": []any{map[string]any{"amount": 5000,
			"starting_at": "2026-01-01T00:00:00Z", "ending_before": "2027-01-01T00:00:00Z"}}}}}})
	total := alert(`{
"alert_type": "invoice_total_reached",
"credit_type_id": "2714e483-4ff1-48e4-9e25-ac732e8f24f2",
"name": "$100 usage invoice total reached alert",
"threshold": 10000,
"customer_id": %q,
"invoice_types_filter": ["USAGE"]
}`, credited)
	use("credited", "i", 149)
	waitStatus(credited, total, "ok")
	use("credited", "j", 1)
	waitStatus(credited, total, "in_alarm")
}
