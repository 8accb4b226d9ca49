package transport

import (
	"encoding/json"
	"strings"
	"testing"
)

// A postpaid commit and an invoiced prepaid commit over HTTP: the purchase
// (commit_purchase) is billed on a SCHEDULED invoice of its own, dated at
// its item and issued then (Metronome's default); the January usage
// invoice bills the usage the postpaid commit covers (its applied line
// shown, not subtracted) and, after the term's end, the true-up;
// customerBalances/list renders both commits with Metronome's ledger entry
// types and the invoice schedule's invoice ids.
func TestHTTPPostpaidAndCommitPurchase(t *testing.T) {
	e := newEnv(t, "2026-01-01T00:00:00Z")
	api, purchase, rc := scenarioACatalog(e) // api calls at 1 each
	cust := e.create("/v1/customers", map[string]any{"name": "Postpaid Inc", "ingest_aliases": []string{"postpaid-inc"}})
	jan, feb := e.at("2026-01-01T00:00:00Z"), e.at("2026-02-01T00:00:00Z")
	e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": jan, "commits": []any{
		map[string]any{"type": "POSTPAID", "product_id": purchase, "name": "Annual minimum",
			"access_schedule":  map[string]any{"schedule_items": []any{map[string]any{"amount": 1000, "starting_at": jan, "ending_before": feb}}},
			"invoice_schedule": map[string]any{"schedule_items": []any{map[string]any{"timestamp": e.at("2026-01-31T00:00:00Z"), "amount": 1000}}}},
		map[string]any{"type": "PREPAID", "product_id": purchase, "name": "Prepaid pack",
			"access_schedule":  map[string]any{"schedule_items": []any{map[string]any{"amount": 50, "starting_at": feb, "ending_before": e.at("2026-03-01T00:00:00Z")}}},
			"invoice_schedule": map[string]any{"schedule_items": []any{map[string]any{"timestamp": e.at("2026-01-05T00:00:00Z"), "unit_price": 20, "quantity": 2}}}},
	}})
	e.setClock(e.at("2026-01-10T00:00:00Z"))
	for i := 0; i < 3; i++ {
		e.ok("POST", "/v1/ingest", events("postpaid-inc", "a", 100*i, 100, e.at("2026-01-10T00:00:00Z")), nil)
	}
	e.setClock(e.at("2026-02-01T00:00:00Z")) // the postpaid term ends

	invs := e.invoices(cust, "")
	if len(invs) != 2 {
		t.Fatalf("%d invoices, want the purchase's SCHEDULED one and January's usage invoice", len(invs))
	}
	buyInv, inv := invs[0], invs[1]
	if buyInv.Type == "USAGE" {
		buyInv, inv = inv, buyInv
	}
	if buyInv.Type != "SCHEDULED" || buyInv.Status != "FINALIZED" || string(buyInv.Total) != "40" || len(buyInv.LineItems) != 1 ||
		buyInv.LineItems[0].Type != "commit_purchase" || buyInv.StartTimestamp != e.at("2026-01-05T00:00:00Z") {
		t.Fatalf("purchase invoice %+v, want a finalized SCHEDULED invoice of 40 at January 5", buyInv)
	}
	var got []string
	for _, l := range inv.LineItems {
		got = append(got, l.Type+" "+string(l.Total))
	}
	// 300 usage (covered by the postpaid commit, billed in arrears) + 700
	// true-up.
	if want := "usage 300, applied_commit_or_credit -300, commit_purchase 700"; inv.Type != "USAGE" || strings.Join(got, ", ") != want || string(inv.Total) != "1000" {
		t.Fatalf("%s invoice total %s lines %s, want USAGE of 1000: %s", inv.Type, inv.Total, strings.Join(got, ", "), want)
	}
	var raw struct {
		Data struct {
			LineItems []map[string]any `json:"line_items"`
		} `json:"data"`
	}
	e.ok("GET", "/v1/customers/"+cust+"/invoices/"+inv.ID, nil, &raw)
	trueUp := raw.Data.LineItems[2]
	if trueUp["commit_type"] != "PostpaidCommit" || trueUp["postpaid_commit"] == nil || trueUp["name"] != "Annual minimum" || trueUp["product_type"] != "FixedProductListItem" {
		t.Fatalf("true-up line %v", trueUp)
	}
	e.ok("GET", "/v1/customers/"+cust+"/invoices/"+buyInv.ID, nil, &raw)
	if buy := raw.Data.LineItems[0]; buy["commit_type"] != "PrepaidCommit" || buy["unit_price"] != json.Number("20") && buy["unit_price"] != float64(20) {
		t.Fatalf("purchase line %v", buy)
	}

	var bal struct {
		Data []map[string]any `json:"data"`
	}
	e.ok("POST", "/v1/contracts/customerBalances/list", map[string]any{
		"customer_id": cust, "include_contract_balances": true, "include_balance": true, "include_ledgers": true}, &bal)
	if len(bal.Data) != 2 {
		t.Fatalf("%d balances", len(bal.Data))
	}
	pp, pre := bal.Data[0], bal.Data[1]
	var types []string
	for _, le := range pp["ledger"].([]any) {
		m := le.(map[string]any)
		types = append(types, m["type"].(string)+" "+jsonText(m["amount"]))
	}
	if want := "POSTPAID_COMMIT_INITIAL_BALANCE 1000, POSTPAID_COMMIT_AUTOMATED_INVOICE_DEDUCTION -300, POSTPAID_COMMIT_TRUEUP -700"; pp["type"] != "POSTPAID" || strings.Join(types, ", ") != want {
		t.Fatalf("postpaid ledger %s, want %s", strings.Join(types, ", "), want)
	}
	is := pre["invoice_schedule"].(map[string]any)
	item := is["schedule_items"].([]any)[0].(map[string]any)
	if item["invoice_id"] != buyInv.ID || jsonText(item["amount"]) != "40" || jsonText(item["quantity"]) != "2" || is["do_not_invoice"] != false {
		t.Fatalf("invoice schedule %v", is)
	}
	_ = api
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
