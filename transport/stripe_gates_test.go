package transport

import (
	"strings"
	"testing"
	"time"

	"burndown/effects"
)

// STRIPE gates on the threshold configurations and on contracts/create,
// against stripe-mock (stripe_test.go's environment).

// waitCharges waits until n PaymentIntents were created and returns them.
func (e *stripeEnv) waitCharges(n int) []stripeCall {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		calls := e.rec.snapshot()
		if len(calls) >= n {
			return calls
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%d PaymentIntents, want %d: %+v", len(calls), n, calls)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitBalance waits until the check shows the balance.
func (e *stripeEnv) waitBalance(want string) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := e.check(e.cust, e.api)
		if c.Balance == want {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("balance %s, want %s: %+v", c.Balance, want, c)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Auto-recharge with a STRIPE gate: enabling it at a balance of 0 charges
// 2000 through Stripe (a PaymentIntent with the recharge's workflow, its
// own idempotency key); Stripe's synchronous "succeeded" credits it;
// spending down to the threshold charges the 1500 that recharges it to
// 2000, once.
func TestStripeAutoRechargeCharged(t *testing.T) {
	e := newStripeEnv(t, &stripeRecorder{status: "succeeded"})
	e.ok("POST", "/v2/contracts/edit", map[string]any{"customer_id": e.cust, "contract_id": e.contract,
		"add_prepaid_balance_threshold_configuration": map[string]any{"is_enabled": true, "threshold_amount": 500, "recharge_to_amount": 2000,
			"commit": map[string]any{"product_id": e.product, "name": "Auto-recharge"}, "payment_gate_config": piGate()}}, nil)
	first := e.waitCharges(1)[0]
	if first.form.Get("amount") != "2000" || first.form.Get("customer") != "cus_burndown" || first.key == "" ||
		first.form.Get("metadata["+effects.StripeMetaWorkflow+"]") == "" || first.form.Get("metadata["+effects.StripeMetaContract+"]") != e.contract {
		t.Fatalf("first recharge charge %+v", first)
	}
	e.waitBalance("2000")

	ingestAll(e.testEnv, "example-inc", "r", 1500, e.at("2026-01-02T00:00:00Z"))
	calls := e.waitCharges(2)
	second := calls[1]
	if second.form.Get("amount") != "1500" || second.key == first.key ||
		second.form.Get("metadata["+effects.StripeMetaWorkflow+"]") == first.form.Get("metadata["+effects.StripeMetaWorkflow+"]") {
		t.Fatalf("second recharge charge %+v after %+v", second, first)
	}
	e.waitBalance("2000")
	time.Sleep(200 * time.Millisecond)
	if n := len(e.rec.snapshot()); n != 2 {
		t.Fatalf("%d charges, want 2", n)
	}
}

// Threshold billing with a STRIPE gate: the crossing charges the
// outstanding spend through Stripe; paid, the draft statement's total is
// exactly 0. A STRIPE configuration for a customer without a Stripe id is
// refused with a 400 naming the field.
func TestStripeThresholdCharged(t *testing.T) {
	e := newStripeEnv(t, &stripeRecorder{status: "succeeded"})
	e.ok("POST", "/v2/contracts/edit", map[string]any{"customer_id": e.cust, "contract_id": e.contract,
		"add_spend_threshold_configuration": map[string]any{"is_enabled": true, "threshold_amount": 1000,
			"commit": map[string]any{"product_id": e.product, "name": "Threshold charge"}, "payment_gate_config": piGate()}}, nil)
	ingestAll(e.testEnv, "example-inc", "t", 1000, e.at("2026-01-02T00:00:00Z"))
	c := e.waitCharges(1)[0]
	if c.form.Get("amount") != "1000" || c.form.Get("customer") != "cus_burndown" || c.key == "" {
		t.Fatalf("threshold charge %+v", c)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		invs := e.invoices(e.cust, "?type=USAGE") // the charge's own purchase invoice aside
		if len(invs) == 1 && string(invs[0].Total) == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the threshold charge the draft is %+v, want total 0", invs)
		}
		time.Sleep(20 * time.Millisecond)
	}

	other := e.create("/v1/customers", map[string]any{"name": "No Stripe"})
	st, body := e.do("POST", "/v1/contracts/create", map[string]any{"customer_id": other, "rate_card_id": e.rc, "starting_at": e.at("2026-01-01T00:00:00Z"),
		"spend_threshold_configuration": map[string]any{"is_enabled": true, "threshold_amount": 1000,
			"commit": map[string]any{"product_id": e.product}, "payment_gate_config": piGate()}})
	if want := `"spend_threshold_configuration.payment_gate_config.payment_gate_type: STRIPE needs`; st != 400 || !strings.Contains(string(body), want) {
		t.Fatalf("STRIPE without a Stripe customer: %d %s", st, body)
	}
}

// A STRIPE-gated commit on contracts/create is charged through Stripe and
// settled by Stripe's event.
func TestStripeGateOnCreateCharged(t *testing.T) {
	e := newStripeEnv(t, &stripeRecorder{})
	buyer := e.create("/v1/customers", map[string]any{"name": "Buyer", "ingest_aliases": []string{"buyer"},
		"customer_billing_provider_configurations": []any{map[string]any{"billing_provider": "stripe", "delivery_method": "direct_to_billing_provider",
			"configuration": map[string]any{"stripe_customer_id": "cus_buyer"}}}})
	cm := prepaidCommit(e.testEnv, e.product, 3000)
	cm["payment_gate_config"] = piGate()
	k := e.create("/v1/contracts/create", map[string]any{"customer_id": buyer, "rate_card_id": e.rc, "starting_at": e.at("2026-01-01T00:00:00Z"),
		"prepaid_only": true, "commits": []any{cm}})
	c := e.waitCharges(1)[0]
	wf := c.form.Get("metadata[" + effects.StripeMetaWorkflow + "]")
	if c.form.Get("amount") != "3000" || c.form.Get("customer") != "cus_buyer" || c.form.Get("metadata["+effects.StripeMetaContract+"]") != k || wf == "" {
		t.Fatalf("charge %+v", c)
	}
	if ch := e.check(buyer, e.api); ch.Entitled || ch.Balance != "0" {
		t.Fatalf("before the payment: %+v", ch)
	}
	if st, body := e.stripeEvent("payment_intent.succeeded", wf, stripeTestSecret, ""); st != 200 || !strings.Contains(string(body), `"payment_gate_status":"paid"`) {
		t.Fatalf("succeeded event answered %d %s", st, body)
	}
	if ch := e.check(buyer, e.api); !ch.Entitled || ch.Balance != "3000" {
		t.Fatalf("after the payment: %+v", ch)
	}
}
