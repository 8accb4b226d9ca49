package engine

import (
	"context"
	"strings"
	"testing"
)

// A STRIPE payment needing the customer's action: the workflow stays
// pending, payment_gate.payment_pending_action_required goes out once (the
// same answer again, as a retried charge gets, notifies nothing), the API
// cannot send that outcome, and Stripe's later success settles it and
// clears the action.
func TestStripePaymentPendingAction(t *testing.T) {
	h, cust, contract, api, purchase := paymentsSetup(t)
	h.must(&EditContract{CustomerID: cust, ContractID: contract, AddCommits: []CommitInput{{Type: CommitPrepaid, ProductID: purchase,
		AccessSchedule: []ScheduleItem{{Amount: dec("700"), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}},
		PaymentGate:    &PaymentGateInput{Type: GateStripe}}}})
	wf := only(t, h.payNotes(), NoteStripeCharge, 1)[0].Properties["workflow_id"].(string)

	if r := h.apply(&ReleasePaymentGate{WorkflowID: wf, Outcome: GateActionRequired}); r[0].Err == nil || !strings.HasPrefix(r[0].Err.Message, "outcome:") {
		t.Fatalf("action_required from the API answered %+v", r[0])
	}
	release := &ReleasePaymentGate{WorkflowID: wf, Outcome: GateActionRequired, ErrorMessage: "use_stripe_sdk", PaymentIntentID: "pi_123", Provider: ProviderStripe}
	r := h.must(release)
	if r.Gate == nil || r.Gate.Status != GatePending {
		t.Fatalf("action_required answered %+v", r.Gate)
	}
	n := only(t, h.payNotes(), NotePendingAction, 1)[0]
	p := n.Properties
	bp, _ := p["billing_provider"].(map[string]any)
	if p["workflow_id"] != wf || p["customer_id"] != cust || p["contract_id"] != contract || p["invoice_id"] == "" || p["error_message"] != "use_stripe_sdk" ||
		p["workflow_type"] != WorkflowManualCommit || bp["type"] != "stripe" || bp["stripe"].(map[string]any)["payment_intent_id"] != "pi_123" {
		t.Fatalf("pending action notification %+v", p)
	}
	w := h.workflowOf(cust, wf)
	if !w.AwaitsAction() {
		t.Fatalf("workflow %+v does not await the action", w)
	}
	h.wantCheck("pending action", "example-inc", api, "false", ReasonBalanceDepleted, "0")

	// The same answer again (a retried charge): nothing new.
	h.must(release)
	if notes := h.payNotes(); len(notes) != 0 {
		t.Fatalf("a repeated action_required notified %+v", notes)
	}

	h.must(&ReleasePaymentGate{WorkflowID: wf, Outcome: GatePaid, Provider: ProviderStripe})
	only(t, h.payNotes(), NotePaymentStatus, 1)
	if w := h.workflowOf(cust, wf); w.Status != GatePaid || w.ErrorMessage != "" || w.AwaitsAction() {
		t.Fatalf("paid workflow %+v", w)
	}
	h.wantCheck("paid", "example-inc", api, "true", ReasonOK, "700")
	// After settling, an action_required changes and notifies nothing.
	h.must(release)
	if notes := h.payNotes(); len(notes) != 0 {
		t.Fatalf("action_required after settling notified %+v", notes)
	}
}

// workflowOf copies a customer's workflow as it is now.
func (h *harness) workflowOf(cust, id string) (wf *PaymentWorkflow) {
	h.t.Helper()
	h.e.read(context.Background(), cust, func(c *Customer, _ *Catalog, _ Nanos) {
		if _, w := c.Workflow(id); w != nil {
			cp := *w
			wf = &cp
		}
	})
	if wf == nil {
		h.t.Fatalf("workflow %s not found", id)
	}
	return wf
}
