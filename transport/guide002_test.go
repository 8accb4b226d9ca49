package transport

import (
	"testing"
	"time"
)

// Guide 002, the threshold billing and auto-recharge announcement (seed
// 002), shows no calls; its two examples are played with the fields the
// contract takes, STRIPE-gated: "User hit $100 of usage, trigger an
// invoice. Payment is successful, release the commit to return outstanding
// spend to $0." and "User's balance fell below $20, automatically attempt
// payment to bring it to $50."
func TestGuide002ThresholdBillingAndRecharge(t *testing.T) {
	e, rec := guideStripeEnv(t, "2026-01-02T00:00:00Z")
	api, purchase, rc := scenarioACatalog(e)
	stripeCustomer := func(name, alias, stripeID string) string {
		return e.create("/v1/customers", map[string]any{"name": name, "ingest_aliases": []string{alias},
			"customer_billing_provider_configurations": []any{map[string]any{"billing_provider": "stripe", "delivery_method": "direct_to_billing_provider",
				"configuration": map[string]any{"stripe_customer_id": stripeID}}}})
	}
	gate := map[string]any{"payment_gate_type": "STRIPE"} // no stripe_config: paid by Stripe invoice, Metronome's default

	// $100 of usage: 10000 cents charged, the draft's total back to 0.
	spender := stripeCustomer("Spender", "spender", "cus_spend")
	e.create("/v1/contracts/create", map[string]any{"customer_id": spender, "rate_card_id": rc, "starting_at": "2026-01-01T00:00:00Z",
		"spend_threshold_configuration": map[string]any{"is_enabled": true, "threshold_amount": 10000,
			"commit": map[string]any{"product_id": purchase}, "payment_gate_config": gate}})
	ingestAll(e, "spender", "s", 9999, "2026-01-02T00:00:00Z")
	if n := len(rec.snapshot()); n != 0 {
		t.Fatalf("%d charges before $100 of usage", n)
	}
	ingestAll(e, "spender", "t", 1, "2026-01-02T00:00:00Z")
	if got := chargesFor(t, rec, "cus_spend", 1); got[0] != "10000" {
		t.Fatalf("threshold charge %v, want 10000", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		invs := e.invoices(spender, "?type=USAGE") // the charge's own purchase invoice aside
		if len(invs) == 1 && string(invs[0].Total) == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outstanding spend after the paid charge: %+v", invs)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Below $20, back to $50: 5000 at once (the balance is 0), then the
	// 3000 spent once the balance is down to 2000.
	prepaid := stripeCustomer("Prepaid", "prepaid", "cus_recharge")
	e.create("/v1/contracts/create", map[string]any{"customer_id": prepaid, "rate_card_id": rc, "starting_at": "2026-01-01T00:00:00Z",
		"prepaid_balance_threshold_configuration": map[string]any{"is_enabled": true, "threshold_amount": 2000, "recharge_to_amount": 5000,
			"commit": map[string]any{"product_id": purchase}, "payment_gate_config": gate}})
	if got := chargesFor(t, rec, "cus_recharge", 1); got[0] != "5000" {
		t.Fatalf("first recharge %v, want 5000", got)
	}
	e.waitCheck(prepaid, api, "5000")
	ingestAll(e, "prepaid", "p", 3000, "2026-01-02T00:00:00Z")
	if got := chargesFor(t, rec, "cus_recharge", 2); got[1] != "3000" {
		t.Fatalf("second recharge %v, want 3000", got)
	}
	e.waitCheck(prepaid, api, "5000")
}
