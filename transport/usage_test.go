package transport

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// usageEnv is a customer with a contract from January 2026 whose rate card
// prices two metrics: tokens (SUM of "tokens", split by "region" on the
// invoice) and peak (MAX of "load").
type usageEnv struct {
	*testEnv
	cust, tokens, peak, rc string
}

func newUsageEnv(t *testing.T) *usageEnv {
	e := newEnv(t, "2026-01-01T00:00:00Z")
	u := &usageEnv{testEnv: e}
	start := e.at("2026-01-01T00:00:00Z")
	u.tokens = e.create("/v1/billable-metrics/create", map[string]any{"name": "tokens", "aggregation_type": "SUM", "aggregation_key": "tokens",
		"event_type_filter": map[string]any{"in_values": []string{"llm"}}, "group_keys": [][]string{{"region"}}})
	u.peak = e.create("/v1/billable-metrics/create", map[string]any{"name": "peak", "aggregation_type": "MAX", "aggregation_key": "load",
		"event_type_filter": map[string]any{"in_values": []string{"load"}}})
	tok := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Tokens", "type": "USAGE", "billable_metric_id": u.tokens,
		"presentation_group_key": []string{"region"}})
	pk := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Peak", "type": "USAGE", "billable_metric_id": u.peak})
	u.rc = e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "RC"})
	for _, p := range []string{tok, pk} {
		e.ok("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": u.rc, "product_id": p, "starting_at": start,
			"entitled": true, "rate_type": "FLAT", "price": 1}, nil)
	}
	u.cust = e.create("/v1/customers", map[string]any{"name": "U", "ingest_aliases": []string{"u"}})
	e.create("/v1/contracts/create", map[string]any{"customer_id": u.cust, "rate_card_id": u.rc, "starting_at": start})
	return u
}

// send ingests one event for alias u.
func (u *usageEnv) send(tx, typ, at string, props map[string]any) {
	u.t.Helper()
	u.ok("POST", "/v1/ingest", []any{map[string]any{"transaction_id": tx, "customer_id": "u", "event_type": typ,
		"timestamp": u.at(at), "properties": props}}, nil)
}

// usageItem decodes one UsageBatchAggregate with exact numbers.
type usageItem struct {
	CustomerID         string                  `json:"customer_id"`
	BillableMetricID   string                  `json:"billable_metric_id"`
	BillableMetricName string                  `json:"billable_metric_name"`
	StartTimestamp     string                  `json:"start_timestamp"`
	EndTimestamp       string                  `json:"end_timestamp"`
	Value              *json.Number            `json:"value"`
	Groups             map[string]*json.Number `json:"groups"`
}

type usagePage struct {
	Data     []usageItem `json:"data"`
	NextPage *string     `json:"next_page"`
}

func (u *usageEnv) usage(body map[string]any) usagePage {
	u.t.Helper()
	var p usagePage
	u.ok("POST", "/v1/usage", body, &p)
	return p
}

func numStr(n *json.Number) string {
	if n == nil {
		return "null"
	}
	return n.String()
}

// window is a /v1/usage body for one metric and the customer.
func (u *usageEnv) window(metric, from, before string, extra map[string]any) map[string]any {
	m := map[string]any{"id": metric}
	for k, v := range extra {
		m[k] = v
	}
	return map[string]any{"starting_on": u.at(from), "ending_before": u.at(before), "window_size": "none",
		"customer_ids": []string{u.cust}, "billable_metrics": []any{m}}
}

// ingestJanFeb sends January's and February's events: tokens 10+20 in
// eu, 5 in us, 7 without a region (42 in January), 100 in eu in February;
// loads 9 and 3 in January, 4 in February.
func (u *usageEnv) ingestJanFeb() {
	u.setClock(u.at("2026-01-20T00:00:00Z"))
	u.send("t1", "llm", "2026-01-03T10:00:00Z", map[string]any{"tokens": "10", "region": "eu"})
	u.send("t2", "llm", "2026-01-05T10:00:00Z", map[string]any{"tokens": "20", "region": "eu"})
	u.send("t3", "llm", "2026-01-06T10:00:00Z", map[string]any{"tokens": "5", "region": "us"})
	u.send("t4", "llm", "2026-01-07T10:00:00Z", map[string]any{"tokens": "7"})
	u.send("l1", "load", "2026-01-08T10:00:00Z", map[string]any{"load": "9"})
	u.send("l2", "load", "2026-01-09T10:00:00Z", map[string]any{"load": "3"})
	u.setClock(u.at("2026-02-10T00:00:00Z"))
	u.send("t5", "llm", "2026-02-03T10:00:00Z", map[string]any{"tokens": "100", "region": "eu"})
	u.send("l3", "load", "2026-02-04T10:00:00Z", map[string]any{"load": "4"})
}

