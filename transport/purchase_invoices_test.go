package transport

import "testing"

// A payment-gated commit's purchase invoice exists: the invoice_id of its
// payment_gate.external_initiate webhook is fetched and listed, a
// SCHEDULED invoice issued when the gate was raised, with one
// commit_purchase line of the commit's price; FINALIZED while it is paid or
// waits, VOID once the payment failed.
func TestHTTPPurchaseInvoices(t *testing.T) {
	e := newEnv(t, "2026-01-02T00:00:00Z")
	rcv := newHookReceiver(t, "whsec_buy")
	e.ok("POST", "/v1/webhooks/create", map[string]any{"url": rcv.srv.URL, "secret": "whsec_buy"}, nil)
	_, purchase, rc := scenarioACatalog(e)
	cust := e.create("/v1/customers", map[string]any{"name": "Buyer", "ingest_aliases": []string{"buyer"}})
	contract := e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z")})
	buy := func(amount int) {
		e.ok("POST", "/v2/contracts/edit", map[string]any{"customer_id": cust, "contract_id": contract, "add_commits": []any{map[string]any{
			"type": "PREPAID", "product_id": purchase, "payment_gate_config": map[string]any{"payment_gate_type": "EXTERNAL"},
			"access_schedule": map[string]any{"schedule_items": []any{map[string]any{"amount": amount,
				"starting_at": e.at("2026-01-01T00:00:00Z"), "ending_before": e.at("2027-01-01T00:00:00Z")}}}}}}, nil)
	}
	buy(2000)
	got := rcv.wait(1)
	first := got[0].Properties["invoice_id"].(string)
	var one struct{ Data invoiceJSON }
	e.ok("GET", "/v1/customers/"+cust+"/invoices/"+first, nil, &one)
	inv := one.Data
	if inv.ID != first || inv.Type != "SCHEDULED" || inv.Status != "FINALIZED" || string(inv.Total) != "2000" || inv.IssuedAt != e.at("2026-01-02T00:00:00Z") ||
		len(inv.LineItems) != 1 || inv.LineItems[0].Type != "commit_purchase" || inv.LineItems[0].ProductID != purchase || string(inv.LineItems[0].Total) != "2000" {
		t.Fatalf("purchase invoice %+v", inv)
	}
	buy(1000)
	got = rcv.wait(2)
	second := got[1].Properties["invoice_id"].(string)
	e.ok("POST", "/v1/contracts/commits/threshold-billing/release", map[string]any{"workflow_id": got[1].Properties["workflow_id"], "outcome": "failed"}, nil)
	voided := e.invoices(cust, "?status=VOID")
	if len(voided) != 1 || voided[0].ID != second || string(voided[0].Total) != "1000" {
		t.Fatalf("VOID invoices %+v", voided)
	}
	if all := e.invoices(cust, "?type=SCHEDULED"); len(all) != 2 || all[0].ID != first || all[1].ID != second {
		t.Fatalf("SCHEDULED invoices %+v", all)
	}
}
