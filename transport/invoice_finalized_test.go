package transport

import "testing"

// invoice.finalized through the API: a usage invoice in its grace period
// sends nothing; the tick past its grace finalizes it and one signed
// webhook names it, the customer and the finalization time.
func TestHTTPInvoiceFinalizedWebhook(t *testing.T) {
	e := newEnv(t, "2026-01-05T00:00:00Z")
	rcv := newHookReceiver(t, "whsec_fin")
	e.ok("POST", "/v1/webhooks/create", map[string]any{"url": rcv.srv.URL, "secret": "whsec_fin", "event_types": []string{"invoice.finalized"}}, nil)
	metric := e.create("/v1/billable-metrics/create", map[string]any{"name": "units", "event_type_filter": map[string]any{"in_values": []string{"unit"}}})
	product := e.create("/v1/contract-pricing/products/create", map[string]any{"name": "Units", "type": "USAGE", "billable_metric_id": metric})
	rc := e.create("/v1/contract-pricing/rate-cards/create", map[string]any{"name": "PayGo"})
	start := e.at("2026-01-01T00:00:00Z")
	e.ok("POST", "/v1/contract-pricing/rate-cards/addRate", map[string]any{"rate_card_id": rc, "product_id": product, "starting_at": start,
		"entitled": true, "rate_type": "FLAT", "price": 100}, nil)
	cust := e.create("/v1/customers", map[string]any{"name": "F", "ingest_aliases": []string{"f"}})
	e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": start})
	e.ok("POST", "/v1/ingest", events("f", "x", 0, 3, e.at("2026-01-05T00:00:00Z")), nil)

	e.setClock(e.at("2026-02-01T12:00:00Z")) // in the 24-hour grace
	rcv.wait(0)
	e.setClock(e.at("2026-02-02T00:00:00Z"))
	got := rcv.wait(1)
	invs := e.invoices(cust, "")
	if len(invs) == 0 || invs[0].Status != "FINALIZED" {
		t.Fatalf("invoices %+v", invs)
	}
	if p := got[0].Properties; got[0].Type != "invoice.finalized" || p["invoice_id"] != invs[0].ID || p["customer_id"] != cust ||
		p["invoice_finalized_date"] != "2026-02-02T00:00:00Z" {
		t.Fatalf("invoice.finalized webhook: %+v", got[0])
	}
}