// /v1/usage answers the usage rated, exactly, over whole statement periods
// and month-to-date windows, with groups; it refuses what the statements
// cannot answer exactly (a boundary inside a period with usage on both
// sides, HOUR and DAY windows), naming the field.
func TestUsageList(t *testing.T) {
	u := newUsageEnv(t)
	u.ingestJanFeb()
	jan, feb, mar := "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"

	p := u.usage(u.window(u.tokens, jan, feb, map[string]any{"group_by": map[string]any{"key": "region"}}))
	if len(p.Data) != 1 || p.NextPage != nil {
		t.Fatalf("January tokens: %+v", p)
	}
	it := p.Data[0]
	if it.CustomerID != u.cust || it.BillableMetricID != u.tokens || it.BillableMetricName != "tokens" || numStr(it.Value) != "42" ||
		it.StartTimestamp != "2026-01-01T00:00:00Z" || it.EndTimestamp != "2026-02-01T00:00:00Z" {
		t.Fatalf("January tokens: %+v", it)
	}
	if len(it.Groups) != 2 || numStr(it.Groups["eu"]) != "30" || numStr(it.Groups["us"]) != "5" {
		t.Fatalf("January groups: %v (events without a region count in value only)", it.Groups)
	}
	// Requested values: null where there is no usage.
	p = u.usage(u.window(u.tokens, jan, feb, map[string]any{"group_by": map[string]any{"key": "region", "values": []string{"eu", "ap"}}}))
	if g := p.Data[0].Groups; len(g) != 2 || numStr(g["eu"]) != "30" || g["ap"] != nil {
		t.Fatalf("requested values: %v", g)
	}
	// Two whole periods add up; February alone; February to date (its last
	// event is before ending_before).
	for _, c := range []struct{ from, before, want string }{
		{jan, mar, "142"}, {feb, mar, "100"}, {feb, "2026-02-10T00:00:00Z", "100"}, {"2025-12-01T00:00:00Z", jan, "0"},
	} {
		if got := numStr(u.usage(u.window(u.tokens, c.from, c.before, nil)).Data[0].Value); got != c.want {
			t.Errorf("tokens [%s, %s): %s, want %s", c.from, c.before, got, c.want)
		}
	}
	// MAX across periods is the largest; a window without usage has none.
	for _, c := range []struct{ from, before, want string }{{jan, mar, "9"}, {feb, mar, "4"}, {"2025-12-01T00:00:00Z", jan, "null"}} {
		if got := numStr(u.usage(u.window(u.peak, c.from, c.before, nil)).Data[0].Value); got != c.want {
			t.Errorf("peak [%s, %s): %s, want %s", c.from, c.before, got, c.want)
		}
	}
	// Every metric when none is listed, in catalog order.
	all := u.usage(map[string]any{"starting_on": u.at(jan), "ending_before": u.at(mar), "window_size": "NONE", "customer_ids": []string{u.cust}})
	if len(all.Data) != 2 || all.Data[0].BillableMetricID != u.tokens || numStr(all.Data[0].Value) != "142" || numStr(all.Data[1].Value) != "9" {
		t.Fatalf("every metric: %+v", all)
	}

	refused := []struct {
		body map[string]any
		want string
	}{
		{u.window(u.tokens, "2026-01-05T00:00:00Z", feb, nil), "starting_on: customer " + u.cust + "'s statement period [2026-01-01T00:00:00Z, 2026-02-01T00:00:00Z)"},
		{u.window(u.tokens, jan, "2026-01-06T00:00:00Z", nil), "ending_before: customer " + u.cust + "'s statement period [2026-01-01T00:00:00Z, 2026-02-01T00:00:00Z)"},
		{map[string]any{"starting_on": u.at(jan), "ending_before": u.at(feb), "window_size": "DAY"}, "window_size: DAY is not supported"},
		{map[string]any{"starting_on": u.at(jan), "ending_before": u.at(feb), "window_size": "hour"}, "window_size: HOUR is not supported"},
		{map[string]any{"starting_on": u.at(feb), "ending_before": u.at(jan), "window_size": "NONE"}, "ending_before: must be after starting_on"},
		{u.window(u.peak, jan, feb, map[string]any{"group_by": map[string]any{"key": "region"}}), "billable_metrics[0].group_by.key: region is not a pricing or presentation group key"},
		{map[string]any{"starting_on": u.at(jan), "ending_before": u.at(feb), "window_size": "NONE", "customer_ids": make([]string, 101)}, "customer_ids: at most 100"},
		{u.window(u.tokens, jan, feb, map[string]any{"group_by": map[string]any{"key": "region", "values": make([]string, 201)}}), "billable_metrics[0].group_by.values: at most 200"},
		{u.window(u.tokens, jan, feb, map[string]any{"group_by": map[string]any{"key": "region", "limit": 3}}), "billable_metrics[0].group_by.limit: is not supported"},
	}
	for _, c := range refused {
		st, b := u.do("POST", "/v1/usage", c.body)
		if st != 400 || !strings.Contains(string(b), `"message":"`+c.want) {
			t.Errorf("%v: got %d %s, want 400 %q", c.body, st, b, c.want)
		}
	}
	st, b := u.do("POST", "/v1/usage", map[string]any{"starting_on": u.at(jan), "ending_before": u.at(feb), "window_size": "NONE", "customer_ids": []string{"nobody"}})
	if st != 404 || !strings.Contains(string(b), "customer_ids[0]: customer nobody not found") {
		t.Errorf("unknown customer: %d %s", st, b)
	}
	st, b = u.do("POST", "/v1/usage?limit=5", u.window(u.tokens, jan, feb, nil))
	if st != 400 || !strings.Contains(string(b), "limit: is not supported") {
		t.Errorf("limit on /v1/usage: %d %s", st, b)
	}
}

