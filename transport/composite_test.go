package transport

import (
	"encoding/json"
	"strings"
	"testing"
)

// compositeCatalog: calls (tag api) FLAT 2, storage (tag storage) TIERED,
// a composite covering the storage tag and calls by id at 10 %, on a rate
// card with alias "std" from 2026-01-01.
func compositeCatalog(e *testEnv) (calls, storage, comp, rc string) {
	m := e.create("/v1/billable-metrics/create", map[string]any{"name": "calls", "aggregation_type": "COUNT",
		"event_type_filter": map[string]any{"in_values": []string{"call"}}})
	ms := e.create("/v1/billable-metrics/create", map[string]any{"name": "bytes", "aggregation_type": "SUM", "aggregation_key": "n",
		"event_type_filter": map[string]any{"in_values": []string{"upload"}}, "group_keys": [][]string{{"region"}}})
	calls = e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Calls", "type": "USAGE", "billable_metric_id": m, "tags": []string{"api"}})
	storage = e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Storage", "type": "USAGE", "billable_metric_id": ms,
		"tags": []string{"storage"}, "pricing_group_key": []string{"region"}})
	comp = e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Platform fee", "type": "COMPOSITE",
		"composite_product_ids": []string{calls}, "composite_tags": []string{"storage"}})
	rc = e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "Std",
		"aliases": []any{map[string]any{"name": "std", "starting_at": e.at("2026-01-01T00:00:00Z")}}})
	e.ok("POST", "/v1/contract-pricing/rate-cards/addRates", map[string]any{"rate_card_id": rc, "rates": []any{
		map[string]any{"product_id": calls, "starting_at": e.at("2026-01-01T00:00:00Z"), "entitled": true, "rate_type": "FLAT", "price": 2},
		map[string]any{"product_id": storage, "starting_at": e.at("2026-01-01T00:00:00Z"), "entitled": true, "rate_type": "TIERED",
			"tiers": []any{map[string]any{"size": 10, "price": 1}, map[string]any{"price": 0.5}}},
		map[string]any{"product_id": storage, "starting_at": e.at("2026-01-01T00:00:00Z"), "entitled": true, "rate_type": "FLAT", "price": 3,
			"pricing_group_values": map[string]string{"region": "eu"}},
		map[string]any{"product_id": comp, "starting_at": e.at("2026-01-01T00:00:00Z"), "entitled": true, "rate_type": "PERCENTAGE", "price": 0.1},
		// A later price of the calls: getRates at a time picks the one in force.
		map[string]any{"product_id": calls, "starting_at": e.at("2026-03-01T00:00:00Z"), "ending_before": e.at("2026-04-01T00:00:00Z"),
			"entitled": true, "rate_type": "FLAT", "price": 4},
	}}, nil)
	return calls, storage, comp, rc
}

// A contract by rate_card_alias, usage on covered products (one crossing a
// tier, one overridden), and the composite's usage line on the invoice.
func TestCompositeOverHTTP(t *testing.T) {
	e := newEnv(t, "2026-01-20T00:00:00Z")
	calls, _, comp, rc := compositeCatalog(e)
	cust := e.create("/v1/customers", map[string]any{"name": "Acme", "ingest_aliases": []string{"acme"}})
	var created struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	e.ok("POST", "/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_alias": "std", "starting_at": e.at("2026-01-01T00:00:00Z"),
		"overrides": []any{map[string]any{"starting_at": e.at("2026-01-01T00:00:00Z"), "product_id": calls, "type": "MULTIPLIER", "multiplier": 0.5}}}, &created)
	if status, body := e.do("POST", "/v1/contracts/get", map[string]any{"customer_id": cust, "contract_id": created.Data.ID}); status != 200 || !strings.Contains(string(body), rc) {
		t.Fatalf("the contract by alias does not name rate card %s: %d %s", rc, status, body)
	}
	ts := e.at("2026-01-10T00:00:00Z")
	e.ok("POST", "/v1/ingest", []any{
		map[string]any{"transaction_id": "c1", "customer_id": "acme", "event_type": "call", "timestamp": ts},
		map[string]any{"transaction_id": "c2", "customer_id": "acme", "event_type": "call", "timestamp": ts},
		map[string]any{"transaction_id": "u1", "customer_id": "acme", "event_type": "upload", "timestamp": ts, "properties": map[string]any{"n": "8", "region": "us"}},
		map[string]any{"transaction_id": "u2", "customer_id": "acme", "event_type": "upload", "timestamp": ts, "properties": map[string]any{"n": "6", "region": "us"}},
	}, nil)
	invs := e.invoices(cust, "")
	if len(invs) != 1 {
		t.Fatalf("invoices: %+v", invs)
	}
	// calls 2 × 2 × 0.5 = 2; storage 10 @ 1 + 4 @ 0.5 = 12; composite 10 % of 14.
	var compLine string
	for _, l := range invs[0].LineItems {
		if l.ProductID == comp {
			compLine = string(l.Total) + " qty " + string(*l.Quantity)
		}
	}
	if compLine != "1.4 qty 14" || string(invs[0].Total) != "15.4" {
		t.Fatalf("composite line %q, total %s: %+v", compLine, invs[0].Total, invs[0].LineItems)
	}
	// Unknown alias: 400 naming the field.
	status, body := e.do("POST", "/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_alias": "nope", "starting_at": e.at("2026-06-01T00:00:00Z")})
	if status != 400 || !strings.Contains(string(body), "rate_card_alias") {
		t.Fatalf("unknown alias: %d %s", status, body)
	}
	// Before the alias starts: no card has it then.
	status, body = e.do("POST", "/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_alias": "std", "starting_at": e.at("2025-06-01T00:00:00Z"),
		"ending_before": e.at("2025-07-01T00:00:00Z")})
	if status != 400 || !strings.Contains(string(body), "rate_card_alias") {
		t.Fatalf("alias not yet in force: %d %s", status, body)
	}
	// PERCENTAGE on a usage product, and a fraction above 1, are refused.
	for _, bad := range []map[string]any{
		{"rate_card_id": rc, "product_id": calls, "starting_at": e.at("2026-01-01T00:00:00Z"), "entitled": true, "rate_type": "PERCENTAGE", "price": 0.1},
		{"rate_card_id": rc, "product_id": comp, "starting_at": e.at("2026-01-01T00:00:00Z"), "entitled": true, "rate_type": "PERCENTAGE", "price": 2},
	} {
		if status, body := e.do("POST", "/v1/contract-pricing/rate-cards/addRate", bad); status != 400 || !strings.Contains(string(body), "rates[0].") {
			t.Errorf("bad PERCENTAGE rate: %d %s", status, body)
		}
	}
}

