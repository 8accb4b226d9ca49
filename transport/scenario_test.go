package transport

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"burndown/engine"
)

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// setClock moves the test clock through the API.
func (e *testEnv) setClock(now string) {
	e.t.Helper()
	var out clockOut
	e.ok("POST", "/v1/admin/clock", map[string]string{"now": now}, &out)
	if got, want := mustTime(e.t, out.Now), mustTime(e.t, now); !got.Equal(want) {
		e.t.Fatalf("clock answered %s, want %s", out.Now, now)
	}
}

// events builds n api_call events for customer with transaction ids prefix-i.
func events(customer, prefix string, from, n int, ts string) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"transaction_id": fmt.Sprintf("%s-%d", prefix, from+i), "customer_id": customer,
			"event_type": "api_call", "timestamp": ts, "properties": map[string]any{"n": 1}}
	}
	return out
}

type balanceItem struct {
	ID      string      `json:"id"`
	Type    string      `json:"type"`
	Balance *jsonNumber `json:"balance"`
	Ledger  []struct {
		Type      string     `json:"type"`
		Timestamp string     `json:"timestamp"`
		Amount    jsonNumber `json:"amount"`
	} `json:"ledger"`
}

// balances reads the customer's contract balances with ledgers.
func (e *testEnv) balances(customer string) []balanceItem {
	e.t.Helper()
	var out struct {
		Data     []balanceItem `json:"data"`
		NextPage *string       `json:"next_page"`
	}
	e.ok("POST", "/v1/contracts/customerBalances/list", map[string]any{
		"customer_id": customer, "include_contract_balances": true, "include_balance": true, "include_ledgers": true,
	}, &out)
	return out.Data
}

// scenarioACatalog creates Scenario A's catalog and returns the product ids and rate card.
func scenarioACatalog(e *testEnv) (api, purchase, rc string) {
	metric := e.create("/v1/billable-metrics/create", map[string]any{
		"name": "api_calls", "aggregation_type": "COUNT", "event_type_filter": map[string]any{"in_values": []string{"api_call"}},
	})
	api = e.create("/v1/contract-pricing/products/create", map[string]any{"name": "API calls", "type": "USAGE", "billable_metric_id": metric})
	purchase = e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Credit purchase", "type": "FIXED"})
	rc = e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "Prepaid"})
	e.ok("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{
		"rate_card_id": rc, "product_id": api, "starting_at": e.at("2026-01-01T00:00:00Z"), "entitled": true, "rate_type": "FLAT", "price": 1,
	}, nil)
	return api, purchase, rc
}

func prepaidCommit(e *testEnv, product string, amount int) map[string]any {
	return map[string]any{"type": "PREPAID", "product_id": product, "access_schedule": map[string]any{
		"schedule_items": []map[string]any{{"amount": amount, "starting_at": e.at("2026-01-01T00:00:00Z"), "ending_before": e.at("2027-01-01T00:00:00Z")}},
	}}
}