// Without customer_ids every customer is read, 100 items a page, the
// cursor in ?next_page; the pages together hold each (customer, metric)
// once, with the numbers of the one customer that has usage.
func TestUsageListPages(t *testing.T) {
	u := newUsageEnv(t)
	u.ingestJanFeb()
	for i := 0; i < 55; i++ {
		u.create("/v1/customers", map[string]any{"name": fmt.Sprintf("idle-%d", i)})
	}
	body := map[string]any{"starting_on": u.at("2026-01-01T00:00:00Z"), "ending_before": u.at("2026-03-01T00:00:00Z"), "window_size": "NONE"}
	first := u.usage(body)
	if len(first.Data) != 100 || first.NextPage == nil {
		t.Fatalf("first page: %d items, next %v", len(first.Data), first.NextPage)
	}
	var second usagePage
	u.ok("POST", "/v1/usage?next_page="+*first.NextPage, body, &second)
	if len(second.Data) != 56*2-100 || second.NextPage != nil {
		t.Fatalf("second page: %d items, next %v", len(second.Data), second.NextPage)
	}
	seen := map[string]bool{}
	for _, it := range append(first.Data, second.Data...) {
		key := it.CustomerID + "/" + it.BillableMetricID
		if seen[key] {
			t.Fatalf("%s twice", key)
		}
		seen[key] = true
		want := map[string]string{u.tokens: "0", u.peak: "null"}[it.BillableMetricID]
		if it.CustomerID == u.cust {
			want = map[string]string{u.tokens: "142", u.peak: "9"}[it.BillableMetricID]
		}
		if got := numStr(it.Value); got != want {
			t.Errorf("%s: %s, want %s", key, got, want)
		}
	}
}

// usageGroupRow decodes one PagedUsageAggregate.
type usageGroupRow struct {
	StartingOn   string       `json:"starting_on"`
	EndingBefore string       `json:"ending_before"`
	GroupKey     *string      `json:"group_key"`
	GroupValue   *string      `json:"group_value"`
	Value        *json.Number `json:"value"`
}

type usageGroupPage struct {
	Data     []usageGroupRow `json:"data"`
	NextPage *string         `json:"next_page"`
}

func rowsString(rows []usageGroupRow) string {
	var parts []string
	for _, r := range rows {
		v := "null"
		if r.GroupValue != nil {
			v = *r.GroupValue
		}
		parts = append(parts, v+"="+numStr(r.Value))
	}
	return strings.Join(parts, " ")
}

