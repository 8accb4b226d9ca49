package transport

import (
	"strings"
	"testing"
)

// payment_gate_config on /v1/contracts/create commits: EXTERNAL makes the
// commit pending (listed with balance 0, in no balance) until released, as
// on /v2/contracts/edit add_commits; STRIPE stays refused by name, and so
// do a gated credit and a gated POSTPAID commit.
func TestHTTPGatedCommitOnCreate(t *testing.T) {
	e := newEnv(t, "2026-01-02T00:00:00Z")
	rcv := newHookReceiver(t, "whsec_c")
	e.ok("POST", "/v1/webhooks/create", map[string]any{"url": rcv.srv.URL, "secret": "whsec_c"}, nil)
	api, purchase, rc := scenarioACatalog(e)
	cust := e.create("/v1/customers", map[string]any{"name": "Example Inc", "ingest_aliases": []string{"example-inc"}})
	commit := func(typ string, amount int, gate string) map[string]any {
		return map[string]any{"type": typ, "product_id": purchase, "payment_gate_config": map[string]any{"payment_gate_type": gate},
			"access_schedule": map[string]any{"schedule_items": []any{map[string]any{"amount": amount,
				"starting_at": e.at("2026-01-01T00:00:00Z"), "ending_before": e.at("2027-01-01T00:00:00Z")}}}}
	}
	contract := e.create("/v1/contracts/create", map[string]any{"customer_id": cust, "rate_card_id": rc, "starting_at": e.at("2026-01-01T00:00:00Z"),
		"prepaid_only": true, "commits": []any{commit("PREPAID", 2000, "EXTERNAL"), commit("PREPAID", 300, "NONE")}})
	got := rcv.wait(1)
	if got[0].Type != "payment_gate.external_initiate" || got[0].Properties["invoice_total"] != 2000.0 || got[0].Properties["contract_id"] != contract ||
		got[0].Properties["workflow_type"] != "manual_commit" {
		t.Fatalf("initiate: %+v", got[0])
	}
	if c := e.check(cust, api); !c.Entitled || c.Balance != "300" {
		t.Fatalf("pending: %+v", c)
	}
	var list struct{ Data []gatedItem }
	e.ok("POST", "/v1/contracts/customerBalances/list", map[string]any{"customer_id": cust, "include_contract_balances": true, "include_balance": true}, &list)
	if len(list.Data) != 2 || list.Data[1].PaymentGateStatus != "pending" || string(*list.Data[1].Balance) != "0" || string(*list.Data[0].Balance) != "300" {
		t.Fatalf("balances: %+v", list.Data)
	}
	for _, outcome := range []string{"paid", "paid", "failed"} {
		var out struct{ Data releaseOut }
		e.ok("POST", "/v1/contracts/commits/threshold-billing/release", map[string]any{"workflow_id": got[0].Properties["workflow_id"], "outcome": outcome}, &out)
		if out.Data.PaymentGateStatus != "paid" || out.Data.CommitID != list.Data[1].ID {
			t.Fatalf("release %s: %+v", outcome, out.Data)
		}
	}
	if st := rcv.wait(2)[1]; st.Type != "payment_gate.payment_status" || st.Properties["payment_status"] != "paid" {
		t.Fatalf("status: %+v", st)
	}
	if c := e.check(cust, api); !c.Entitled || c.Balance != "2300" {
		t.Fatalf("paid: %+v", c)
	}

	other := e.create("/v1/customers", map[string]any{"name": "Other"})
	credit := commit("PREPAID", 1, "EXTERNAL")
	delete(credit, "type")
	for _, tc := range []struct {
		field string
		list  []any
		want  string
	}{
		{"commits", []any{commit("PREPAID", 1, "STRIPE")}, "commits[0].payment_gate_config.payment_gate_type: STRIPE needs the customer's stripe billing provider configuration with a stripe_customer_id"},
		{"commits", []any{commit("POSTPAID", 1, "EXTERNAL")}, "commits[0].payment_gate_config: only PREPAID commits can be payment-gated"},
		{"credits", []any{credit}, "credits[0].payment_gate_config"},
	} {
		st, body := e.do("POST", "/v1/contracts/create", map[string]any{"customer_id": other, "rate_card_id": rc,
			"starting_at": e.at("2026-01-01T00:00:00Z"), tc.field: tc.list})
		if st != 400 || !strings.Contains(string(body), `"`+tc.want) {
			t.Errorf("%d %s, want a 400 starting %q", st, body, tc.want)
		}
	}
	rcv.wait(2) // nothing more was sent
}
