package transport

import (
	"encoding/json"
	"strings"
	"testing"
)

// endpoints lists every route with a body that is valid in shape, so the
// generic bad-input cases below can be tried on each.
var endpoints = []struct{ method, path string }{
	{"POST", "/v1/ingest"},
	{"POST", "/v1/customers"},
	{"POST", "/v1/billable-metrics/create"},
	{"POST", "/v1/contract-pricing/products/create"},
	{"POST", "/v1/contract-pricing/products/get"},
	{"POST", "/v1/contract-pricing/products/list"},
	{"POST", "/v1/contract-pricing/rate-cards/create"},
	{"POST", "/v1/contract-pricing/rate-cards/get"},
	{"POST", "/v1/contract-pricing/rate-cards/list"},
	{"POST", "/v1/contract-pricing/rate-cards/addRate"},
	{"POST", "/v1/contract-pricing/rate-cards/addRates"},
	{"POST", "/v1/contracts/create"},
	{"POST", "/v1/contracts/get"},
	{"POST", "/v1/contracts/list"},
	{"POST", "/v1/contracts/customerBalances/list"},
	{"POST", "/v1/credit-types/create"},
	{"POST", "/v1/entitlements/check"},
	{"POST", "/v1/cluster/join"},
	{"POST", "/v1/cluster/remove"},
	{"POST", "/v1/admin/clock"},
}

// Every malformed body on every endpoint is a 4xx with a message, never a 5xx.
func TestBadInputGeneric(t *testing.T) {
	e := newEnv(t, "2026-01-01T00:00:00Z")
	bodies := map[string]string{
		"malformed":    `{"name": "x",`,
		"invalid utf8": "{\"name\": \"\xff\xfe\"}",
		"nan":          `{"amount": NaN}`,
		"infinity":     `{"amount": Infinity}`,
		"trailing":     `{} {}`,
		"wrong top":    `"just a string"`,
		"number top":   `42`,
		"deep":         strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
		"null":         `null`,
	}
	for _, ep := range endpoints {
		for name, body := range bodies {
			status, resp := e.do(ep.method, ep.path, body)
			if ep.path == "/v1/contract-pricing/products/list" || ep.path == "/v1/contract-pricing/rate-cards/list" {
				// list bodies are optional but still must parse
			}
			assert4xx(t, ep.path+" "+name, status, resp, "")
		}
		// No token at all, and a wrong one.
		if status, resp := e.doToken(ep.method, ep.path, "{}", ""); status != 401 {
			t.Errorf("%s without token: %d %s", ep.path, status, resp)
		}
		if status, resp := e.doToken(ep.method, ep.path, "{}", "nope"); status != 401 {
			t.Errorf("%s wrong token: %d %s", ep.path, status, resp)
		}
	}
}

func assert4xx(t *testing.T, what string, status int, resp []byte, field string) {
	t.Helper()
	if status < 400 || status > 499 {
		t.Errorf("%s: status %d (%s), want 4xx", what, status, resp)
		return
	}
	var m struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal(resp, &m); err != nil || m.Message == "" {
		t.Errorf("%s: body %q is not {\"message\":...}", what, resp)
		return
	}
	if field != "" && !strings.Contains(m.Message, field) {
		t.Errorf("%s: message %q does not name %q", what, m.Message, field)
	}
}