// Scenario A steps 1, 4, 5 over HTTP (steps 2-3, payment gates, are not built
// yet: the 2000-cent commit is put on the contract directly).
func TestHTTPScenarioA(t *testing.T) {
	e := newEnv(t, "2026-01-01T00:00:00Z")
	api, purchase, rc := scenarioACatalog(e)
	cust := e.create("/v1/customers", map[string]any{
		"name": "Example Inc", "ingest_aliases": []string{"example-inc"},
		"customer_billing_provider_configurations": []map[string]any{{"billing_provider": "stripe", "delivery_method": "direct_to_billing_provider",
			"configuration": map[string]any{"stripe_customer_id": "cus_123", "stripe_collection_method": "charge_automatically"}}},
	})

	// Step 1: prepaid-only contract without any balance.
	e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"),
		"ending_before": e.at("2026-01-01T00:00:01Z"), "prepaid_only": true})
	if c := e.check("example-inc", api); c.Entitled || c.Reason != "balance_depleted" || c.Balance != "0" {
		t.Fatalf("step 1: %+v, want false balance_depleted 0", c)
	}

	// What steps 2-3 produce once paid: a contract with a 2000-cent commit.
	e.setClock(e.at("2026-01-01T00:00:01Z"))
	e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:01Z"),
		"prepaid_only": true, "commits": []any{prepaidCommit(e, purchase, 2000)}})
	if c := e.check("example-inc", api); !c.Entitled || c.Balance != "2000" {
		t.Fatalf("after commit: %+v", c)
	}

	// Step 4: 1500 events as 15 requests of 100 through the alias.
	e.setClock(e.at("2026-01-02T00:00:00Z"))
	var reqs [][]map[string]any
	for i := 0; i < 15; i++ {
		reqs = append(reqs, events("example-inc", "a", i*100, 100, e.at("2026-01-02T00:00:00Z")))
	}
	for _, r := range reqs {
		e.ok("POST", "/v1/ingest", r, nil)
	}
	assertBalance(t, e, cust, "500")
	for _, r := range reqs {
		e.ok("POST", "/v1/ingest", r, nil)
	}
	assertBalance(t, e, cust, "500")
	if c := e.check(cust, api); !c.Entitled || c.Balance != "500" || c.Reason != "ok" {
		t.Fatalf("step 4: %+v", c)
	}

	// Step 5: 600 more: balance 0, not entitled. The 100 cents of overage
	// live on the draft invoice (invoice endpoints come later); the ledger
	// shows the whole 2000 drawn.
	for i := 0; i < 6; i++ {
		e.ok("POST", "/v1/ingest", events("example-inc", "b", i*100, 100, e.at("2026-01-02T00:00:00Z")), nil)
	}
	items := assertBalance(t, e, cust, "0")
	var drawn float64
	for _, l := range items[0].Ledger {
		if l.Type == "PREPAID_COMMIT_AUTOMATED_INVOICE_DEDUCTION" {
			drawn += fOf(t, l.Amount)
		}
	}
	if drawn != -2000 {
		t.Fatalf("step 5: ledger deductions %v, want -2000: %+v", drawn, items[0].Ledger)
	}
	if c := e.check("example-inc", api); c.Entitled || c.Reason != "balance_depleted" {
		t.Fatalf("step 5: %+v, want false balance_depleted", c)
	}
}

// assertBalance expects exactly one commit with the given balance and returns the list.
func assertBalance(t *testing.T, e *testEnv, cust, want string) []balanceItem {
	t.Helper()
	items := e.balances(cust)
	if len(items) != 1 || items[0].Balance == nil || string(*items[0].Balance) != want {
		t.Fatalf("balances: %+v, want one commit with balance %s", items, want)
	}
	return items
}

// Scenario A step 8: moving the test clock to the commit's end expires what
// is left; also an event more than 24 h ahead of the clock is a 400 naming it.
func TestHTTPScenarioAExpiry(t *testing.T) {
	e := newEnv(t, "2026-01-01T00:00:00Z")
	api, _, rc := scenarioACatalog(e)
	cust := e.create("/v1/customers", map[string]any{"name": "Example Inc", "ingest_aliases": []string{"example-inc"}})
	e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"),
		"prepaid_only": true, "commits": []any{prepaidCommit(e, api, 2000)}})
	e.setClock(e.at("2026-06-01T00:00:00Z"))
	e.ok("POST", "/v1/ingest", events("example-inc", "x", 0, 100, e.at("2026-06-01T00:00:00Z")), nil)

	future := events("example-inc", "f", 0, 3, e.at("2026-06-01T00:00:00Z"))
	future[2]["timestamp"] = e.at("2026-06-02T00:00:01Z")
	status, body := e.do("POST", "/v1/ingest", future)
	if status != 400 || !contains(body, "body[2].timestamp") {
		t.Fatalf("future event: %d %s, want 400 naming body[2].timestamp", status, body)
	}

	e.setClock(e.at("2026-12-31T23:59:59Z"))
	assertBalance(t, e, cust, "1900")
	e.setClock(e.at("2027-01-01T00:00:00Z"))
	items := assertBalance(t, e, cust, "0")
	ledger := items[0].Ledger
	last := ledger[len(ledger)-1]
	if last.Type != "PREPAID_COMMIT_EXPIRATION" || fOf(t, last.Amount) != -1900 || !mustTime(t, last.Timestamp).Equal(mustTime(t, e.at("2027-01-01T00:00:00Z"))) {
		t.Fatalf("last ledger entry %+v, want PREPAID_COMMIT_EXPIRATION -1900 at 2027-01-01", last)
	}
	if c := e.check("example-inc", api); c.Entitled || c.Reason != "balance_depleted" || c.Balance != "0" {
		t.Fatalf("after expiry: %+v", c)
	}
	// The clock never moves backwards.
	if status, body := e.do("POST", "/v1/admin/clock", map[string]string{"now": e.at("2026-01-01T00:00:00Z")}); status != 400 || !contains(body, "now") {
		t.Fatalf("clock backwards: %d %s", status, body)
	}
}

