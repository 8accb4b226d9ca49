package engine

import (
	"strings"
	"testing"
)

// A STRIPE-gated purchase: pending until Stripe settles it; the charge is
// asked for by payment_gate.stripe_charge with the customer's Stripe id;
// only a release from Stripe settles it, once.
func TestStripeGatePaidThroughStripe(t *testing.T) {
	h, cust, contract, api, purchase := paymentsSetup(t)
	h.must(&EditContract{CustomerID: cust, ContractID: contract, AddCommits: []CommitInput{{Type: CommitPrepaid, ProductID: purchase,
		AccessSchedule: []ScheduleItem{{Amount: dec("2000"), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}},
		PaymentGate:    &PaymentGateInput{Type: GateStripe}}}})
	notes := h.payNotes()
	only(t, notes, NotePaymentInitiate, 0)
	n := only(t, notes, NoteStripeCharge, 1)[0]
	if n.Properties["stripe_customer_id"] != "cus_123" || n.Properties["invoice_total"] != 2000.0 || n.Properties["customer_id"] != cust ||
		n.Properties["contract_id"] != contract || n.Properties["workflow_type"] != WorkflowManualCommit {
		t.Fatalf("stripe_charge %+v", n)
	}
	wf := n.Properties["workflow_id"].(string)
	h.wantCheck("pending", "example-inc", api, "false", ReasonBalanceDepleted, "0")

	// The API's release cannot settle it.
	if r := h.apply(&ReleasePaymentGate{WorkflowID: wf, Outcome: GatePaid}); r[0].Err == nil || !strings.Contains(r[0].Err.Message, "Stripe settles it") {
		t.Fatalf("API release of a STRIPE workflow answered %+v", r[0])
	}
	h.wantCheck("after API release", "example-inc", api, "false", ReasonBalanceDepleted, "0")

	r := h.must(&ReleasePaymentGate{WorkflowID: wf, Outcome: GatePaid, Provider: ProviderStripe})
	if r.Gate == nil || r.Gate.Status != GatePaid {
		t.Fatalf("release answered %+v", r.Gate)
	}
	st := only(t, h.payNotes(), NotePaymentStatus, 1)[0]
	if st.Properties["payment_status"] != GatePaid {
		t.Fatalf("status %+v", st)
	}
	h.wantCheck("paid", "example-inc", api, "true", ReasonOK, "2000")
	// A later failure event from Stripe changes nothing.
	r = h.must(&ReleasePaymentGate{WorkflowID: wf, Outcome: GateFailed, ErrorMessage: "card declined", Provider: ProviderStripe})
	if r.Gate.Status != GatePaid {
		t.Fatalf("second release answered %+v", r.Gate)
	}
	h.wantCheck("paid twice", "example-inc", api, "true", ReasonOK, "2000")
}

func TestStripeGateFailedAndRefusals(t *testing.T) {
	h, cust, contract, api, purchase := paymentsSetup(t)
	add := func(customer, contract, typ string) []Result {
		return h.apply(&EditContract{CustomerID: customer, ContractID: contract, AddCommits: []CommitInput{{Type: CommitPrepaid, ProductID: purchase,
			AccessSchedule: []ScheduleItem{{Amount: dec("500"), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}},
			PaymentGate:    &PaymentGateInput{Type: typ}}}})
	}
	if r := add(cust, contract, GateStripe); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	wf := only(t, h.payNotes(), NoteStripeCharge, 1)[0].Properties["workflow_id"].(string)
	r := h.must(&ReleasePaymentGate{WorkflowID: wf, Outcome: GateFailed, ErrorMessage: "Your card was declined.", Provider: ProviderStripe})
	if r.Gate.Status != GateFailed {
		t.Fatalf("release answered %+v", r.Gate)
	}
	k := h.contract(cust, contract)
	if len(k.Gated) != 1 || k.Gated[0].GateStatus != GateFailed || k.Gated[0].VoidReason != "Your card was declined." || len(k.Balances) != 0 {
		t.Fatalf("voided commit: gated %+v balances %d", k.Gated, len(k.Balances))
	}
	h.wantCheck("failed", "example-inc", api, "false", ReasonBalanceDepleted, "0")

	// An EXTERNAL workflow is not Stripe's to settle.
	if r := add(cust, contract, GateExternal); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	ext := only(t, h.payNotes(), NotePaymentInitiate, 1)[0].Properties["workflow_id"].(string)
	if r := h.apply(&ReleasePaymentGate{WorkflowID: ext, Outcome: GatePaid, Provider: ProviderStripe}); r[0].Err == nil {
		t.Fatal("Stripe settled an EXTERNAL workflow")
	}

	// A customer without a Stripe customer id cannot have a STRIPE gate.
	other := h.must(&CreateCustomer{Name: "No Stripe", IngestAliases: []string{"no-stripe"}}).ID
	k2 := h.must(&CreateContract{CustomerID: other, RateCardID: k.RateCardID, StartingAt: ns(t, "2026-01-01T00:00:00Z"), PrepaidOnly: true}).ID
	if r := add(other, k2, GateStripe); r[0].Err == nil || !strings.Contains(r[0].Err.Message, "stripe_customer_id") {
		t.Fatalf("STRIPE gate without a Stripe customer answered %+v", r[0].Err)
	}
	only(t, h.payNotes(), NoteStripeCharge, 0)
}