// Field-specific failures name the field at fault with the right status.
func TestBadInputFields(t *testing.T) {
	e := newEnv(t, "2026-01-01T00:00:00Z")
	api, _, rc := scenarioACatalog(e)
	cust := e.create("/v1/customers", map[string]any{"name": "C", "ingest_aliases": []string{"c-alias"}})
	metric := e.create("/v1/billable-metrics/create", map[string]any{"name": "bad-input metric"})
	ev := func(mut func(m map[string]any)) []map[string]any {
		m := map[string]any{"transaction_id": "t1", "customer_id": "c-alias", "event_type": "api_call", "timestamp": e.at("2026-01-01T00:00:00Z")}
		mut(m)
		return []map[string]any{m}
	}
	commit := func(amount any) map[string]any {
		return map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"), "commits": []any{map[string]any{
			"type": "PREPAID", "product_id": api, "access_schedule": map[string]any{"schedule_items": []any{map[string]any{
				"amount": amount, "starting_at": e.at("2026-01-01T00:00:00Z"), "ending_before": e.at("2027-01-01T00:00:00Z")}}}}}}
	}
	rawCommit := func(amount string) string {
		b, _ := json.Marshal(commit("AMOUNT"))
		return strings.Replace(string(b), `"AMOUNT"`, amount, 1)
	}
	cases := []struct {
		name, path string
		body       any
		status     int
		field      string
	}{
		{"ingest empty array", "/v1/ingest", `[]`, 400, "body"},
		{"ingest 101 events", "/v1/ingest", events("c-alias", "x", 0, 101, e.at("2026-01-01T00:00:00Z")), 400, "body"},
		{"ingest object", "/v1/ingest", `{}`, 400, "body"},
		{"ingest missing tx", "/v1/ingest", ev(func(m map[string]any) { delete(m, "transaction_id") }), 400, "body[0].transaction_id"},
		{"ingest tx number", "/v1/ingest", ev(func(m map[string]any) { m["transaction_id"] = 5 }), 400, "body[0].transaction_id"},
		{"ingest empty customer", "/v1/ingest", ev(func(m map[string]any) { m["customer_id"] = " " }), 400, "body[0].customer_id"},
		{"ingest bad timestamp", "/v1/ingest", ev(func(m map[string]any) { m["timestamp"] = "yesterday" }), 400, "body[0].timestamp"},
		{"ingest 2-digit year", "/v1/ingest", ev(func(m map[string]any) { m["timestamp"] = "26-01-01T00:00:00Z" }), 400, "body[0].timestamp"},
		{"ingest future", "/v1/ingest", ev(func(m map[string]any) { m["timestamp"] = e.at("2026-01-03T00:00:00Z") }), 400, "body[0].timestamp"},
		{"ingest year 9999", "/v1/ingest", ev(func(m map[string]any) { m["timestamp"] = e.at("9999-01-01T00:00:00Z") }), 400, "body[0].timestamp"},
		{"ingest properties array", "/v1/ingest", ev(func(m map[string]any) { m["properties"] = []int{1} }), 400, "body[0].properties"},
		{"ingest event not object", "/v1/ingest", `[1]`, 400, "body[0]"},
		{"customer no name", "/v1/customers", map[string]any{}, 400, "name"},
		{"customer name number", "/v1/customers", map[string]any{"name": 1}, 400, "name"},
		{"customer aliases not list", "/v1/customers", map[string]any{"name": "x", "ingest_aliases": "a"}, 400, "ingest_aliases"},
		{"customer alias number", "/v1/customers", map[string]any{"name": "x", "ingest_aliases": []any{"a", 2}}, 400, "ingest_aliases[1]"},
		{"customer alias taken", "/v1/customers", map[string]any{"name": "x", "ingest_aliases": []string{"c-alias"}}, 409, "ingest_aliases[0]"},
		{"customer custom field number", "/v1/customers", map[string]any{"name": "x", "custom_fields": map[string]any{"k": 1}}, 400, "custom_fields.k"},
		{"customer bad provider", "/v1/customers", map[string]any{"name": "x", "customer_billing_provider_configurations": []any{map[string]any{"billing_provider": "paypal"}}}, 400, "customer_billing_provider_configurations[0].billing_provider"},
		{"metric bad aggregation", "/v1/billable-metrics/create", map[string]any{"name": "m", "aggregation_type": "AVG"}, 400, "aggregation_type"},
		{"metric sum without key", "/v1/billable-metrics/create", map[string]any{"name": "m", "aggregation_type": "SUM"}, 400, "aggregation_key"},
		{"metric filter name", "/v1/billable-metrics/create", map[string]any{"name": "m", "property_filters": []any{map[string]any{"exists": true}}}, 400, "property_filters[0].name"},
		{"metric group keys", "/v1/billable-metrics/create", map[string]any{"name": "m", "group_keys": []any{"user_id"}}, 400, "group_keys[0]"},
		{"product bad type", "/v1/contract-pricing/products/create", map[string]any{"name": "p", "type": "GADGET"}, 400, "type"},
		{"product usage no metric", "/v1/contract-pricing/products/create", map[string]any{"name": "p", "type": "USAGE"}, 400, "billable_metric_id"},
		{"product unknown metric", "/v1/contract-pricing/products/create", map[string]any{"name": "p", "type": "USAGE", "billable_metric_id": "nope"}, 404, "billable_metric_id"},
		{"product get unknown", "/v1/contract-pricing/products/get", map[string]any{"id": "nope"}, 404, "id"},
		{"product get missing id", "/v1/contract-pricing/products/get", map[string]any{}, 400, "id"},
		{"rate card conversion negative", "/v1/contract-pricing/rate-cards/create", map[string]any{"name": "r", "credit_type_conversions": []any{map[string]any{"custom_credit_type_id": "x", "fiat_per_custom_credit": -1}}}, 400, "credit_type_conversions[0].fiat_per_custom_credit"},
		{"rate card unknown credit type", "/v1/contract-pricing/rate-cards/create", map[string]any{"name": "r", "fiat_credit_type_id": "nope"}, 404, "fiat_credit_type_id"},
		{"rate card get unknown", "/v1/contract-pricing/rate-cards/get", map[string]any{"id": "nope"}, 404, "id"},
		{"rate negative price", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": api, "starting_at": e.at("2026-01-01T00:00:00Z"), "entitled": true, "rate_type": "FLAT", "price": -1}, 400, "price"},
		{"rate price non-numeric string", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": api, "starting_at": e.at("2026-01-01T00:00:00Z"), "entitled": true, "rate_type": "FLAT", "price": "one"}, 400, "price: a string here must hold a number"},
		{"rate missing entitled", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": api, "starting_at": e.at("2026-01-01T00:00:00Z"), "rate_type": "FLAT", "price": 1}, 400, "entitled"},
		{"rate unknown card", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": "nope", "product_id": api, "starting_at": e.at("2026-01-01T00:00:00Z"), "entitled": true, "rate_type": "FLAT", "price": 1}, 404, "rate_card_id"},
		{"rate unknown product", "/v1/contract-pricing/rate-cards/addRates", map[string]any{"rate_card_id": rc, "rates": []any{map[string]any{"product_id": "nope", "starting_at": e.at("2026-01-01T00:00:00Z"), "entitled": true, "rate_type": "FLAT", "price": 1}}}, 404, "rates[0].product_id"},
		{"rates empty", "/v1/contract-pricing/rate-cards/addRates", map[string]any{"rate_card_id": rc, "rates": []any{}}, 400, "rates"},
		{"rate tiered refused", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": api, "starting_at": e.at("2026-01-01T00:00:00Z"), "entitled": true, "rate_type": "TIERED"}, 400, "tiers: is required"},
		{"rate tiered last tier sized", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": api, "starting_at": e.at("2026-01-01T00:00:00Z"), "entitled": true, "rate_type": "TIERED", "tiers": []any{map[string]any{"size": 5, "price": 1}}}, 400, "tiers[0].size: the last tier is open"},
		{"rate pricing group not a key", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": api, "starting_at": e.at("2026-01-01T00:00:00Z"), "entitled": true, "rate_type": "FLAT", "price": 1, "pricing_group_values": map[string]any{"region": "eu"}}, 400, "rates[0].pricing_group_values.region"},
		{"rate tiers on flat refused", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": api, "starting_at": e.at("2026-01-01T00:00:00Z"), "entitled": true, "rate_type": "FLAT", "price": 1, "tiers": []any{map[string]any{"price": 1}}}, 400, "tiers: is not supported"},
		{"rate unknown field", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": api, "starting_at": e.at("2026-01-01T00:00:00Z"), "entitled": true, "rate_type": "FLAT", "price": 1, "use_list_prices": true}, 400, "use_list_prices: is not supported"},
		{"metric max without key", "/v1/billable-metrics/create", map[string]any{"name": "m", "aggregation_type": "MAX"}, 400, "aggregation_key: is required"},
		{"product conversion by zero", "/v1/contract-pricing/products/create", map[string]any{"name": "p", "type": "USAGE", "billable_metric_id": metric, "quantity_conversion": map[string]any{"conversion_factor": 0, "operation": "DIVIDE"}}, 400, "quantity_conversion.conversion_factor"},
		{"product composite scope refused", "/v1/contract-pricing/products/create", map[string]any{"name": "p", "type": "COMPOSITE", "composite_tags": []any{"x"}, "composite_scope": "customer"}, 400, "composite_scope: is not supported"},
		{"product composite needs covered products", "/v1/contract-pricing/products/create", map[string]any{"name": "p", "type": "COMPOSITE"}, 400, "composite_product_ids: a COMPOSITE product needs"},
		{"metric unknown field", "/v1/billable-metrics/create", map[string]any{"name": "m", "sql": "select 1"}, 400, "sql: is not supported"},
		{"contract unknown customer", "/v1/contracts/create", map[string]any{"customer_id": "nope", "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z")}, 404, "customer_id"},
		{"contract unknown rate card", "/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": "nope", "starting_at": e.at("2026-01-01T00:00:00Z")}, 404, "rate_card_id"},
		{"contract ends before start", "/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"), "ending_before": e.at("2025-01-01T00:00:00Z")}, 400, "ending_before: must be after starting_at"},
		{"contract item ends before start", "/v1/contracts/create", func() any {
			c := commit(5)
			item := c["commits"].([]any)[0].(map[string]any)["access_schedule"].(map[string]any)["schedule_items"].([]any)[0].(map[string]any)
			item["ending_before"] = e.at("2025-06-01T00:00:00Z")
			return c
		}(), 400, "commits[0].access_schedule.schedule_items[0].ending_before: must be after starting_at"},
		{"contract negative amount", "/v1/contracts/create", commit(-5), 400, "commits[0].access_schedule.schedule_items[0].amount"},
		{"contract amount non-numeric string", "/v1/contracts/create", commit("5 USD"), 400, "commits[0].access_schedule.schedule_items[0].amount: a string here must hold a number"},
		{"contract amount NaN string", "/v1/contracts/create", commit("NaN"), 400, "commits[0].access_schedule.schedule_items[0].amount"},
		{"contract huge amount", "/v1/contracts/create", rawCommit("1e999999999"), 400, "commits[0].access_schedule.schedule_items[0].amount"},
		{"contract tiny amount", "/v1/contracts/create", rawCommit("1e-999999999"), 400, "commits[0].access_schedule.schedule_items[0].amount"},
		{"contract long amount", "/v1/contracts/create", rawCommit(strings.Repeat("9", 100)), 400, "commits[0].access_schedule.schedule_items[0].amount"},
		{"contract payment gate", "/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"), "subscriptions": []any{map[string]any{}}}, 400, "subscriptions"},
		{"contract threshold billing", "/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"), "threshold_billing_configuration": map[string]any{"is_enabled": true}}, 400, "threshold_billing_configuration.commit: is required"},
		{"contract net payment terms", "/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"), "net_payment_terms_days": 30}, 400, "net_payment_terms_days: is not supported"},
		{"contract weekly statements", "/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"), "usage_statement_schedule": map[string]any{"frequency": "WEEKLY"}}, 400, "usage_statement_schedule.frequency"},
		{"contract commit amount", "/v1/contracts/create", func() any { c := commit(5); c["commits"].([]any)[0].(map[string]any)["amount"] = 5; return c }(), 400, "commits[0].amount: is not supported"},
		{"contract commit invoice items and recurring", "/v1/contracts/create", func() any {
			c := commit(5)
			c["commits"].([]any)[0].(map[string]any)["invoice_schedule"] = map[string]any{
				"schedule_items": []any{map[string]any{"timestamp": e.at("2026-01-01T00:00:00Z"), "amount": 5}}, "recurring_schedule": map[string]any{}}
			return c
		}(), 400, "commits[0].invoice_schedule.schedule_items: give schedule_items or recurring_schedule, not both"},
		{"contract override priority", "/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"), "overrides": []any{map[string]any{"starting_at": e.at("2026-01-01T00:00:00Z"), "product_id": api, "type": "MULTIPLIER", "multiplier": 2, "priority": 0}}}, 400, "overrides[0].priority: must be greater than zero"},
		{"contract explicit without priority", "/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"), "multiplier_override_prioritization": "EXPLICIT", "overrides": []any{map[string]any{"starting_at": e.at("2026-01-01T00:00:00Z"), "product_id": api, "type": "MULTIPLIER", "multiplier": 2}}}, 400, "overrides[0].priority: is required"},
		{"contract tiered override refused", "/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"), "overrides": []any{map[string]any{"starting_at": e.at("2026-01-01T00:00:00Z"), "product_id": api, "type": "TIERED"}}}, 400, "overrides[0].type"},
		{"ingest unknown event field", "/v1/ingest", ev(func(m map[string]any) { m["quantity"] = 3 }), 400, "body[0].quantity: is not supported"},
		{"contract override without target", "/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"), "overrides": []any{map[string]any{"starting_at": e.at("2026-01-01T00:00:00Z"), "entitled": false}}}, 400, "overrides[0].product_id"},
		{"contract override unknown product", "/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"), "overrides": []any{map[string]any{"starting_at": e.at("2026-01-01T00:00:00Z"), "product_id": "nope", "entitled": false}}}, 404, "overrides[0].product_id"},
		{"contract get unknown", "/v1/contracts/get", map[string]any{"customer_id": cust, "contract_id": "nope"}, 404, "contract_id"},
		{"contract get unknown customer", "/v1/contracts/get", map[string]any{"customer_id": "nope", "contract_id": "nope"}, 404, "customer_id"},
		{"contract list missing customer", "/v1/contracts/list", map[string]any{}, 400, "customer_id"},
		{"balances unknown customer", "/v1/contracts/customerBalances/list", map[string]any{"customer_id": "nope"}, 404, "customer_id"},
		{"balances bad limit", "/v1/contracts/customerBalances/list", map[string]any{"customer_id": cust, "limit": 1000}, 400, "limit"},
		{"balances fractional limit", "/v1/contracts/customerBalances/list", map[string]any{"customer_id": cust, "limit": 1.5}, 400, "limit"},
		{"credit type no name", "/v1/credit-types/create", map[string]any{"is_currency": false}, 400, "name"},
		{"credit type taken", "/v1/credit-types/create", map[string]any{"name": "USD (cents)"}, 409, "name"},
		{"checks missing", "/v1/entitlements/check", map[string]any{}, 400, "checks"},
		{"checks unknown customer", "/v1/entitlements/check", map[string]any{"checks": []any{map[string]any{"customer_id": "nope", "product_id": api}}}, 404, "checks[0].customer_id"},
		{"checks unknown product", "/v1/entitlements/check", map[string]any{"checks": []any{map[string]any{"customer_id": cust, "product_id": "nope"}}}, 404, "checks[0].product_id"},
		{"join missing raft addr", "/v1/cluster/join", map[string]any{"id": "n2", "http_addr": "x"}, 400, "raft_addr"},
		{"remove missing id", "/v1/cluster/remove", map[string]any{}, 400, "id"},
		{"clock bad time", "/v1/admin/clock", map[string]any{"now": 5}, 400, "now"},
	}
	for _, c := range cases {
		status, resp := e.do("POST", c.path, c.body)
		if status != c.status {
			t.Errorf("%s: status %d (%s), want %d", c.name, status, resp, c.status)
			continue
		}
		assert4xx(t, c.name, status, resp, c.field)
	}

	gets := []struct {
		name, path string
		status     int
		field      string
	}{
		{"customer unknown", "/v1/customers/nope", 404, "customer_id"},
		{"customers bad limit", "/v1/customers?limit=0", 400, "limit"},
		{"customers bad cursor", "/v1/customers?next_page=zz", 400, "next_page"},
		{"metric unknown", "/v1/billable-metrics/nope", 404, "billable_metric_id"},
		{"check unknown customer", "/v1/entitlements/check?customer_id=nope&product_id=" + api, 404, "customer_id"},
		{"check unknown product", "/v1/entitlements/check?customer_id=" + cust + "&product_id=nope", 404, "product_id"},
		{"check missing customer", "/v1/entitlements/check?product_id=" + api, 400, "customer_id"},
		{"check missing product", "/v1/entitlements/check?customer_id=" + cust, 400, "product_id"},
		{"unknown path", "/v1/nothing", 404, "path"},
		{"bad consistency", "/v1/customers?consistency=eventual", 400, "consistency"},
	}
	for _, c := range gets {
		status, resp := e.do("GET", c.path, nil)
		if status != c.status {
			t.Errorf("%s: status %d (%s), want %d", c.name, status, resp, c.status)
			continue
		}
		assert4xx(t, c.name, status, resp, c.field)
	}
	if status, resp := e.do("DELETE", "/v1/customers", nil); status != 405 {
		t.Errorf("DELETE: %d %s", status, resp)
	}
}

// Oversized bodies are refused with 413 before any decoding.
func TestBadInputOversized(t *testing.T) {
	node := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
	t.Cleanup(node.eng.Close)
	e := startServer(t, node, func(c *Config) { c.MaxBodyBytes = 1 << 10 })
	big := `[{"transaction_id":"` + strings.Repeat("x", 4096) + `"}]`
	status, resp := e.do("POST", "/v1/ingest", big)
	if status != 413 {
		t.Fatalf("status %d %s, want 413", status, resp)
	}
	assert4xx(t, "oversized", status, resp, "body")
}

// A panicking handler answers 500 and the server keeps serving.
func TestPanicRecovered(t *testing.T) {
	node := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
	t.Cleanup(node.eng.Close)
	node.panicOn = 2 // engine.KindCreateCredit
	e := startServer(t, node)
	status, resp := e.do("POST", "/v1/credit-types/create", map[string]any{"name": "AI credits"})
	if status != 500 || !contains(resp, "message") {
		t.Fatalf("panic: %d %s, want 500", status, resp)
	}
	if status, _ := e.do("GET", "/v1/credit-types/list", nil); status != 200 {
		t.Fatalf("server not serving after a panic: %d", status)
	}
}
