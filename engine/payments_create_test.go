package engine

import (
	"testing"

	"burndown/money"
)

// payment_gate_config on contracts/create commits: an EXTERNAL commit is
// pending (in no balance) until released, exactly as one added by an edit;
// NONE is an ordinary commit. A create refused after the gated commit was
// built queues nothing and leaves no workflow to release.
func TestGatedCommitOnCreate(t *testing.T) {
	h, cust, contract, api, purchase := paymentsSetup(t)
	rc := h.contract(cust, contract).RateCardID
	h.payNotes()
	year := func(amount string) []ScheduleItem {
		return []ScheduleItem{{Amount: dec(amount), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}}
	}
	buyer := h.must(&CreateCustomer{Name: "Buyer", IngestAliases: []string{"buyer"}}).ID

	// Refused after its gated commit was built (an unknown override
	// product): nothing is queued, no workflow exists.
	r := h.apply(&CreateContract{CustomerID: buyer, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"), PrepaidOnly: true,
		Commits:   []CommitInput{{ProductID: purchase, AccessSchedule: year("2000"), PaymentGate: &PaymentGateInput{Type: GateExternal}}},
		Overrides: []OverrideInput{{ProductID: "nope", StartingAt: 1}}})[0]
	if r.Err == nil {
		t.Fatal("the create must be refused")
	}
	only(t, h.payNotes(), NotePaymentInitiate, 0)

	k := h.must(&CreateContract{CustomerID: buyer, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"), PrepaidOnly: true,
		Commits: []CommitInput{
			{ID: "gated", ProductID: purchase, AccessSchedule: year("2000"), PaymentGate: &PaymentGateInput{Type: GateExternal}},
			{ID: "plain", ProductID: purchase, AccessSchedule: year("300"), PaymentGate: &PaymentGateInput{Type: GateNone},
				InvoiceSchedule: []InvoiceItem{{Timestamp: ns(t, "2026-01-01T00:00:00Z"), Amount: dec("300")}}},
		}}).ID
	n := only(t, h.payNotes(), NotePaymentInitiate, 1)[0]
	if n.Properties["invoice_total"] != 2000.0 || n.Properties["workflow_type"] != WorkflowManualCommit || n.Properties["contract_id"] != k ||
		n.Properties["commit_id"] != "gated" || n.Properties["customer_id"] != buyer {
		t.Fatalf("initiate %+v", n)
	}
	wf := n.Properties["workflow_id"].(string)
	h.wantCheck("pending", "buyer", api, "true", ReasonOK, "300")
	got := h.contract(buyer, k)
	if len(got.Balances) != 1 || got.Balances[0].ID != "plain" || len(got.Gated()) != 1 || got.Gated()[0].GateStatus() != GatePending {
		t.Fatalf("balances %d gated %d", len(got.Balances), len(got.Gated()))
	}
	// The gated purchase bills nothing on the usage statements; the plain
	// one is invoiced as any commit purchase.
	var billed money.Amount
	for _, inv := range got.Invoices {
		billed = billed.Add(inv.Total)
	}
	if !billed.Equal(money.MustParse("300")) {
		t.Fatalf("statements bill %s, want the plain commit's 300", billed)
	}

	// Released paid (twice, then failed): credited once.
	for _, outcome := range []string{GatePaid, GatePaid, GateFailed} {
		if r := h.release(wf, outcome); r.Gate.Status != GatePaid || r.Gate.CommitID != "gated" {
			t.Fatalf("release %s answered %+v", outcome, r.Gate)
		}
	}
	only(t, h.payNotes(), NotePaymentStatus, 1)
	h.wantCheck("paid", "buyer", api, "true", ReasonOK, "2300")

	// Failed on another customer's create: voided, the reason kept.
	other := h.must(&CreateCustomer{Name: "Other", IngestAliases: []string{"other"}}).ID
	k2 := h.must(&CreateContract{CustomerID: other, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"), PrepaidOnly: true,
		Commits: []CommitInput{{ProductID: purchase, AccessSchedule: year("1000"), PaymentGate: &PaymentGateInput{Type: GateExternal}}}}).ID
	n = only(t, h.payNotes(), NotePaymentInitiate, 1)[0]
	if n.Properties["workflow_id"] == wf {
		t.Fatal("workflow ids must differ")
	}
	h.must(&ReleasePaymentGate{WorkflowID: n.Properties["workflow_id"].(string), Outcome: GateFailed, ErrorMessage: "card_declined"})
	h.wantCheck("failed", "other", api, "false", ReasonBalanceDepleted, "0")
	if got := h.contract(other, k2); len(got.Gated()) != 1 || got.Gated()[0].GateStatus() != GateFailed || got.Gated()[0].VoidReason() != "card_declined" {
		t.Fatalf("voided %+v", got.Gated())
	}
}

// A purchase invoice (a gated commit's) counts in the month's invoice
// total as soon as its gate is raised, and no longer once its payment
// failed (the invoice is void): 1500 of purchases passes a threshold of
// 1000 that the empty usage statement does not.
func TestPurchaseInvoicesInMonthlyInvoiceTotal(t *testing.T) {
	h, cust, contract, _, purchase := paymentsSetup(t)
	monthly := h.must(&CreateAlert{CustomerID: cust, Name: "month", Type: AlertMonthlyInvoiceTotal, Threshold: dec("1000"), EvaluateOnCreate: true}).ID
	if got := h.status(cust, monthly); got != AlertOK {
		t.Fatalf("before the purchase: %s", got)
	}
	wf, _ := h.buy(cust, contract, purchase, "1500")
	if got := h.status(cust, monthly); got != AlertInAlarm {
		t.Fatalf("after a purchase of 1500: %s, want in alarm", got)
	}
	h.must(&ReleasePaymentGate{WorkflowID: wf, Outcome: GateFailed, ErrorMessage: "card_declined"})
	if got := h.status(cust, monthly); got != AlertOK {
		t.Fatalf("after the payment failed: %s, want ok (the purchase invoice is void)", got)
	}
}
