package transport

import (
	"testing"
	"time"

	"burndown/effects"
)

// A STRIPE charge that Stripe answers requires_action (stripe-mock's
// PaymentIntent with its status rewritten, as a card asking for 3D Secure
// does): the commit stays pending, one
// payment_gate.payment_pending_action_required webhook goes out with the
// workflow, its invoice and the PaymentIntent; Stripe's
// payment_intent.requires_action event for the same action sends nothing
// more and charges nothing again; payment_intent.succeeded then settles it
// paid (payment_status webhook) and credits the balance.
func TestStripeGatePendingActionWebhook(t *testing.T) {
	rec := &stripeRecorder{status: "requires_action"}
	e := newStripeEnv(t, rec)
	rcv := newHookReceiver(t, "whsec_action")
	e.ok("POST", "/v1/webhooks/create", map[string]any{"url": rcv.srv.URL, "secret": "whsec_action"}, nil)
	wf := e.buyStripe(500).form.Get("metadata[" + effects.StripeMetaWorkflow + "]")
	got := rcv.wait(1)
	p := got[0].Properties
	bp, _ := p["billing_provider"].(map[string]any)
	stripe, _ := bp["stripe"].(map[string]any)
	if got[0].Type != "payment_gate.payment_pending_action_required" || p["workflow_id"] != wf || p["customer_id"] != e.cust ||
		p["contract_id"] != e.contract || p["workflow_type"] != "manual_commit" || p["invoice_id"] == nil || p["error_message"] == nil ||
		bp["type"] != "stripe" || stripe["payment_intent_id"] == nil || stripe["payment_intent_id"] == "" {
		t.Fatalf("pending action webhook: %+v", got[0])
	}
	if g := e.waitGate("pending"); g.VoidReason != "" {
		t.Fatalf("pending commit %+v", g)
	}

	// Stripe's own event about the same action: nothing new.
	pi := map[string]any{"id": stripe["payment_intent_id"], "object": "payment_intent", "amount": 500, "currency": "usd", "customer": "cus_burndown",
		"metadata": map[string]string{effects.StripeMetaWorkflow: wf}, "status": "requires_action"}
	if action := p["error_message"].(string); action != "requires_action" {
		pi["next_action"] = map[string]any{"type": action}
	}
	if st, body := e.signedEvent("payment_intent.requires_action", "evt_action", pi, stripeTestSecret); st != 200 {
		t.Fatalf("requires_action event answered %d %s", st, body)
	}
	rcv.wait(1)
	e.waitGate("pending")

	if st, body := e.stripeEvent("payment_intent.succeeded", wf, stripeTestSecret, ""); st != 200 {
		t.Fatalf("succeeded event answered %d %s", st, body)
	}
	e.waitGate("paid")
	got = rcv.wait(2)
	if got[1].Type != "payment_gate.payment_status" || got[1].Properties["payment_status"] != "paid" || got[1].Properties["error_message"] != nil {
		t.Fatalf("payment status webhook: %+v", got[1])
	}
	if ch := e.check(e.cust, e.api); !ch.Entitled || ch.Balance != "500" {
		t.Fatalf("after payment: %+v", ch)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(rec.snapshot()); n != 1 {
		t.Fatalf("%d charges, want 1", n)
	}
}
