package engine

import (
	"strings"
	"testing"

	"burndown/money"
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
	if len(k.Gated()) != 1 || k.Gated()[0].GateStatus() != GateFailed || k.Gated()[0].VoidReason() != "Your card was declined." || len(k.Balances) != 0 {
		t.Fatalf("voided commit: gated %+v balances %d", k.Gated(), len(k.Balances))
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

// stripeRelease settles a STRIPE workflow as the leader's Stripe client
// does (Provider stripe).
func (h *harness) stripeRelease(wf, outcome, reason string) Result {
	h.t.Helper()
	return h.must(&ReleasePaymentGate{WorkflowID: wf, Outcome: outcome, ErrorMessage: reason, Provider: ProviderStripe})
}

// Auto-recharge through a STRIPE gate: each recharge is a stripe_charge
// (never an external_initiate) with the customer's Stripe id; only Stripe
// settles it; paid, the balance is recharged; failed, auto-recharge is
// disabled and, depleted, the check answers payment_failed, as with
// EXTERNAL.
func TestStripeAutoRecharge(t *testing.T) {
	h, cust, contract, api, purchase := paymentsSetup(t)
	on := true
	h.must(&EditContract{CustomerID: cust, ContractID: contract, AddPrepaidBalanceThreshold: &RechargeInput{IsEnabled: &on,
		ThresholdAmount: ptr(dec("500")), RechargeToAmount: ptr(dec("2000")), Commit: &ThresholdCommitInput{ProductID: purchase, Name: "Auto-recharge"},
		PaymentGate: &PaymentGateInput{Type: GateStripe}}})
	notes := h.payNotes()
	only(t, notes, NotePaymentInitiate, 0)
	n := only(t, notes, NoteStripeCharge, 1)[0]
	if n.Properties["invoice_total"] != 2000.0 || n.Properties["workflow_type"] != WorkflowRecharge || n.Properties["stripe_customer_id"] != "cus_123" ||
		n.Properties["invoice_currency"] != "USD" || n.Properties["contract_id"] != contract {
		t.Fatalf("first recharge %+v", n)
	}
	wf := n.Properties["workflow_id"].(string)
	h.wantCheck("pending", "example-inc", api, "false", ReasonBalanceDepleted, "0")
	if r := h.apply(&ReleasePaymentGate{WorkflowID: wf, Outcome: GatePaid}); r[0].Err == nil {
		t.Fatal("the API settled a STRIPE recharge")
	}
	h.stripeRelease(wf, GatePaid, "")
	only(t, h.payNotes(), NotePaymentStatus, 1)
	h.wantCheck("recharged", "example-inc", api, "true", ReasonOK, "2000")

	// Down to the threshold: one charge of 1500, however many crossings.
	h.setClock("2026-01-02T00:00:00Z")
	h.must(h.events("example-inc", "api_call", "a", 0, 1500, "2026-01-02T00:00:00Z"))
	for i := 0; i < 3; i++ {
		h.must(h.events("example-inc", "api_call", "b", i*10, 10, "2026-01-02T00:00:00Z"))
	}
	n = only(t, h.payNotes(), NoteStripeCharge, 1)[0]
	if n.Properties["invoice_total"] != 1500.0 || n.Properties["workflow_id"] == wf {
		t.Fatalf("second recharge %+v", n)
	}
	// Failed by Stripe: auto-recharge is off, the reason kept; depleted,
	// the check says payment_failed.
	h.stripeRelease(n.Properties["workflow_id"].(string), GateFailed, "Your card was declined.")
	st := only(t, h.payNotes(), NotePaymentStatus, 1)[0]
	if st.Properties["payment_status"] != GateFailed || st.Properties["is_enabled"] != false || st.Properties["error_message"] != "Your card was declined." {
		t.Fatalf("failed status %+v", st)
	}
	k := h.contract(cust, contract)
	if k.Recharge().IsEnabled || k.Recharge().GateType != GateStripe || len(k.Gated()) != 1 || k.Gated()[0].VoidReason() != "Your card was declined." {
		t.Fatalf("after the failure: recharge %+v gated %+v", k.Recharge(), k.Gated())
	}
	h.must(h.events("example-inc", "api_call", "c", 0, 470, "2026-01-02T00:00:00Z"))
	only(t, h.payNotes(), NoteStripeCharge, 0)
	h.wantCheck("failed, depleted", "example-inc", api, "false", ReasonPaymentFailed, "0")
	// Re-enabled (the gate kept): a new STRIPE recharge at once.
	h.must(&EditContract{CustomerID: cust, ContractID: contract, UpdatePrepaidBalanceThreshold: &RechargeInput{IsEnabled: &on}})
	n = only(t, h.payNotes(), NoteStripeCharge, 1)[0]
	if n.Properties["invoice_total"] != 2000.0 {
		t.Fatalf("re-enabled: %+v", n)
	}
	h.stripeRelease(n.Properties["workflow_id"].(string), GatePaid, "")
	h.wantCheck("re-enabled, paid", "example-inc", api, "true", ReasonOK, "2000")
}

// Threshold billing through a STRIPE gate (on contracts/create): the
// crossing notifies threshold_reached and asks Stripe for the charge;
// paid, the commit returns outstanding spend to exactly 0; failed, nothing
// is issued.
func TestStripeThresholdBilling(t *testing.T) {
	h, cust, contract, _, purchase := paymentsSetup(t)
	rc := h.contract(cust, contract).RateCardID
	h.setClock("2026-01-01T00:00:01Z")
	h.must(&UpdateEndDate{CustomerID: cust, ContractID: contract, EndingBefore: ns(t, "2026-01-01T00:00:01Z")})
	on := true
	paygo := h.must(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:01Z"),
		SpendThreshold: &SpendThresholdInput{IsEnabled: &on, ThresholdAmount: ptr(dec("10000")), Commit: &ThresholdCommitInput{ProductID: purchase},
			PaymentGate: &PaymentGateInput{Type: GateStripe}}}).ID
	h.payNotes()
	h.setClock("2026-01-05T00:00:00Z")
	h.must(h.events("example-inc", "api_call", "a", 0, 10000, "2026-01-05T00:00:00Z"))
	notes := h.payNotes()
	only(t, notes, NoteThresholdReached, 1)
	only(t, notes, NotePaymentInitiate, 0)
	n := only(t, notes, NoteStripeCharge, 1)[0]
	if n.Properties["invoice_total"] != 10000.0 || n.Properties["workflow_type"] != WorkflowSpend || n.Properties["stripe_customer_id"] != "cus_123" {
		t.Fatalf("threshold charge %+v", n)
	}
	h.must(h.events("example-inc", "api_call", "b", 0, 50, "2026-01-05T00:00:00Z"))
	only(t, h.payNotes(), NoteStripeCharge, 0)
	h.stripeRelease(n.Properties["workflow_id"].(string), GatePaid, "")
	k := h.contract(cust, paygo)
	if out := k.OutstandingSpend(USDCreditTypeID); !out.Equal(money.MustParse("50")) {
		t.Fatalf("outstanding %s after paid, want the 50 rated while pending", out)
	}
	if bal := k.PrepaidBalance(USDCreditTypeID, ns(t, "2026-01-05T00:00:00Z")); !bal.IsZero() {
		t.Fatalf("threshold commit balance %s, want 0 (it paid the spend)", bal)
	}

	h.must(h.events("example-inc", "api_call", "c", 0, 9950, "2026-01-05T00:00:00Z"))
	n = only(t, h.payNotes(), NoteStripeCharge, 1)[0]
	h.stripeRelease(n.Properties["workflow_id"].(string), GateFailed, "card_declined")
	if st := only(t, h.payNotes(), NotePaymentStatus, 1)[0]; st.Properties["payment_status"] != GateFailed {
		t.Fatalf("failed status %+v", st)
	}
	if k := h.contract(cust, paygo); len(k.Balances) != 1 || !k.OutstandingSpend(USDCreditTypeID).Equal(money.MustParse("10000")) {
		t.Fatalf("a failed charge issued something: %d balances, outstanding %s", len(k.Balances), k.OutstandingSpend(USDCreditTypeID))
	}
}

// A STRIPE-gated commit on contracts/create: pending until Stripe settles
// it, announced by a stripe_charge at the end of the create's run.
func TestStripeGateOnCreate(t *testing.T) {
	h, cust, contract, api, purchase := paymentsSetup(t)
	rc := h.contract(cust, contract).RateCardID
	buyer := h.must(&CreateCustomer{Name: "Buyer", IngestAliases: []string{"buyer"},
		BillingProviders: []BillingProviderConfig{{BillingProvider: "stripe", Configuration: map[string]string{"stripe_customer_id": "cus_buyer"}}}}).ID
	h.payNotes()
	k := h.must(&CreateContract{CustomerID: buyer, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"), PrepaidOnly: true,
		Commits: []CommitInput{{ID: "gated", ProductID: purchase, PaymentGate: &PaymentGateInput{Type: GateStripe},
			AccessSchedule: []ScheduleItem{{Amount: dec("2000"), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}}}}}).ID
	notes := h.payNotes()
	only(t, notes, NotePaymentInitiate, 0)
	n := only(t, notes, NoteStripeCharge, 1)[0]
	if n.Properties["invoice_total"] != 2000.0 || n.Properties["workflow_type"] != WorkflowManualCommit || n.Properties["contract_id"] != k ||
		n.Properties["commit_id"] != "gated" || n.Properties["stripe_customer_id"] != "cus_buyer" {
		t.Fatalf("stripe_charge %+v", n)
	}
	h.wantCheck("pending", "buyer", api, "false", ReasonBalanceDepleted, "0")
	if r := h.apply(&ReleasePaymentGate{WorkflowID: n.Properties["workflow_id"].(string), Outcome: GatePaid}); r[0].Err == nil {
		t.Fatal("the API settled a STRIPE commit")
	}
	for _, outcome := range []string{GatePaid, GateFailed} {
		if r := h.stripeRelease(n.Properties["workflow_id"].(string), outcome, ""); r.Gate.Status != GatePaid || r.Gate.CommitID != "gated" {
			t.Fatalf("release %s answered %+v", outcome, r.Gate)
		}
	}
	h.wantCheck("paid", "buyer", api, "true", ReasonOK, "2000")
}