// /v1/usage/groups splits one metric's usage by a group key's values
// (events without the property last, group_value null), pages with
// ?limit, answers the current billing period, and refuses what it cannot
// answer exactly.
func TestUsageGroups(t *testing.T) {
	u := newUsageEnv(t)
	u.ingestJanFeb()
	body := func(extra map[string]any) map[string]any {
		b := map[string]any{"customer_id": u.cust, "billable_metric_id": u.tokens, "window_size": "NONE"}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	jan := map[string]any{"starting_on": u.at("2026-01-01T00:00:00Z"), "ending_before": u.at("2026-02-01T00:00:00Z"), "group_by": map[string]any{"key": "region"}}
	var p usageGroupPage
	u.ok("POST", "/v1/usage/groups", body(jan), &p)
	if got := rowsString(p.Data); got != "eu=30 us=5 null=7" || p.NextPage != nil {
		t.Fatalf("January by region: %s (next %v)", got, p.NextPage)
	}
	if r := p.Data[0]; r.GroupKey == nil || *r.GroupKey != "region" || r.StartingOn != "2026-01-01T00:00:00Z" || r.EndingBefore != "2026-02-01T00:00:00Z" {
		t.Fatalf("row: %+v", r)
	}
	// Pages of two.
	u.ok("POST", "/v1/usage/groups?limit=2", body(jan), &p)
	if got := rowsString(p.Data); got != "eu=30 us=5" || p.NextPage == nil {
		t.Fatalf("page 1: %s %v", got, p.NextPage)
	}
	u.ok("POST", "/v1/usage/groups?limit=2&next_page="+*p.NextPage, body(jan), &p)
	if got := rowsString(p.Data); got != "null=7" || p.NextPage != nil {
		t.Fatalf("page 2: %s %v", got, p.NextPage)
	}
	// Requested values, one without usage.
	u.ok("POST", "/v1/usage/groups", body(map[string]any{"starting_on": jan["starting_on"], "ending_before": jan["ending_before"],
		"group_by": map[string]any{"key": "region", "values": []string{"us", "ap"}}}), &p)
	if got := rowsString(p.Data); got != "us=5 ap=null" {
		t.Fatalf("requested values: %s", got)
	}
	// The current billing period (February, now the 10th), ungrouped.
	u.ok("POST", "/v1/usage/groups", body(map[string]any{"current_period": true}), &p)
	if len(p.Data) != 1 || numStr(p.Data[0].Value) != "100" || p.Data[0].GroupKey != nil || p.Data[0].StartingOn != "2026-02-01T00:00:00Z" ||
		p.Data[0].EndingBefore != "2026-03-01T00:00:00Z" {
		t.Fatalf("current period: %+v", p.Data)
	}

	refused := []struct {
		body map[string]any
		want string
	}{
		{body(map[string]any{"current_period": true, "starting_on": jan["starting_on"]}), "current_period: give current_period or starting_on and ending_before, not both"},
		{body(nil), "starting_on: is required (or current_period: true)"},
		{body(map[string]any{"starting_on": u.at("2026-01-04T00:00:00Z"), "ending_before": jan["ending_before"]}), "starting_on: customer " + u.cust},
		{body(map[string]any{"window_size": "DAY", "current_period": true}), "window_size: DAY is not supported"},
		{body(map[string]any{"current_period": true, "group_by": map[string]any{"key": "team"}}), "group_by.key: team is not a pricing or presentation group key"},
		{body(map[string]any{"current_period": true, "group_key": []string{"region"}}), "group_key: is not supported"},
	}
	for _, c := range refused {
		st, b := u.do("POST", "/v1/usage/groups", c.body)
		if st != 400 || !strings.Contains(string(b), `"message":"`+c.want) {
			t.Errorf("%v: got %d %s, want 400 %q", c.body, st, b, c.want)
		}
	}
	st, b := u.do("POST", "/v1/usage/groups?limit=101", body(jan))
	if st != 400 || !strings.Contains(string(b), "limit: must be a whole number between 1 and 100") {
		t.Errorf("limit 101: %d %s", st, b)
	}
	idle := u.create("/v1/customers", map[string]any{"name": "idle"})
	st, b = u.do("POST", "/v1/usage/groups", map[string]any{"customer_id": idle, "billable_metric_id": u.tokens, "window_size": "NONE", "current_period": true})
	if st != 400 || !strings.Contains(string(b), "current_period: customer "+idle+" has no contract in force now") {
		t.Errorf("uncontracted current period: %d %s", st, b)
	}
}

// A metric feeding two products the rate card prices: each counted the
// events it priced, so the metric's usage is refused rather than guessed.
func TestUsageSeveralProductsRefused(t *testing.T) {
	u := newUsageEnv(t)
	other := u.create("/v1/contract-pricing/products/create", map[string]any{"name": "Tokens again", "type": "USAGE", "billable_metric_id": u.tokens})
	u.ok("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": u.rc, "product_id": other, "starting_at": u.at("2026-01-01T00:00:00Z"),
		"entitled": true, "rate_type": "FLAT", "price": 2}, nil)
	u.ingestJanFeb()
	st, b := u.do("POST", "/v1/usage", u.window(u.tokens, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", nil))
	if st != 400 || !strings.Contains(string(b), "billable_metrics[0].id: billable metric "+u.tokens+" feeds several products with usage") || !strings.Contains(string(b), other) {
		t.Fatalf("two products: %d %s", st, b)
	}
	// The other metric is still answered.
	if got := numStr(u.usage(u.window(u.peak, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", nil)).Data[0].Value); got != "9" {
		t.Fatalf("peak: %s", got)
	}
}
