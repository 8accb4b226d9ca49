package transport

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// Guide 004, pay-as-you-go with an upgrade (seed 004): the customer with a
// legacy billing_config, the Basic contract whose override takes the
// premium products away, updateEndDate, and the Best contract whose
// monthly charge amount is the string "10000": all work as written.
func TestGuide004PayGo(t *testing.T) {
	e := newEnv(t, "2024-10-01T00:00:00Z")
	products := map[string]string{}
	rc := e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "AutoSales"})
	for _, p := range []struct {
		name  string
		price int
		tags  []string
	}{{"Email generation", 10, nil}, {"Spreadsheet updates", 15, nil}, {"Automated reminders", 20, []string{"premium"}}, {"Slack integration", 10, []string{"premium"}}} {
		metric := e.create("/v1/billable-metrics/create", map[string]any{"name": p.name, "aggregation_type": "count",
			"event_type_filter": map[string]any{"in_values": []string{p.name}}})
		products[p.name] = e.create("/v1/contract-pricing/products/create", map[string]any{"name": p.name, "type": "USAGE", "billable_metric_id": metric, "tags": p.tags})
		e.ok("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": products[p.name],
			"starting_at": "2024-01-01T00:00:00Z", "entitled": true, "rate_type": "FLAT", "price": p.price}, nil)
	}
	aiModel := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "AI model", "type": "FIXED"})

	cust := e.create("/v1/customers", `{
"ingest_aliases": [
"team@customer.com"
],
"name": "First Customer",
"billing_config": {
"billing_provider_type": "stripe",
"billing_provider_customer_id": "stripe001",
"stripe_collection_method": "send_invoice"
}
}`)
	basic := e.create("/v1/contracts/create", fmt.Sprintf(`{
"customer_id": %q,
"rate_card_id": %q,
"starting_at": "2024-10-01T00:00:00Z",
"name": "Basic Contract",
"overrides": [
{
"starting_at": "2024-10-01T00:00:00Z",
"entitled": false,
"applicable_product_tags": [
"premium"
]
}
]
}`, cust, rc))
	alias := url.QueryEscape("team@customer.com")
	for name, want := range map[string]bool{"Email generation": true, "Spreadsheet updates": true, "Automated reminders": false, "Slack integration": false} {
		if c := e.check(alias, products[name]); c.Entitled != want {
			t.Errorf("Basic, %s: %+v, want entitled %v", name, c, want)
		}
	}
	e.setClock("2024-10-15T00:00:00Z")
	e.ok("POST", "/v1/ingest", usageEvents("Email generation", "oct", 100, "2024-10-15T00:00:00Z"), nil)
	if invs := e.invoices(cust, "?contract_id="+basic); len(invs) != 1 || string(invs[0].Total) != "1000" {
		t.Fatalf("October on Basic: %+v", invs)
	}

	// The upgrade.
	e.setClock("2025-01-15T00:00:00Z")
	e.ok("POST", "/v1/contracts/updateEndDate", fmt.Sprintf(`{
"customer_id": %q,
"contract_id": %q,
"ending_before": "2025-02-01T00:00:00Z"
}`, cust, basic), nil)
	best := e.create("/v1/contracts/create", fmt.Sprintf(`{
"customer_id": %q,
"rate_card_id": %q,
"starting_at": "2025-02-01T00:00:00Z",
"ending_at": "2025-08-01T00:00:00Z",
"name": "Best Contract",
"scheduled_charges": [
{
"product_id": %q,
"schedule": {
"recurring_schedule": {
"starting_at": "2025-02-01T00:00:00Z",
"ending_before": "2025-08-01T00:00:00Z",
"frequency": "monthly",
"amount": "10000",
"amount_distribution": "each"
}
}
}
]
}`, cust, rc, aiModel))
	var k struct {
		Data struct {
			Current struct {
				EndingBefore string `json:"ending_before"`
			} `json:"current"`
		} `json:"data"`
	}
	e.ok("POST", "/v1/contracts/get", map[string]any{"customer_id": cust, "contract_id": best}, &k)
	if k.Data.Current.EndingBefore != "2025-08-01T00:00:00Z" {
		t.Fatalf("Best contract ends %q, want 2025-08-01 (its ending_at)", k.Data.Current.EndingBefore)
	}
	e.setClock("2025-02-01T00:00:00Z")
	if c := e.check(alias, products["Automated reminders"]); !c.Entitled {
		t.Fatalf("reminders on Best: %+v", c)
	}
	// Six monthly charges of 10000 (on whichever invoices carry them).
	var charges []string
	for _, inv := range e.invoices(cust, "?contract_id="+best+"&limit=100") {
		for _, l := range inv.LineItems {
			if l.Type == "scheduled" && l.ProductID == aiModel {
				charges = append(charges, string(l.Total))
			}
		}
	}
	if got := strings.Join(charges, " "); got != "10000 10000 10000 10000 10000 10000" {
		t.Fatalf("Best contract charges %q, want six of 10000", got)
	}

	// A string holding a number goes through the same grammar and bounds
	// as a number.
	for _, lit := range hostileNumbers {
		st, body := e.do("POST", "/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": "2025-08-01T00:00:00Z",
			"scheduled_charges": []any{map[string]any{"product_id": aiModel, "schedule": map[string]any{"schedule_items": []any{
				map[string]any{"timestamp": "2025-08-01T00:00:00Z", "amount": lit}}}}}})
		if st != 400 || !contains(body, `"scheduled_charges[0].schedule.schedule_items[0].amount: a string here must hold a number: `) {
			t.Errorf("amount %.40q: %d %.200s", lit, st, body)
		}
	}
}