// Scenario D step 1: an override entitled:false for tag premium.
func TestHTTPScenarioD(t *testing.T) {
	e := newEnv(t, "2024-10-01T00:00:00Z")
	products := map[string]string{}
	rc := e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "PayGo"})
	var rates []map[string]any
	for _, p := range []struct {
		name  string
		price int
		tags  []string
	}{{"Email generation", 10, nil}, {"Spreadsheet updates", 15, nil}, {"Automated reminders", 20, []string{"premium"}}, {"Slack integration", 10, []string{"premium"}}} {
		metric := e.create("/v1/billable-metrics/create", map[string]any{"name": p.name, "aggregation_type": "count",
			"event_type_filter": map[string]any{"in_values": []string{p.name}}})
		products[p.name] = e.create("/v1/contract-pricing/products/create", map[string]any{"name": p.name, "type": "usage", "billable_metric_id": metric, "tags": p.tags})
		rates = append(rates, map[string]any{"product_id": products[p.name], "starting_at": e.at("2024-01-01T00:00:00Z"), "entitled": true, "rate_type": "flat", "price": p.price})
	}
	products["AI model"] = e.create("/v1/contract-pricing/products/create", map[string]any{"name": "AI model", "type": "FIXED"})
	e.ok("POST", "/v1/contract-pricing/rate-cards/addRates", map[string]any{"rate_card_id": rc, "rates": rates}, nil)
	cust := e.create("/v1/customers", map[string]any{"name": "Team", "ingest_aliases": []string{"team@customer.com"},
		"billing_config": map[string]any{"billing_provider_type": "stripe", "billing_provider_customer_id": "cus_team", "stripe_collection_method": "charge_automatically"}})
	basic := e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2024-10-01T00:00:00Z"), "name": "Basic",
		"overrides": []map[string]any{{"starting_at": e.at("2024-10-01T00:00:00Z"), "applicable_product_tags": []string{"premium"}, "entitled": false}}})
	alias := url.QueryEscape("team@customer.com")
	for name, want := range map[string]bool{"Email generation": true, "Spreadsheet updates": true, "Automated reminders": false, "Slack integration": false} {
		c := e.check(alias, products[name])
		wantReason := "ok"
		if !want {
			wantReason = "not_entitled"
		}
		if c.Entitled != want || c.Reason != wantReason {
			t.Errorf("%s: %+v, want entitled=%v %s", name, c, want, wantReason)
		}
	}
	// The batched form answers the same, in order.
	var batch struct {
		Results []checkResult `json:"results"`
	}
	e.ok("POST", "/v1/entitlements/check", map[string]any{"checks": []map[string]string{
		{"customer_id": cust, "product_id": products["Slack integration"]},
		{"customer_id": "team@customer.com", "product_id": products["Email generation"]},
	}}, &batch)
	if len(batch.Results) != 2 || batch.Results[0].Entitled || !batch.Results[1].Entitled {
		t.Fatalf("batched checks: %+v", batch)
	}

	scenarioDSteps2And3(t, e, cust, basic, rc, products)
}

// usageEvents builds n events of a type for the scenario D customer.
func usageEvents(eventType, prefix string, n int, ts string) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"transaction_id": fmt.Sprintf("%s-%d", prefix, i), "customer_id": "team@customer.com", "event_type": eventType, "timestamp": ts}
	}
	return out
}