type getRatesOut struct {
	Data []struct {
		ProductID          string            `json:"product_id"`
		ProductName        string            `json:"product_name"`
		ProductTags        []string          `json:"product_tags"`
		StartingAt         string            `json:"starting_at"`
		EndingBefore       string            `json:"ending_before"`
		Entitled           bool              `json:"entitled"`
		PricingGroupValues map[string]string `json:"pricing_group_values"`
		Rate               struct {
			RateType   string `json:"rate_type"`
			Price      *jsonNumber
			Tiers      []any `json:"tiers"`
			CreditType struct {
				ID string `json:"id"`
			} `json:"credit_type"`
		} `json:"rate"`
	} `json:"data"`
	NextPage *string `json:"next_page"`
}

func (g getRatesOut) summary() string {
	var parts []string
	for _, d := range g.Data {
		s := d.ProductName + " " + d.Rate.RateType
		if d.Rate.Price != nil {
			s += " " + string(*d.Rate.Price)
		}
		if v := d.PricingGroupValues["region"]; v != "" {
			s += " region=" + v
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func TestGetRatesOverHTTP(t *testing.T) {
	e := newEnv(t, "2026-01-20T00:00:00Z")
	calls, storage, _, rc := compositeCatalog(e)
	get := func(query string, body map[string]any) getRatesOut {
		t.Helper()
		body["rate_card_id"] = rc
		var out getRatesOut
		e.ok("POST", "/v1/contract-pricing/rate-cards/getRates"+query, body, &out)
		return out
	}
	jan, mar := e.at("2026-01-15T00:00:00Z"), e.at("2026-03-15T00:00:00Z")
	cases := []struct {
		name  string
		body  map[string]any
		want  string
		check func(getRatesOut) bool
	}{
		{"all at a time", map[string]any{"at": jan}, "Calls FLAT 2; Storage TIERED; Storage FLAT 3 region=eu; Platform fee PERCENTAGE 0.1", nil},
		{"a later price in force", map[string]any{"at": mar}, "Calls FLAT 4; Storage TIERED; Storage FLAT 3 region=eu; Platform fee PERCENTAGE 0.1",
			func(g getRatesOut) bool { return g.Data[0].EndingBefore == e.at("2026-04-01T00:00:00Z") }},
		{"before any rate", map[string]any{"at": e.at("2025-12-01T00:00:00Z")}, "", nil},
		{"by product id", map[string]any{"at": jan, "selectors": []any{map[string]any{"product_id": calls}}}, "Calls FLAT 2", nil},
		{"by tag", map[string]any{"at": jan, "selectors": []any{map[string]any{"product_tags": []string{"storage"}}}}, "Storage TIERED; Storage FLAT 3 region=eu", nil},
		{"exact group values", map[string]any{"at": jan, "selectors": []any{map[string]any{"pricing_group_values": map[string]string{"region": "eu"}}}}, "Storage FLAT 3 region=eu", nil},
		{"partial group values with a product", map[string]any{"at": jan, "selectors": []any{
			map[string]any{"product_id": storage, "partial_pricing_group_values": map[string]string{"region": "eu"}},
			map[string]any{"product_id": calls}}}, "Calls FLAT 2; Storage FLAT 3 region=eu", nil},
	}
	for _, c := range cases {
		out := get("", c.body)
		if got := out.summary(); got != c.want || out.NextPage != nil || (c.check != nil && !c.check(out)) {
			t.Errorf("%s: got %q (next %v), want %q: %+v", c.name, got, out.NextPage, c.want, out)
		}
	}
	// Shape: product fields and the rate's credit type.
	out := get("", map[string]any{"at": jan, "selectors": []any{map[string]any{"product_id": calls}}})
	if d := out.Data[0]; d.ProductID != calls || !d.Entitled || d.StartingAt != e.at("2026-01-01T00:00:00Z") || len(d.ProductTags) != 1 || d.Rate.CreditType.ID == "" {
		t.Errorf("shape: %+v", d)
	}
	// Pagination: 4 rates, pages of 3.
	p1 := get("?limit=3", map[string]any{"at": jan})
	if len(p1.Data) != 3 || p1.NextPage == nil {
		t.Fatalf("page 1: %+v", p1)
	}
	p2 := get("?limit=3&next_page="+*p1.NextPage, map[string]any{"at": jan})
	if p2.summary() != "Platform fee PERCENTAGE 0.1" || p2.NextPage != nil {
		t.Fatalf("page 2: %+v", p2)
	}
	if status, body := e.do("POST", "/v1/contract-pricing/rate-cards/getRates", map[string]any{"rate_card_id": "nope", "at": jan}); status != 404 {
		t.Errorf("unknown card: %d %s", status, body)
	}
	if status, body := e.do("POST", "/v1/contract-pricing/rate-cards/getRates", map[string]any{"rate_card_id": rc}); status != 400 || !strings.Contains(string(body), "at") {
		t.Errorf("missing at: %d %s", status, body)
	}
}

// Products and rate cards read back in Metronome's shapes, paginated.
func TestCatalogReadsOverHTTP(t *testing.T) {
	e := newEnv(t, "2026-01-20T00:00:00Z")
	calls, _, comp, rc := compositeCatalog(e)
	var p struct {
		Data struct {
			ID      string `json:"id"`
			Type    string `json:"type"`
			Current struct {
				CompositeProductIDs []string `json:"composite_product_ids"`
				CompositeTags       []string `json:"composite_tags"`
			} `json:"current"`
		} `json:"data"`
	}
	e.ok("POST", "/v1/contract-pricing/products/get", map[string]any{"id": comp}, &p)
	if p.Data.Type != "COMPOSITE" || len(p.Data.Current.CompositeProductIDs) != 1 || p.Data.Current.CompositeProductIDs[0] != calls ||
		len(p.Data.Current.CompositeTags) != 1 {
		t.Fatalf("composite product: %+v", p.Data)
	}
	var list struct {
		Data     []json.RawMessage `json:"data"`
		NextPage *string           `json:"next_page"`
	}
	e.ok("POST", "/v1/contract-pricing/products/list?limit=2", map[string]any{}, &list)
	if len(list.Data) != 2 || list.NextPage == nil {
		t.Fatalf("products page 1: %d %v", len(list.Data), list.NextPage)
	}
	e.ok("POST", "/v1/contract-pricing/products/list?limit=2&next_page="+*list.NextPage, nil, &list)
	if len(list.Data) != 1 || list.NextPage != nil {
		t.Fatalf("products page 2: %d %v", len(list.Data), list.NextPage)
	}
	var card struct {
		Data struct {
			Aliases []struct {
				Name         string  `json:"name"`
				StartingAt   string  `json:"starting_at"`
				EndingBefore *string `json:"ending_before"`
			} `json:"aliases"`
		} `json:"data"`
	}
	e.ok("POST", "/v1/contract-pricing/rate-cards/get", map[string]any{"id": rc}, &card)
	if a := card.Data.Aliases; len(a) != 1 || a[0].Name != "std" || a[0].StartingAt != e.at("2026-01-01T00:00:00Z") || a[0].EndingBefore != nil {
		t.Fatalf("aliases: %+v", card.Data)
	}
	e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "Other"})
	e.ok("POST", "/v1/contract-pricing/rate-cards/list?limit=1", nil, &list)
	if len(list.Data) != 1 || list.NextPage == nil || !strings.Contains(string(list.Data[0]), `"aliases":[{"name":"std"`) {
		t.Fatalf("rate cards page 1: %s %v", list.Data, list.NextPage)
	}
}