type invoiceJSON struct {
	ID             string     `json:"id"`
	Status         string     `json:"status"`
	Type           string     `json:"type"`
	ContractID     string     `json:"contract_id"`
	StartTimestamp string     `json:"start_timestamp"`
	EndTimestamp   string     `json:"end_timestamp"`
	IssuedAt       string     `json:"issued_at"`
	Total          jsonNumber `json:"total"`
	Subtotal       jsonNumber `json:"subtotal"`
	CreditType     struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"credit_type"`
	LineItems []struct {
		Name              string      `json:"name"`
		Type              string      `json:"type"`
		ProductID         string      `json:"product_id"`
		Quantity          *jsonNumber `json:"quantity"`
		UnitPrice         *jsonNumber `json:"unit_price"`
		Total             jsonNumber  `json:"total"`
		ScheduledChargeID string      `json:"scheduled_charge_id"`
	} `json:"line_items"`
}

func (e *testEnv) invoices(cust, query string) []invoiceJSON {
	e.t.Helper()
	var out struct {
		Data     []invoiceJSON `json:"data"`
		NextPage *string       `json:"next_page"`
	}
	e.ok("GET", "/v1/customers/"+cust+"/invoices"+query, nil, &out)
	return out.Data
}

// Scenario D steps 2 and 3 over HTTP: the October invoice in arrears (draft,
// then finalized after the grace period), a late event rejected and counted,
// the upgrade with updateEndDate and a Best contract with a monthly
// scheduled charge, usage routed by timestamp, the February invoice.
func scenarioDSteps2And3(t *testing.T, e *testEnv, cust, basic, rc string, products map[string]string) {
	e.setClock(e.at("2024-10-15T00:00:00Z"))
	e.ok("POST", "/v1/ingest", usageEvents("Email generation", "e", 100, e.at("2024-10-15T00:00:00Z")), nil)
	e.ok("POST", "/v1/ingest", usageEvents("Spreadsheet updates", "s", 50, e.at("2024-10-15T00:00:00Z")), nil)
	invs := e.invoices(cust, "")
	if len(invs) != 1 || invs[0].Status != "DRAFT" || string(invs[0].Total) != "1750" || invs[0].Type != "USAGE" || invs[0].ContractID != basic {
		t.Fatalf("October draft: %+v", invs)
	}
	if invs[0].CreditType.ID != engine.USDCreditTypeID || len(invs[0].LineItems) != 2 || invs[0].LineItems[0].Name != "Email generation" ||
		string(*invs[0].LineItems[0].Quantity) != "100" || string(invs[0].LineItems[0].Total) != "1000" {
		t.Fatalf("October lines: %+v", invs[0])
	}
	// Inside the grace period it is still a draft; the tick at 2024-11-02 finalizes it.
	e.setClock(e.at("2024-11-01T12:00:00Z"))
	if invs := e.invoices(cust, "?status=FINALIZED"); len(invs) != 0 {
		t.Fatalf("finalized inside the grace period: %+v", invs)
	}
	e.setClock(e.at("2024-11-02T00:00:00Z"))
	oct := e.invoices(cust, "?status=FINALIZED")
	if len(oct) != 1 || string(oct[0].Total) != "1750" || oct[0].IssuedAt == "" {
		t.Fatalf("October finalized: %+v", oct)
	}
	e.ok("POST", "/v1/ingest", usageEvents("Email generation", "late", 1, e.at("2024-10-31T23:00:00Z")), nil)
	var one struct {
		Data invoiceJSON `json:"data"`
	}
	e.ok("GET", "/v1/customers/"+cust+"/invoices/"+oct[0].ID, nil, &one)
	if string(one.Data.Total) != "1750" || one.Data.Status != "FINALIZED" {
		t.Fatalf("the late event changed the finalized invoice: %+v", one.Data)
	}
	var rejects struct {
		Data struct {
			Rejects map[string]int64 `json:"rejects"`
		} `json:"data"`
	}
	e.ok("GET", "/v1/customers/"+cust+"/rejects", nil, &rejects)
	if rejects.Data.Rejects["period_finalized"] != 1 {
		t.Fatalf("rejects: %+v", rejects.Data)
	}
	if status, body := e.do("GET", "/metrics", nil); status != 200 || !contains(body, `burndown_rejected_events_total{reason="period_finalized"} 1`) {
		t.Fatalf("/metrics lacks the reject: %s", body)
	}

	// Step 3: the upgrade.
	e.setClock(e.at("2025-01-15T00:00:00Z"))
	e.ok("POST", "/v1/contracts/updateEndDate", map[string]any{"customer_id": cust, "contract_id": basic, "ending_before": e.at("2025-02-01T00:00:00Z")}, nil)
	// The scenario's February invoice carries the charge: the charges are
	// consolidated onto the usage invoices (ALL; absent, each would be a
	// SCHEDULED invoice of its own: TestHTTPScheduledInvoices).
	best := e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "name": "Best Contract",
		"starting_at": e.at("2025-02-01T00:00:00Z"), "ending_before": e.at("2025-08-01T00:00:00Z"), "scheduled_charges_on_usage_invoices": "ALL",
		"scheduled_charges": []map[string]any{{"product_id": products["AI model"], "schedule": map[string]any{"recurring_schedule": map[string]any{
			"starting_at": e.at("2025-02-01T00:00:00Z"), "ending_before": e.at("2025-08-01T00:00:00Z"),
			"frequency": "monthly", "amount": 1000, "amount_distribution": "each"}}}}})
	e.setClock(e.at("2025-01-31T12:00:00Z"))
	alias := url.QueryEscape("team@customer.com")
	if c := e.check(alias, products["Automated reminders"]); c.Entitled {
		t.Fatalf("reminders entitled on Basic: %+v", c)
	}
	e.ok("POST", "/v1/ingest", usageEvents("Email generation", "jan", 10, e.at("2025-01-31T12:00:00Z")), nil)
	e.setClock(e.at("2025-02-01T00:00:00Z"))
	if c := e.check(alias, products["Automated reminders"]); !c.Entitled {
		t.Fatalf("reminders not entitled on Best: %+v", c)
	}
	e.ok("POST", "/v1/ingest", usageEvents("Email generation", "feb", 10, e.at("2025-02-01T00:00:00Z")), nil)
	e.ok("POST", "/v1/ingest", usageEvents("Automated reminders", "febr", 5, e.at("2025-02-01T00:00:00Z")), nil)

	jan := e.invoices(cust, "?contract_id="+basic+"&starting_on="+url.QueryEscape(e.at("2025-01-01T00:00:00Z")))
	if len(jan) != 1 || string(jan[0].Total) != "100" || jan[0].EndTimestamp != e.at("2025-02-01T00:00:00Z") {
		t.Fatalf("January on Basic: %+v", jan)
	}
	feb := e.invoices(cust, "?contract_id="+best+"&ending_before="+url.QueryEscape(e.at("2025-03-01T00:00:00Z")))
	if len(feb) != 1 || string(feb[0].Total) != "1200" || feb[0].Status != "DRAFT" {
		t.Fatalf("February on Best: %+v", feb)
	}
	var charge, usage int
	for _, l := range feb[0].LineItems {
		switch l.Type {
		case "scheduled":
			charge++
			if string(l.Total) != "1000" || l.ProductID != products["AI model"] || l.ScheduledChargeID == "" || l.Name != "AI model" {
				t.Errorf("charge line %+v", l)
			}
		case "usage":
			usage++
		}
	}
	if charge != 1 || usage != 2 {
		t.Fatalf("February lines: %+v", feb[0].LineItems)
	}
	// All invoices, newest first: the Best months (Feb..Jul), January and October.
	all := e.invoices(cust, "?sort=date_desc&limit=100")
	if len(all) != 8 || all[0].StartTimestamp != e.at("2025-07-01T00:00:00Z") || all[7].ID != oct[0].ID {
		t.Fatalf("%d invoices: %+v", len(all), all)
	}
	page := e.invoices(cust, "?limit=2")
	if len(page) != 2 || page[0].ID != oct[0].ID {
		t.Fatalf("first page: %+v", page)
	}
	if status, body := e.do("GET", "/v1/customers/"+cust+"/invoices?bogus=1", nil); status != 400 || !contains(body, "bogus") {
		t.Fatalf("unknown query parameter: %d %s", status, body)
	}
	if status, _ := e.do("GET", "/v1/customers/"+cust+"/invoices/nope", nil); status != 404 {
		t.Fatalf("unknown invoice: %d", status)
	}
}
